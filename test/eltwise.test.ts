import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RUN_SV, RUN_VS, RUN_VV, broadcastShapes, planBroadcast } from '../kernels/broadcast.js';
import { BINARY_OPS, binaryF32, binaryF32Ptr, planBinaryF32, runBinaryF32, type BinaryOp } from '../kernels/eltwise.js';
import { binaryRef } from '../kernels/reference/eltwise.js';
import type { Runtime } from '../kernels/runtime.js';
import { assertClose } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const size = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** Bit-for-bit equal, except any NaN equals any NaN (-0 and +0 differ). */
function assertSame(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    assert.unreachable(`${what}: first difference at [${i}]: got ${a}, expected ${e}`);
  }
}

/** +,-,*,/,max,min,prelu round once in float32 either way; powf may differ from pow in f64 by an ulp. */
function assertMatches(op: BinaryOp, actual: Float32Array, expected: Float32Array, what: string): void {
  if (op === 'pow') assertClose(actual, expected, { rtol: 3e-7, atol: 0 }, what);
  else assertSame(actual, expected, what);
}

function expected(op: BinaryOp, a: Float32Array, aDims: number[], b: Float32Array, bDims: number[]): Float32Array {
  const outDims = broadcastShapes(aDims, bDims);
  const out = new Float32Array(size(outDims));
  binaryRef(op, a, aDims, b, bDims, out, outDims);
  return out;
}

/** Operands for op: pow gets positive bases (negative ones with fractional exponents are NaN). */
function operands(op: BinaryOp, rand: () => number, aDims: number[], bDims: number[]): [Float32Array, Float32Array] {
  if (op === 'pow') return [randomF32(rand, size(aDims), 0.01, 4), randomF32(rand, size(bDims), -3, 3)];
  return [randomF32(rand, size(aDims), -2, 2), randomF32(rand, size(bDims), -2, 2)];
}

// ---- shapes and plans ------------------------------------------------------------------

test('broadcastShapes follows numpy', () => {
  assert.equal(broadcastShapes([2, 3], [3]), [2, 3]);
  assert.equal(broadcastShapes([4, 1, 5], [3, 1]), [4, 3, 5]);
  assert.equal(broadcastShapes([], [2]), [2]);
  assert.equal(broadcastShapes([1], []), [1]);
  assert.equal(broadcastShapes([0, 3], [1]), [0, 3]);
  assert.equal(broadcastShapes([1, 0], [5, 1]), [5, 0]);
  const e = expectEdgeRunError(() => broadcastShapes([2, 3], [4]), 'ShapeMismatch');
  assert.match(e.message, /\[2, 3\]/);
  assert.match(e.message, /\[4\]/);
  expectEdgeRunError(() => broadcastShapes([0], [2]), 'ShapeMismatch');
  expectEdgeRunError(() => broadcastShapes([2, -1], [1]), 'InvalidArgument', /a dims\[1\]/);
  expectEdgeRunError(() => broadcastShapes([2], [1.5]), 'InvalidArgument', /b dims\[0\]/);
});

test('common broadcasts collapse to one of the fast paths', () => {
  const same = planBroadcast([2, 3, 4], [2, 3, 4]);
  assert.equal([same.loops, same.run, same.runLength], [[], RUN_VV, 24]);
  const scalar = planBroadcast([5, 7], [1]);
  assert.equal([scalar.loops, scalar.run, scalar.runLength], [[], RUN_VS, 35]);
  const scalarLeft = planBroadcast([], [5, 7]);
  assert.equal([scalarLeft.loops, scalarLeft.run, scalarLeft.runLength], [[], RUN_SV, 35]);
  // Per-channel bias in NCHW: a value of b per contiguous run of H·W.
  const channel = planBroadcast([2, 16, 5, 5], [16, 1, 1]);
  assert.equal([channel.loops, channel.aStrides, channel.bStrides, channel.run, channel.runLength],
    [[2, 16], [400, 25], [0, 1], RUN_VS, 25]);
  // Batch 1 drops out entirely.
  const channel1 = planBroadcast([1, 16, 5, 5], [1, 16, 1, 1]);
  assert.equal([channel1.loops, channel1.run, channel1.runLength], [[16], RUN_VS, 25]);
  // Row vector over the innermost dim (NHWC bias): b's row repeated under one outer loop.
  const row = planBroadcast([6, 4, 8], [8]);
  assert.equal([row.loops, row.aStrides, row.bStrides, row.run, row.runLength], [[24], [8], [0], RUN_VV, 8]);
  // Both sides broadcasting: an outer product.
  const outer = planBroadcast([3, 1], [1, 4]);
  assert.equal([outer.loops, outer.aStrides, outer.bStrides, outer.run, outer.runLength], [[3], [1], [0], RUN_SV, 4]);
});

