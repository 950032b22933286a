import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planMemory, type BufferRequest } from '../engine/passes/memory-plan.js';
import { rng, randomInt } from './helpers/random.js';

function overlapsInTime(a: BufferRequest, b: BufferRequest): boolean {
  return a.first <= b.last && b.first <= a.last;
}

test('a chain reuses memory: peak equals the largest pair alive together', () => {
  // x0 -> x1 -> x2 -> x3, each alive from its step to the next.
  const sizes = [1000, 4000, 2000, 64];
  const reqs = sizes.map((bytes, i) => ({ id: i, bytes, first: i - 1, last: i }));
  const plan = planMemory(reqs);
  assert.is(plan.lowerBound, 4032 + 2048); // x1 and x2 alive at step 2 (aligned to 64)
  assert.is(plan.peak, plan.lowerBound);
});

test('random schedules: no two buffers alive together overlap in memory, and peak ≥ lower bound', () => {
  const rand = rng(7);
  for (let trial = 0; trial < 300; trial++) {
    const n = randomInt(rand, 1, 40);
    const steps = randomInt(rand, 1, 30);
    const reqs: BufferRequest[] = [];
    for (let i = 0; i < n; i++) {
      const first = randomInt(rand, -1, steps - 1);
      reqs.push({ id: i, bytes: randomInt(rand, 1, 5000), first, last: randomInt(rand, first, steps) });
    }
    const plan = planMemory(reqs);
    for (const a of reqs) {
      const oa = plan.offsets.get(a.id)!;
      assert.ok(oa % 64 === 0);
      assert.ok(oa + a.bytes <= plan.peak);
      for (const b of reqs) {
        if (a.id >= b.id || !overlapsInTime(a, b)) continue;
        const ob = plan.offsets.get(b.id)!;
        assert.ok(oa + a.bytes <= ob || ob + b.bytes <= oa, `trial ${trial}: buffers ${a.id} and ${b.id} overlap`);
      }
    }
    assert.ok(plan.peak >= plan.lowerBound);
  }
});

test('empty plan', () => {
  const plan = planMemory([]);
  assert.is(plan.peak, 0);
  assert.is(plan.lowerBound, 0);
});

test.run();
