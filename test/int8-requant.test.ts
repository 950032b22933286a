// TFLite's integer requantization: the scalar oracle against a BigInt transliteration of the
// C++ (gemmlowp fixedpoint.h, quantization_util.cc), then the WASM kernels against the oracle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { activationRange, frexp, quantizeMultiplier, type QuantizedMultiplier } from '../kernels/int8/qparams.js';
import { requantize } from '../kernels/int8/requant.js';
import {
  INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul,
} from '../kernels/reference/int8/fixedpoint.js';
import { assertEqualArrays } from './helpers/compare.js';
import { randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

// ---- BigInt transliterations of the C++ (independent of the double-splitting oracle) ----
const B31 = 1n << 31n;
function srdhmBig(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / B31); // BigInt '/' truncates toward zero, like C++
}
function rdbpotBig(x: number, e: number): number {
  const mask = (1n << BigInt(e)) - 1n;
  const bx = BigInt(x);
  const rem = bx & mask; // BigInt & on negatives is two's complement, like C++ on int32
  const threshold = (mask >> 1n) + (bx < 0n ? 1n : 0n);
  return Number((bx >> BigInt(e)) + (rem > threshold ? 1n : 0n));
}

const EDGE_INTS = [INT32_MIN, INT32_MIN + 1, -(2 ** 30) - 1, -(2 ** 30), -65537, -65536, -32769, -2, -1, 0, 1, 2, 32767, 65535, 65536, 2 ** 30, 2 ** 30 + 1, INT32_MAX - 1, INT32_MAX];

function randInt32(rand: () => number): number {
  const r = rand();
  if (r < 0.1) return EDGE_INTS[Math.floor(rand() * EDGE_INTS.length)];
  if (r < 0.4) return randomInt(rand, -70000, 70000);
  return (Math.floor(rand() * 2 ** 32) | 0);
}

test('SaturatingRoundingDoublingHighMul matches the C++ on edges and 20k random pairs', () => {
  for (const a of EDGE_INTS) for (const b of EDGE_INTS) assert.is(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `srdhm(${a}, ${b})`);
  assert.is(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX);
  // Ties: a·b = ±2^30 exactly rounds toward +inf (to 1 and to 0).
  assert.is(saturatingRoundingDoublingHighMul(2 ** 15, 2 ** 15), 1);
  assert.is(saturatingRoundingDoublingHighMul(-(2 ** 15), 2 ** 15), 0);
  const rand = rng(11);
  for (let i = 0; i < 20000; i++) {
    const a = randInt32(rand);
    const b = randInt32(rand);
    assert.is(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `srdhm(${a}, ${b})`);
  }
});

test('RoundingDivideByPOT rounds half away from zero for every exponent 0..31', () => {
  const rand = rng(12);
  for (let e = 0; e <= 31; e++) {
    const cases = [...EDGE_INTS];
    if (e >= 1) for (const k of [-3, -2, -1, 0, 1, 2]) cases.push((2 * k + 1) * 2 ** (e - 1)); // exact ties
    for (let i = 0; i < 600; i++) cases.push(randInt32(rand));
    for (const x of cases) {
      if (x < INT32_MIN || x > INT32_MAX) continue;
      assert.is(roundingDivideByPOT(x, e), rdbpotBig(x, e), `rdbpot(${x}, ${e})`);
    }
  }
  assert.is(roundingDivideByPOT(5, 1), 3);
  assert.is(roundingDivideByPOT(-5, 1), -3);
  assert.is(roundingDivideByPOT(-6, 2), -2);
  assert.is(roundingDivideByPOT(6, 2), 2);
});