// ---- every build against the reference -------------------------------------------------

/** Named patterns: [a dims, b dims]. */
const PATTERNS: [string, number[], number[]][] = [
  ['same shape', [3, 7, 5], [3, 7, 5]],
  ['same shape 1-D odd', [65], [65]],
  ['b scalar', [7, 9], []],
  ['a scalar', [1], [17, 3]],
  ['b all-ones rank 3', [5, 13], [1, 1, 1]],
  ['per-channel NCHW', [2, 5, 3, 7], [5, 1, 1]],
  ['per-channel batch 1', [1, 17, 4, 4], [1, 17, 1, 1]],
  ['row (innermost vector)', [9, 4, 7], [7]],
  ['column', [13, 6], [13, 1]],
  ['middle axis', [3, 5, 7], [1, 5, 1]],
  ['middle axis rank mismatch', [3, 5, 7], [5, 1]],
  ['both sides: outer product', [9, 1], [1, 17]],
  ['both sides: alternating 3-D', [4, 1, 6], [1, 5, 1]],
  ['both sides: alternating 5-D (host loop)', [3, 1, 4, 1, 5], [1, 2, 1, 3, 1]],
  ['both sides: alternating 7-D (two host loops)', [2, 1, 3, 1, 2, 1, 3], [1, 3, 1, 2, 1, 3, 1]],
  ['rank mismatch', [2, 3, 4, 5], [4, 5]],
  ['a smaller rank', [5], [2, 3, 1]],
  ['size-1 dims everywhere', [1, 3, 1], [3, 1, 1, 1]],
  ['a broadcasts into b', [1, 4, 1], [6, 4, 9]],
  ['rank 0 both', [], []],
];

