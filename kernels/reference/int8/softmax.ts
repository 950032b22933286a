// TFLite's integer softmax for int8/uint8 (reference/softmax.h, the Reference kernel), with
// gemmlowp's fixed-point exp (fixedpoint.h exp_on_negative_values: a Taylor polynomial around
// −1/8 and a barrel shifter of exp(−2^k) constants) and reciprocal (one_over_one_plus_x_for_x_in_0_1,
// three Newton–Raphson steps). Entirely integer, hence portable and bit-exact.
//
// TFLite's default int8 kernel (GenericOptimized) uses a float32 exp table instead; it can differ
// from this one by 1 LSB. This file is the emulation target the research notes recommend.
import { INT32_MAX, roundingDivideByPOT as rdbpot, saturatingRoundingDoublingHighMul as srdhm } from './fixedpoint.js';

/** gemmlowp SaturatingRoundingMultiplyByPOT<e>: saturating left shift for e > 0, rounding right shift for e < 0. */
export function saturatingRoundingMultiplyByPOT(x: number, e: number): number {
  if (e === 0) return x;
  if (e < 0) return rdbpot(x, -e);
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return -0x80000000;
  return (x * 2 ** e) | 0;
}

/** gemmlowp RoundingHalfSum for int32: (a + b + sign) / 2, truncating. */
function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact in a double
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** exp(a) for a in [−1/4, 0), Q0.31 in and out. */
function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = 1895147668; // exp(−1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0;
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = rdbpot(x4, 2);
  const poly = rdbpot((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (constantTerm + srdhm(constantTerm, (x + poly) | 0)) | 0;
}

const BARREL: [number, number][] = [[-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242]];

/** exp(a) for a ≤ 0 given in Q5.26 (5 integer bits, as the softmax uses), result in Q0.31. */
export function expOnNegativeValuesQ5(a: number): number {
  const fractionalBits = 26;
  const quarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(saturatingRoundingMultiplyByPOT(aModQuarterMinusQuarter, 5));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  for (const [exponent, multiplier] of BARREL) {
    if (remainder & (1 << (fractionalBits + exponent))) result = srdhm(result, multiplier);
  }
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + a) for a in [0, 1), Q0.31 in and out. */
function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  let x = (1515870810 + srdhm(halfDenominator, -1010580540)) | 0; // 48/17 − 32/17·d, Q2.29
  for (let i = 0; i < 3; i++) {
    const oneMinus = ((1 << 29) - srdhm(halfDenominator, x)) | 0;
    x = (x + saturatingRoundingMultiplyByPOT(srdhm(x, oneMinus), 2)) | 0;
  }
  return saturatingRoundingMultiplyByPOT(x, 1);
}

/** TFLite GetReciprocal: [1/x scaled to Q0.31, number of bits of x above 1.0]. */
export function getReciprocal(x: number, integerDigits: number): [number, number] {
  const headroomPlusOne = Math.clz32(x);
  const shiftedSumMinusOne = ((x << headroomPlusOne) - 0x80000000) | 0;
  return [oneOverOnePlusXForXIn01(shiftedSumMinusOne), integerDigits - headroomPlusOne];
}

export interface SoftmaxRefParams {
  inputMultiplier: number;
  inputLeftShift: number;
  diffMin: number;
  /** Output dtype range: [−128, 127] or [0, 255]. */
  outMin: number;
  outMax: number;
}

/** Softmax over rows of `depth` values. */
export function qsoftmaxRef(x: ArrayLike<number>, rows: number, depth: number, p: SoftmaxRefParams, out: { [i: number]: number }): void {
  const exps = new Int32Array(depth);
  for (let r = 0; r < rows; r++) {
    const o = r * depth;
    let max = -Infinity;
    for (let c = 0; c < depth; c++) max = Math.max(max, x[o + c]);
    let sum = 0;
    for (let c = 0; c < depth; c++) {
      const diff = x[o + c] - max;
      if (diff >= p.diffMin) {
        const scaled = srdhm(Math.imul(diff, 2 ** p.inputLeftShift | 0), p.inputMultiplier);
        exps[c] = expOnNegativeValuesQ5(scaled);
        sum = (sum + rdbpot(exps[c], 12)) | 0;
      }
    }
    const [shiftedScale, bitsOverUnit] = getReciprocal(sum, 12);
    const exponent = bitsOverUnit + 31 - 8;
    for (let c = 0; c < depth; c++) {
      const diff = x[o + c] - max;
      if (diff >= p.diffMin) {
        const v = rdbpot(srdhm(shiftedScale, exps[c]), exponent) + p.outMin;
        out[o + c] = v < p.outMin ? p.outMin : v > p.outMax ? p.outMax : v;
      } else {
        out[o + c] = p.outMin;
      }
    }
  }
}
