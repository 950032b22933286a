import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UNARY_OPS, unaryF32, unaryF32Ptr, unaryParamValues, type UnaryOp, type UnaryParams } from '../kernels/unary.js';
import { unaryRef } from '../kernels/reference/unary.js';
import { assertClose, type Tolerance } from './helpers/compare.js';
import { ODD_SIZES, randomF32, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

/**
 * Exact ops round once in float32 like the reference; polynomial ones are held to 2e-6 relative
 * (measured worst: 4.1e-7, tanh in the baseline build), with a denormal-sized atol for results that underflow.
 * Ops with a kink where the result passes through 0 (hardSigmoid, hardSwish) get an atol: near
 * there the float32 rounding of alpha·x + beta is large relative to the result.
 */
const EXACT: Tolerance = { rtol: 0, atol: 0 };
const TOL: Record<UnaryOp, Tolerance> = {
  relu: EXACT, leakyRelu: EXACT, clip: EXACT, abs: EXACT, neg: EXACT, sqrt: EXACT, reciprocal: EXACT,
  step: EXACT, thresholdedRelu: EXACT,
  softsign: { rtol: 3e-7, atol: 0 },
  hardSigmoid: { rtol: 3e-7, atol: 1e-7 },
  hardSwish: { rtol: 3e-7, atol: 1e-7 },
  sigmoid: { rtol: 2e-6, atol: 3e-45 },
  tanh: { rtol: 2e-6, atol: 0 },
  elu: { rtol: 2e-6, atol: 0 },
  selu: { rtol: 2e-6, atol: 0 },
  softplus: { rtol: 2e-6, atol: 3e-45 },
  exp: { rtol: 2e-6, atol: 3e-45 },
  log: { rtol: 2e-6, atol: 0 },
};

/** Where each op is tested on random data: its whole interesting range, tails included. */
const RANGE: Partial<Record<UnaryOp, [number, number]>> = {
  exp: [-103, 88.7],
  log: [0, 1000],
  sqrt: [0, 100],
  sigmoid: [-100, 100],
  softplus: [-100, 100],
  tanh: [-12, 12],
  elu: [-20, 5],
  selu: [-20, 5],
};

const PARAMS: Partial<Record<UnaryOp, UnaryParams>> = {
  leakyRelu: { alpha: 0.1 },
  clip: { min: -0.5, max: 2 },
  hardSigmoid: { alpha: 0.3, beta: 0.4 },
  elu: { alpha: 0.7 },
  selu: { alpha: 1.5, gamma: 1.2 },
  thresholdedRelu: { alpha: 0.25 },
};

function reference(op: UnaryOp, x: Float32Array, params?: UnaryParams): Float32Array {
  const [p0, p1] = unaryParamValues(op, params, 'test');
  const out = new Float32Array(x.length);
  unaryRef(op, p0, p1, x, out);
  return out;
}

const SPECIALS = new Float32Array([
  0, -0, Infinity, -Infinity, NaN, 1, -1, 1e-45, -1e-45, 1.2e-38, -1.2e-38, 3.4e38, -3.4e38,
  88.7, 88.8, 89, 100, -87.3, -87.4, -100, -103.9, -104, -200, 0.625, -0.625, 0.35, -0.35,
  0.7071, 1.4142, 1e-7, -1e-7, 20, -20, 3, -3, 1e10, -1e10,
]);

for (const rt of RUNTIMES) {
  test(`${rt.build}: every op matches the reference on random data of odd lengths`, () => {
    const rand = rng(11);
    for (const op of UNARY_OPS) {
      const [lo, hi] = RANGE[op] ?? [-6, 6];
      for (const n of [...ODD_SIZES, 1000, 4099]) {
        const x = randomF32(rand, n, lo, hi);
        const got = unaryF32(rt, op, x, PARAMS[op]);
        assertClose(got, reference(op, x, PARAMS[op]), TOL[op], `${rt.build} ${op} n=${n}`);
      }
    }
  });

  test(`${rt.build}: special values (±0, ±Inf, NaN, overflow and underflow edges)`, () => {
    for (const op of UNARY_OPS) {
      for (const params of [undefined, PARAMS[op]]) {
        const got = unaryF32(rt, op, SPECIALS, params);
        assertClose(got, reference(op, SPECIALS, params), TOL[op], `${rt.build} ${op} specials`);
        for (let i = 0; i < got.length; i++) {
          // assertClose lets NaN match NaN only when both are NaN: check NaN is never invented.
          const want = reference(op, SPECIALS.subarray(i, i + 1), params)[0];
          assert.is(Number.isNaN(got[i]), Number.isNaN(want), `${rt.build} ${op}(${SPECIALS[i]}) = ${got[i]}, want ${want}`);
        }
      }
    }
  });

  test(`${rt.build}: documented edge conventions`, () => {
    const x = new Float32Array([0, -0, NaN, -1e-45, 1e-45]);
    assert.equal(Array.from(unaryF32(rt, 'step', x)), [1, 1, NaN, 0, 1], 'step(±0) = 1, NaN stays NaN');
    assert.equal(Array.from(unaryF32(rt, 'relu', new Float32Array([NaN, -Infinity]))), [NaN, 0], 'relu keeps NaN');
    assert.equal(Array.from(unaryF32(rt, 'exp', new Float32Array([89, -Infinity, -110]))), [Infinity, 0, 0]);
    assert.equal(Array.from(unaryF32(rt, 'log', new Float32Array([0, -1, Infinity]))), [-Infinity, NaN, Infinity]);
    // Softplus never overflows inside: log(1 + e^100) is 100, not Inf.
    assert.equal(Array.from(unaryF32(rt, 'softplus', new Float32Array([100, 1e30]))), [100, 1e30].map(Math.fround));
    // Clip with min > max gives max everywhere (ONNX).
    assert.equal(Array.from(unaryF32(rt, 'clip', new Float32Array([-5, 0, 5]), { min: 2, max: 1 })), [1, 1, 1]);
  });

  test(`${rt.build}: defaults are the ONNX attribute defaults`, () => {
    const x = new Float32Array([-2, -0.5, 0.5, 2]);
    const f = Math.fround;
    assert.equal(Array.from(unaryF32(rt, 'leakyRelu', x)), [f(-0.02), f(-0.005), 0.5, 2]);
    assert.equal(Array.from(unaryF32(rt, 'thresholdedRelu', x)), [0, 0, 0, 2]);
    assertClose(unaryF32(rt, 'hardSigmoid', x), [0.1, 0.4, 0.6, 0.9], { rtol: 1e-6, atol: 0 }, 'hardSigmoid');
    assertClose(unaryF32(rt, 'elu', x), [Math.expm1(-2), Math.expm1(-0.5), 0.5, 2], { rtol: 1e-6, atol: 0 }, 'elu');
    const a = 1.67326319217681884765625;
    const g = 1.05070102214813232421875;
    assertClose(unaryF32(rt, 'selu', x), [g * a * Math.expm1(-2), g * a * Math.expm1(-0.5), g * 0.5, g * 2], { rtol: 1e-6, atol: 0 }, 'selu');
    assert.equal(Array.from(unaryF32(rt, 'clip', x)), Array.from(x), 'clip without bounds is the identity');
  });

  test(`${rt.build}: in place equals out of place`, () => {
    const rand = rng(3);
    const n = 67;
    const x = randomF32(rand, n, -4, 4);
    const arena = rt.arena;
    const pin = arena.alloc(4 * n);
    const pout = arena.alloc(4 * n);
    try {
      for (const op of UNARY_OPS) {
        arena.f32(pin, n).set(x);
        unaryF32Ptr(rt, op, PARAMS[op], pin, pout, n);
        unaryF32Ptr(rt, op, PARAMS[op], pin, pin, n);
        assert.equal(Array.from(arena.f32(pin, n)), Array.from(arena.f32(pout, n)), `${rt.build} ${op}`);
      }
    } finally {
      arena.free(pout);
      arena.free(pin);
    }
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const x = new Float32Array(8);
    expectEdgeRunError(() => unaryF32(rt, 'gelu' as UnaryOp, x), 'InvalidArgument', /op.*'gelu'/);
    expectEdgeRunError(() => unaryF32(rt, 'relu', [1, 2] as unknown as Float32Array), 'DTypeMismatch', /\bx\b/);
    expectEdgeRunError(() => unaryF32(rt, 'leakyRelu', x, { alpha: NaN }), 'InvalidArgument', /alpha/);
    expectEdgeRunError(() => unaryF32(rt, 'elu', x, { alpha: Infinity }), 'InvalidArgument', /alpha/);
    expectEdgeRunError(() => unaryF32(rt, 'selu', x, { gamma: 1e39 }), 'InvalidArgument', /gamma/);
    expectEdgeRunError(() => unaryF32(rt, 'clip', x, { min: NaN }), 'InvalidArgument', /min/);
    expectEdgeRunError(() => unaryF32(rt, 'relu', x, { alpha: 0.1 }), 'InvalidArgument', /relu has no parameter 'alpha'/);
    expectEdgeRunError(() => unaryF32(rt, 'clip', x, { alpah: 1 } as UnaryParams), 'InvalidArgument', /'alpah'/);
    expectEdgeRunError(() => unaryF32(rt, 'relu', x, 3 as unknown as UnaryParams), 'InvalidArgument', /params/);
    const arena = rt.arena;
    const p = arena.alloc(4 * 16);
    try {
      expectEdgeRunError(() => unaryF32Ptr(rt, 'relu', undefined, p, p, -1), 'InvalidArgument', /\bn\b/);
      expectEdgeRunError(() => unaryF32Ptr(rt, 'relu', undefined, p, p, 2.5), 'InvalidArgument', /\bn\b/);
      expectEdgeRunError(() => unaryF32Ptr(rt, 'relu', undefined, p, p, 1e9), 'InvalidArgument', /\bin\b/);
      expectEdgeRunError(() => unaryF32Ptr(rt, 'relu', undefined, p + 1, p, 4), 'InvalidArgument', /\bin\b.*aligned/);
      expectEdgeRunError(() => unaryF32Ptr(rt, 'relu', undefined, p, 0, 4), 'InvalidArgument', /\bout\b/);
      expectEdgeRunError(() => unaryF32Ptr(rt, 'relu', undefined, p, p + 8, 8), 'InvalidArgument', /overlaps in/);
      unaryF32Ptr(rt, 'relu', undefined, p, p, 0); // nothing to do, nothing checked beyond n
    } finally {
      arena.free(p);
    }
  });
}

test.run();