for (const rt of RUNTIMES) {
  test(`${rt.build}: every op on every broadcasting pattern matches the reference`, () => {
    const rand = rng(7);
    for (const [name, aDims, bDims] of PATTERNS) {
      for (const op of BINARY_OPS) {
        const [a, b] = operands(op, rand, aDims, bDims);
        const got = binaryF32(rt, op, a, aDims, b, bDims);
        assert.equal(got.dims, broadcastShapes(aDims, bDims));
        assertMatches(op, got.data, expected(op, a, aDims, b, bDims), `${rt.build} ${op} ${name}`);
      }
    }
  });

  test(`${rt.build}: random shapes with odd sizes match the reference`, () => {
    const rand = rng(1234);
    for (let t = 0; t < 120; t++) {
      const rank = randomInt(rand, 0, 4);
      const outDims = Array.from({ length: rank }, () => pick(rand, ODD_SIZES.filter((s) => s <= 33)));
      if (size(outDims) > 40000) continue;
      // Each operand: a suffix of the output rank, each dim either full or 1.
      const sub = () => outDims.slice(randomInt(rand, 0, rank)).map((d) => (rand() < 0.4 ? 1 : d));
      const aDims = sub();
      const bDims = sub();
      const op = pick(rand, BINARY_OPS);
      const [a, b] = operands(op, rand, aDims, bDims);
      const got = binaryF32(rt, op, a, aDims, b, bDims);
      assertMatches(op, got.data, expected(op, a, aDims, b, bDims), `${rt.build} ${op} [${aDims}] with [${bDims}] (case ${t})`);
    }
  });

  test(`${rt.build}: long runs (1x64x56x56 with per-channel and same-shape operands)`, () => {
    const rand = rng(99);
    const x = [1, 64, 56, 56];
    for (const [op, bDims] of [['add', x], ['mul', [1, 64, 1, 1]], ['sub', [56]], ['max', []]] as [BinaryOp, number[]][]) {
      const [a, b] = operands(op, rand, x, bDims);
      assertMatches(op, binaryF32(rt, op, a, x, b, bDims).data, expected(op, a, x, b, bDims), `${rt.build} ${op}`);
    }
  });

  test(`${rt.build}: special values (±0, ±Inf, NaN, huge, denormal) in every op`, () => {
    const s = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1, -1, 2, 0.5, -0.5, 3, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.2e-38]);
    const n = s.length;
    for (const op of BINARY_OPS) {
      // [n,1] op [1,n]: every pair, through the RUN_SV path; then the same pairs through RUN_VV.
      const pairs = binaryF32(rt, op, s, [n, 1], s, [1, n]);
      assertMatches(op, pairs.data, expected(op, s, [n, 1], s, [1, n]), `${rt.build} ${op} all pairs`);
      const a = new Float32Array(n * n);
      const b = new Float32Array(n * n);
      for (let i = 0; i < n * n; i++) {
        a[i] = s[Math.floor(i / n)];
        b[i] = s[i % n];
      }
      assertMatches(op, binaryF32(rt, op, a, [n * n], b, [n * n]).data, pairs.data, `${rt.build} ${op} pairs, same shape`);
    }
  });

  test(`${rt.build}: pow has C semantics at its special cases`, () => {
    const a = new Float32Array([1, 1, -1, -1, NaN, 0, -0, -8, -2, 2, 0, -0]);
    const b = new Float32Array([NaN, Infinity, Infinity, -Infinity, 0, -1, -1, 1 / 3, 3, 0.5, 0, -3]);
    const got = binaryF32(rt, 'pow', a, [a.length], b, [b.length]).data;
    // C99 Annex F: pow(1, y) = 1 even for NaN; pow(-1, ±Inf) = 1; pow(x, ±0) = 1 even for NaN;
    // pow(±0, -1) = ±Inf; negative base, non-integer exponent: NaN; pow(-0, -3) = -Inf.
    assertSame(got, new Float32Array([1, 1, 1, 1, 1, Infinity, -Infinity, NaN, -8, Math.SQRT2, 1, -Infinity]), `${rt.build} pow`);
  });

  test(`${rt.build}: in place (out is a, out is b, out is both) and variadic folds`, () => {
    const rand = rng(5);
    const arena = rt.arena;
    const dims = [3, 5, 7];
    const n = size(dims);
    const x = randomF32(rand, n);
    const y = randomF32(rand, n);
    const bias = randomF32(rand, 5);
    const put = (d: Float32Array) => {
      const p = arena.alloc(4 * d.length);
      arena.f32(p, d.length).set(d);
      return p;
    };
    const px = put(x);
    const py = put(y);
    const pb = put(bias);
    try {
      binaryF32Ptr(rt, 'add', px, dims, pb, [5, 1], px); // out = a, b broadcasting
      assertSame(arena.f32(px, n).slice(), expected('add', x, dims, bias, [5, 1]), 'out = a');
      const x1 = arena.f32(px, n).slice();
      binaryF32Ptr(rt, 'sub', pb, [5, 1], py, dims, py); // out = b, a broadcasting
      assertSame(arena.f32(py, n).slice(), expected('sub', bias, [5, 1], y, dims), 'out = b');
      binaryF32Ptr(rt, 'mul', px, dims, px, dims, px); // out = a = b
      assertSame(arena.f32(px, n).slice(), expected('mul', x1, dims, x1, dims), 'out = a = b');
      // Sum(x0, x1, x2) and Max(...) as the executor will run them: acc = x0; acc = acc op xi.
      const xs = [randomF32(rand, n), randomF32(rand, n), randomF32(rand, 7)];
      const xdims = [dims, dims, [7]];
      for (const op of ['add', 'max', 'min'] as BinaryOp[]) {
        const acc = put(xs[0]);
        let want = xs[0];
        for (let i = 1; i < xs.length; i++) {
          const pi = put(xs[i]);
          binaryF32Ptr(rt, op, acc, dims, pi, xdims[i], acc);
          arena.free(pi);
          want = expected(op, want, dims, xs[i], xdims[i]);
        }
        assertSame(arena.f32(acc, n).slice(), want, `fold ${op}`);
        arena.free(acc);
      }
    } finally {
      arena.free(pb);
      arena.free(py);
      arena.free(px);
    }
  });

  test(`${rt.build}: empty tensors give empty results`, () => {
    const got = binaryF32(rt, 'add', new Float32Array(0), [0, 3], new Float32Array(3), [3]);
    assert.equal(got.dims, [0, 3]);
    assert.is(got.data.length, 0);
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const a = new Float32Array(6);
    expectEdgeRunError(() => binaryF32(rt, 'add', a, [2, 3], new Float32Array(4), [4]), 'ShapeMismatch', /\[2, 3\].*\[4\]/);
    expectEdgeRunError(() => binaryF32(rt, 'add', a, [2, 4], a, [2, 3]), 'ShapeMismatch', /a has 6 elements/);
    expectEdgeRunError(() => binaryF32(rt, 'add', a, [2, 3], a, [7]), 'ShapeMismatch', /b has 6 elements/);
    expectEdgeRunError(() => binaryF32(rt, 'xor' as BinaryOp, a, [6], a, [6]), 'InvalidArgument', /op.*'xor'/);
    expectEdgeRunError(() => binaryF32(rt, 'add', [1, 2] as unknown as Float32Array, [2], a, [6]), 'DTypeMismatch', /\ba\b/);
    expectEdgeRunError(() => binaryF32(rt, 'add', a, [2, -3], a, [6]), 'InvalidArgument', /a dims/);
    checkPointerErrors(rt);
  });
}

