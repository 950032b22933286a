// TFLite / gemmlowp integer arithmetic, scalar and exact: the oracle every int8 kernel is tested
// against. Names follow the C++ they transliterate (tensorflow/lite/kernels/internal/common.h,
// gemmlowp/fixedpoint/fixedpoint.h) so a reader can put them side by side.
//
// JavaScript numbers are doubles: a 32×32-bit product needs up to 62 bits, so the high multiply
// splits one operand into 16-bit halves and keeps every partial sum below 2^53.

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;

/**
 * gemmlowp SaturatingRoundingDoublingHighMul: round(a·b / 2^31) with ties toward +infinity (the
 * C++ adds a sign-dependent nudge and truncates toward zero, which comes to the same), saturating
 * the one overflowing case INT32_MIN × INT32_MIN to INT32_MAX.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a·b = aHi·b·2^16 + aLo·b with aLo in [0, 2^16): each partial is exact in a double.
  const aLo = a & 0xffff;
  const aHi = (a - aLo) / 65536;
  const p1 = aHi * b; // |p1| < 2^46
  const nudge = (a < 0) !== (b < 0) && a !== 0 && b !== 0 ? 1 - 2 ** 30 : 2 ** 30;
  const p2 = aLo * b + nudge; // |p2| < 2^48
  // a·b + nudge = p1·2^16 + p2 = (q1 + q2)·2^31 + r2 with 0 <= r2 < 2^31.
  const q1 = Math.floor(p1 / 32768);
  const r1 = p1 - q1 * 32768;
  const t = r1 * 65536 + p2;
  const q2 = Math.floor(t / 2 ** 31);
  const r2 = t - q2 * 2 ** 31;
  const floorQ = q1 + q2;
  // C++ '/' truncates toward zero: a negative quotient with a remainder moves up by one.
  return floorQ < 0 && r2 !== 0 ? floorQ + 1 : floorQ;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. 0 <= exponent <= 31. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  // (1 << 31) - 1 would leave int32 in JavaScript; 2 ** e - 1 is exact for every e <= 31.
  const mask = 2 ** exponent - 1;
  // On a negative int32, & keeps the two's-complement low bits, as in C++.
  const remainder = (x & mask) >>> 0;
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier (double-rounding build, the default): x·2^left wraps in
 * int32 as the C++ does in practice, then the high multiply, then the rounding right shift.
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(Math.imul(x, 2 ** left | 0) | 0, multiplier), right);
}

/** MultiplyByQuantizedMultiplierSmallerThanOneExp: the same with shift <= 0 (add/sub use it). */
export function multiplyByQuantizedMultiplierSmallerThanOneExp(x: number, multiplier: number, shift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

/** The int8 (or uint8) output of a requantized accumulator: + zero point (int32 wrap), then clamp. */
export function requantize(acc: number, multiplier: number, shift: number, outputZeroPoint: number, actMin: number, actMax: number): number {
  const v = (multiplyByQuantizedMultiplier(acc, multiplier, shift) + outputZeroPoint) | 0;
  return v < actMin ? actMin : v > actMax ? actMax : v;
}

/** C++ std::round / TfLiteRound: half away from zero. */
export function roundHalfAwayFromZero(x: number): number {
  // Math.round is exact (no x + 0.5 double rounding) but sends ties up; mirror negatives.
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
