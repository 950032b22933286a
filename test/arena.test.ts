import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena, MAX_ARENA_BYTES } from '../kernels/arena.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';
import { detect, createRuntimeSync } from '../kernels/runtime.js';

for (const rt of RUNTIMES) {
  test(`${rt.build}: views made after a grow see the data written before it`, () => {
    const arena = rt.arena;
    const p = arena.alloc(1024 * 4, 'first');
    arena.f32(p, 1024).fill(3.5);
    const gen = arena.generation;
    const bufBefore = arena.buffer.byteLength;
    // Far bigger than the initial memory: forces a grow (and a detach of old buffers).
    const big = arena.alloc(bufBefore * 2, 'big');
    assert.ok(arena.buffer.byteLength > bufBefore, 'memory grew');
    assert.ok(arena.generation > gen, 'generation moved on so cached views can be refreshed');
    const view = arena.f32(p, 1024);
    assert.is(view[0], 3.5);
    assert.is(view[1023], 3.5);
    arena.free(big);
    arena.free(p);
  });
}

test('free blocks are reused and coalesced', () => {
  const arena = Arena.overHostMemory(4096);
  const a = arena.alloc(100);
  const b = arena.alloc(100);
  const c = arena.alloc(100);
  const top = arena.highWater;
  arena.free(a);
  arena.free(b);
  const d = arena.alloc(200); // fits only in the coalesced a+b hole
  assert.is(d, a);
  assert.is(arena.highWater, top);
  arena.free(c);
  arena.free(d);
  assert.is(arena.highWater, 0, 'everything freed pulls the top back to the base');
  assert.is(arena.liveBytes, 0);
});

test('blocks are 64-byte aligned and do not overlap', () => {
  const arena = Arena.overHostMemory(4096);
  const ptrs = [1, 7, 64, 65, 200, 3].map((n) => [arena.alloc(n), n] as const);
  for (const [p] of ptrs) assert.is(p % 64, 0);
  const sorted = [...ptrs].sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i][0] >= sorted[i - 1][0] + sorted[i - 1][1] + 16);
});

test('bad allocations are EdgeRunErrors', () => {
  const arena = Arena.overHostMemory(4096);
  expectEdgeRunError(() => arena.alloc(-1, 'weights'), 'InvalidArgument', /weights/);
  expectEdgeRunError(() => arena.alloc(NaN, 'weights'), 'InvalidArgument');
  expectEdgeRunError(() => arena.alloc(MAX_ARENA_BYTES, 'activations of conv1'), 'OutOfMemory', /activations of conv1/);
  expectEdgeRunError(() => arena.free(12345), 'InvalidArgument');
  // The arena still works afterwards.
  const p = arena.alloc(10);
  assert.ok(p >= arena.base);
});

test('detection picks the fastest build the engine validates', () => {
  const d = detect();
  assert.ok(d.simd, 'Node 20 has WASM SIMD');
  assert.is(d.chosen, d.relaxedSimd ? 'relaxed' : 'baseline');
  expectEdgeRunError(() => createRuntimeSync('turbo' as never), 'InvalidArgument', /unknown build/);
});

test.run();