function checkPointerErrors(rt: Runtime): void {
  const arena = rt.arena;
  const p = arena.alloc(4 * 64);
  try {
    const top = p + 4 * 64 + 1e6;
    expectEdgeRunError(() => binaryF32Ptr(rt, 'add', top, [64], p, [64], p), 'InvalidArgument', /\ba\b/);
    expectEdgeRunError(() => binaryF32Ptr(rt, 'add', p, [64], p + 2, [1], p), 'InvalidArgument', /\bb\b.*aligned/);
    expectEdgeRunError(() => binaryF32Ptr(rt, 'add', p, [64], p, [64], -8), 'InvalidArgument', /\bout\b/);
    expectEdgeRunError(() => binaryF32Ptr(rt, 'add', p, [64], p, [64], top), 'InvalidArgument', /\bout\b/);
    // Partial overlap: out shifted by one element against a.
    expectEdgeRunError(() => binaryF32Ptr(rt, 'add', p, [32], p, [1], p + 4), 'InvalidArgument', /overlaps a/);
    // out aliasing an operand that broadcasts would overwrite values still to be read.
    expectEdgeRunError(() => binaryF32Ptr(rt, 'add', p, [8, 8], p, [8], p), 'InvalidArgument', /overlaps b/);
    expectEdgeRunError(() => binaryF32Ptr(rt, 'pow', p, [4, 4], p, [3, 1], p), 'ShapeMismatch', /\[4, 4\].*\[3, 1\]/);
    // A plan is checked when made; a hand-made (or edited) one is refused.
    const plan = planBinaryF32('add', [64], [64]);
    expectEdgeRunError(() => runBinaryF32(rt, { ...plan, outSize: 1e6 }, p, p, p), 'InvalidArgument', /plan/);
    expectEdgeRunError(() => runBinaryF32(rt, plan, p, p + 1e6, p), 'InvalidArgument', /\bb\b/);
    // The arena and the kernels still work afterwards.
    arena.f32(p, 4).set([1, 2, 3, 4]);
    binaryF32Ptr(rt, 'add', p, [4], p, [4], p);
    assert.equal(Array.from(arena.f32(p, 4)), [2, 4, 6, 8]);
  } finally {
    arena.free(p);
  }
}

test.run();
