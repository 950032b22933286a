import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { softmaxF32, softmaxF32Ptr, type SoftmaxKind } from '../kernels/softmax.js';
import { softmaxRef } from '../kernels/reference/softmax.js';
import { assertClose, type Tolerance } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const KINDS: SoftmaxKind[] = ['softmax', 'logSoftmax'];
// Probabilities near 0 carry the exp's relative error; log-probabilities near 0 an absolute one.
const TOL: Record<SoftmaxKind, Tolerance> = {
  softmax: { rtol: 2e-6, atol: 1e-12 },
  logSoftmax: { rtol: 2e-6, atol: 2e-6 },
};

function reference(kind: SoftmaxKind, x: Float32Array, outer: number, n: number, inner: number): Float32Array {
  const out = new Float32Array(x.length);
  softmaxRef(kind === 'logSoftmax', x, out, outer, n, inner);
  return out;
}

for (const rt of RUNTIMES) {
  test(`${rt.build}: [outer, n, inner] with odd sizes matches the reference`, () => {
    const rand = rng(21);
    for (let t = 0; t < 80; t++) {
      const outer = pick(rand, [1, 2, 3, 5]);
      const n = pick(rand, ODD_SIZES);
      const inner = t % 2 === 0 ? 1 : pick(rand, ODD_SIZES);
      const kind = pick(rand, KINDS);
      const x = randomF32(rand, outer * n * inner, -8, 8);
      const got = softmaxF32(rt, kind, x, [outer, n, inner], 1);
      assertClose(got, reference(kind, x, outer, n, inner), TOL[kind], `${rt.build} ${kind} [${outer}, ${n}, ${inner}]`);
    }
  });

  test(`${rt.build}: long rows and a classifier head`, () => {
    const rand = rng(4);
    for (const kind of KINDS) {
      for (const [outer, n, inner] of [[1, 1000, 1], [4, 4099, 1], [2, 1000, 7], [1, 21, 4096]]) {
        const x = randomF32(rand, outer * n * inner, -20, 20);
        const got = softmaxF32(rt, kind, x, [outer, n, inner], 1);
        assertClose(got, reference(kind, x, outer, n, inner), TOL[kind], `${rt.build} ${kind} [${outer}, ${n}, ${inner}]`);
      }
    }
  });

  test(`${rt.build}: probabilities sum to 1, even for huge logits (differences up to 3.2e38)`, () => {
    const rand = rng(8);
    for (const [n, inner, scale] of [[17, 1, 1], [65, 3, 1e4], [9, 1, 1.6e38], [33, 5, 1e-30]]) {
      const x = randomF32(rand, n * inner, -scale, scale);
      const p = softmaxF32(rt, 'softmax', x, [n, inner], 0);
      const lp = softmaxF32(rt, 'logSoftmax', x, [n, inner], 0);
      for (let c = 0; c < inner; c++) {
        let s = 0;
        let se = 0;
        for (let j = 0; j < n; j++) {
          assert.ok(Number.isFinite(p[j * inner + c]) && Number.isFinite(lp[j * inner + c]), `finite at scale ${scale}`);
          s += p[j * inner + c];
          se += Math.exp(lp[j * inner + c]);
        }
        assert.ok(Math.abs(s - 1) < 1e-5, `${rt.build} softmax column sums to ${s} (scale ${scale})`);
        assert.ok(Math.abs(se - 1) < 1e-5, `${rt.build} exp(logSoftmax) column sums to ${se} (scale ${scale})`);
      }
    }
  });

  test(`${rt.build}: -Inf logits get probability 0; NaN poisons its row only`, () => {
    for (const inner of [1, 4, 5]) {
      const n = 6;
      const x = new Float32Array(2 * n * inner);
      for (let j = 0; j < n; j++) {
        for (let c = 0; c < inner; c++) {
          x[j * inner + c] = j === 2 ? -Infinity : j;
          x[n * inner + j * inner + c] = j === 4 ? NaN : j;
        }
      }
      for (const kind of KINDS) {
        const got = softmaxF32(rt, kind, x, [2, n, inner], 1);
        assertClose(got, reference(kind, x, 2, n, inner), TOL[kind], `${rt.build} ${kind} inner ${inner}`);
        assert.is(got[2 * inner], kind === 'softmax' ? 0 : -Infinity);
        assert.ok(Number.isNaN(got[n * inner]), 'NaN row');
        assert.ok(!Number.isNaN(got[0]), 'clean row');
      }
    }
  });

  test(`${rt.build}: n = 1 gives probability 1 (log 0)`, () => {
    const x = new Float32Array([-3, 0, 7, 1e30]);
    assert.equal(Array.from(softmaxF32(rt, 'softmax', x, [4, 1])), [1, 1, 1, 1]);
    assert.equal(Array.from(softmaxF32(rt, 'logSoftmax', x, [4, 1])), [0, 0, 0, 0]);
  });

  test(`${rt.build}: convenience axis maps onto [outer, n, inner]`, () => {
    const rand = rng(2);
    const dims = [2, 3, 4, 5];
    const x = randomF32(rand, 120, -3, 3);
    for (const [axis, outer, n, inner] of [[0, 1, 2, 60], [1, 2, 3, 20], [2, 6, 4, 5], [-1, 24, 5, 1], [-3, 2, 3, 20]]) {
      const got = softmaxF32(rt, 'softmax', x, dims, axis);
      assertClose(got, reference('softmax', x, outer, n, inner), TOL.softmax, `axis ${axis}`);
    }
  });

  test(`${rt.build}: in place equals out of place`, () => {
    const rand = rng(6);
    const arena = rt.arena;
    const size = 3 * 19 * 6;
    const x = randomF32(rand, size, -5, 5);
    const pin = arena.alloc(4 * size);
    const pout = arena.alloc(4 * size);
    try {
      for (const kind of KINDS) {
        for (const [outer, n, inner] of [[3, 19, 6], [18, 19, 1]]) {
          arena.f32(pin, size).set(x);
          softmaxF32Ptr(rt, kind, pin, pout, outer, n, inner);
          softmaxF32Ptr(rt, kind, pin, pin, outer, n, inner);
          assert.equal(Array.from(arena.f32(pin, size)), Array.from(arena.f32(pout, size)), `${kind} [${outer}, ${n}, ${inner}]`);
        }
      }
    } finally {
      arena.free(pout);
      arena.free(pin);
    }
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const x = new Float32Array(12);
    expectEdgeRunError(() => softmaxF32(rt, 'sparsemax' as SoftmaxKind, x, [3, 4]), 'InvalidArgument', /kind.*'sparsemax'/);
    expectEdgeRunError(() => softmaxF32(rt, 'softmax', x, [3, 5]), 'ShapeMismatch', /x has 12 elements/);
    expectEdgeRunError(() => softmaxF32(rt, 'softmax', x, [3, 4], 2), 'InvalidArgument', /axis 2/);
    expectEdgeRunError(() => softmaxF32(rt, 'softmax', x, [3, 4], 0.5), 'InvalidArgument', /axis/);
    expectEdgeRunError(() => softmaxF32(rt, 'softmax', new Float64Array(12) as unknown as Float32Array, [12]), 'DTypeMismatch', /\bx\b/);
    const arena = rt.arena;
    const p = arena.alloc(4 * 12);
    try {
      expectEdgeRunError(() => softmaxF32Ptr(rt, 'softmax', p, p, 3, -4, 1), 'InvalidArgument', /\[outer, n, inner\]\[1\]/);
      expectEdgeRunError(() => softmaxF32Ptr(rt, 'softmax', p, p, 1.5, 4, 1), 'InvalidArgument', /\[outer, n, inner\]\[0\]/);
      expectEdgeRunError(() => softmaxF32Ptr(rt, 'softmax', p, p, 3, 4, 0), 'InvalidArgument', /inner/);
      expectEdgeRunError(() => softmaxF32Ptr(rt, 'softmax', p, p, 3000, 4000, 1), 'InvalidArgument', /\bin\b/);
      expectEdgeRunError(() => softmaxF32Ptr(rt, 'softmax', p, p + 2, 3, 4, 1), 'InvalidArgument', /\bout\b.*aligned/);
      expectEdgeRunError(() => softmaxF32Ptr(rt, 'softmax', p, p + 4, 2, 4, 1), 'InvalidArgument', /overlaps in/);
    } finally {
      arena.free(p);
    }
  });
}

test.run();