test('QuantizeMultiplier: frexp, rounding, the q == 2^31 renormalisation, flushing', () => {
  assert.equal(frexp(1), [0.5, 1]);
  assert.equal(frexp(0.75), [0.75, 0]);
  assert.equal(frexp(2 ** -1074), [0.5, -1073]);
  assert.equal(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  assert.equal(quantizeMultiplier(0.5), { multiplier: 2 ** 30, shift: 0 });
  assert.equal(quantizeMultiplier(1), { multiplier: 2 ** 30, shift: 1 });
  assert.equal(quantizeMultiplier(0.75), { multiplier: 1610612736, shift: 0 });
  // Just below 1: q·2^31 rounds up to 2^31, which renormalises to 2^30 with shift + 1.
  assert.equal(quantizeMultiplier(1 - 2 ** -40), { multiplier: 2 ** 30, shift: 1 });
  assert.equal(quantizeMultiplier(2 ** -31), { multiplier: 2 ** 30, shift: -30 });
  assert.equal(quantizeMultiplier(2 ** -32), { multiplier: 2 ** 30, shift: -31 });
  assert.equal(quantizeMultiplier(2 ** -33), { multiplier: 0, shift: 0 });
  // Half-way mantissa: 0.5 + 2^-32 → q·2^31 = 2^30 + 0.5 rounds away from zero.
  assert.equal(quantizeMultiplier(0.5 + 2 ** -32), { multiplier: 2 ** 30 + 1, shift: 0 });
  // Against an exact BigInt-free check: multiplier·2^(shift−31) is within half a unit of m.
  const rand = rng(13);
  for (let i = 0; i < 2000; i++) {
    const m = 2 ** (-30 * rand()) * (0.5 + rand());
    const q = quantizeMultiplier(m);
    assert.ok(q.multiplier >= 2 ** 30 && q.multiplier < 2 ** 31, `mantissa of ${m}`);
    assert.ok(Math.abs(q.multiplier * 2 ** (q.shift - 31) - m) <= 2 ** (q.shift - 32), `error of ${m}`);
  }
  expectEdgeRunError(() => quantizeMultiplier(-1), 'InvalidArgument', /finite and >= 0/);
  expectEdgeRunError(() => quantizeMultiplier(NaN), 'InvalidArgument');
  expectEdgeRunError(() => quantizeMultiplier(2 ** 31), 'InvalidArgument', /too large/);
});

test('CalculateActivationRangeQuantized', () => {
  assert.equal(activationRange('none', { scale: 0.1, zeroPoint: 3 }), [-128, 127]);
  assert.equal(activationRange('relu', { scale: 0.1, zeroPoint: -5 }), [-5, 127]);
  assert.equal(activationRange('relu6', { scale: 0.05, zeroPoint: -128 }), [-128, -8]);
  assert.equal(activationRange('relu6', { scale: 6 / 255, zeroPoint: -128 }), [-128, 127]);
  assert.equal(activationRange('reluN1To1', { scale: 0.25, zeroPoint: 0 }), [-4, 4]);
  assert.equal(activationRange('relu', { scale: 0.1, zeroPoint: 20 }, 'uint8'), [20, 255]);
  // 0.5 / 0.2 = 2.5 in float32 → rounds away from zero to 3.
  assert.equal(activationRange('reluN1To1', { scale: 0.4, zeroPoint: 0 }), [-3, 3]);
});

/** Multipliers near 2^-31, near 1, with left shifts, and random. */
function randomMultiplier(rand: () => number): QuantizedMultiplier {
  const r = rand();
  if (r < 0.1) return { multiplier: 0, shift: 0 };
  if (r < 0.25) return { multiplier: randomInt(rand, 2 ** 30, 2 ** 31 - 1), shift: -31 };
  if (r < 0.4) return { multiplier: pickEdge(rand, [2 ** 30, 2 ** 31 - 1, 2 ** 31 - 2]), shift: randomInt(rand, -1, 0) };
  if (r < 0.5) return { multiplier: randomInt(rand, 2 ** 30, 2 ** 31 - 1), shift: randomInt(rand, 1, 12) };
  return quantizeMultiplier(2 ** (-25 * rand()) * (0.5 + rand()));
}
function pickEdge(rand: () => number, xs: number[]): number {
  return xs[Math.floor(rand() * xs.length)];
}

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: requantize (both layouts) matches MultiplyByQuantizedMultiplier on 24k values`, () => {
    const rand = rng(21);
    for (let t = 0; t < 40; t++) {
      const C = randomInt(rand, 1, 19);
      const other = randomInt(rand, 1, 40);
      const acc = new Int32Array(C * other).map(() => randInt32(rand));
      const multipliers = Array.from({ length: C }, () => randomMultiplier(rand));
      const bias = new Int32Array(C).map(() => (rand() < 0.3 ? randInt32(rand) : randomInt(rand, -1000, 1000)));
      const dtype = rand() < 0.5 ? 'int8' : 'uint8';
      const zp = dtype === 'int8' ? pickEdge(rand, [-128, 127, 0, randomInt(rand, -128, 127)]) : pickEdge(rand, [0, 255, randomInt(rand, 0, 255)]);
      const range: [number, number] = rand() < 0.5 ? (dtype === 'int8' ? [-128, 127] : [0, 255]) : dtype === 'int8' ? [randomInt(rand, -128, 0), randomInt(rand, 1, 127)] : [randomInt(rand, 0, 100), randomInt(rand, 101, 255)];
      const p = { multipliers, bias, outputZeroPoint: zp, outputDType: dtype as 'int8' | 'uint8', range };
      for (const layout of ['channelsLast', 'channelsFirst'] as const) {
        const got = requantize(rt, acc, C, layout, p);
        const want = new Int32Array(acc.length);
        for (let i = 0; i < acc.length; i++) {
          const c = layout === 'channelsLast' ? i % C : Math.floor(i / other);
          const q = multipliers[c];
          const v = multiplyByQuantizedMultiplier((acc[i] + bias[c]) | 0, q.multiplier, q.shift) + zp;
          want[i] = Math.min(range[1], Math.max(range[0], v));
        }
        assertEqualArrays(got, want, `${rt.build} ${layout} case ${t} C=${C}`);
      }
    }
  });

  test(`${rt.build}: requantize refuses bad parameters`, () => {
    const acc = new Int32Array(8);
    const m = [{ multiplier: 2 ** 30, shift: 0 }, { multiplier: 2 ** 30, shift: 0 }];
    expectEdgeRunError(() => requantize(rt, acc, 2, 'channelsLast', { multipliers: m.slice(0, 1), outputZeroPoint: 0 }), 'ShapeMismatch', /multipliers/);
    expectEdgeRunError(() => requantize(rt, acc, 2, 'channelsLast', { multipliers: [m[0], { multiplier: 1, shift: 31 }], outputZeroPoint: 0 }), 'InvalidArgument', /multipliers\[1\]/);
    expectEdgeRunError(() => requantize(rt, acc, 2, 'channelsLast', { multipliers: m, outputZeroPoint: 128 }), 'InvalidArgument', /outputZeroPoint/);
    expectEdgeRunError(() => requantize(rt, acc, 3, 'channelsLast', { multipliers: m, outputZeroPoint: 0 }), 'ShapeMismatch', /multiple of C/);
    expectEdgeRunError(() => requantize(rt, acc, 2, 'channelsFirst', { multipliers: m, outputZeroPoint: 0, bias: new Int32Array(3) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => requantize(rt, acc, 2, 'channelsLast', { multipliers: m, outputZeroPoint: 0, range: [10, 5] }), 'InvalidArgument', /range/);
  });
});

test.run();
