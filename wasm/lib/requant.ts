// TFLite requantization (MultiplyByQuantizedMultiplier, double-rounding build) in WASM, bit-exact
// to kernels/reference/int8/fixedpoint.ts:
//   RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^left, qm), right)
//
// SIMD128 has no 32×32→64 high multiply and no per-lane shift, so:
//  - the high multiply is i64x2.extmul_{low,high}_i32x4_s; SRDHM(x, qm) = floor((x·qm + 2^30) / 2^31)
//    (the C++ nudge-and-truncate rounds ties toward +inf, which this floor does too), taken as the
//    high word of 2·x·qm + 2^31. qm > 0 always (multipliers come from positive scales), so the
//    INT32_MIN·INT32_MIN saturation cannot happen here and |r1| < 2^31.
//  - a per-lane rounding shift (per-channel `right`) is a multiply: with u = r1 + 2^31 (unsigned),
//    s = [r1 < 0] and pow = 2^(31−right), RoundingDivideByPOT(r1, right) =
//    floor(((u − s)·pow + 2^30) / 2^31) − pow for right ≥ 1 (that is floor((r1 + 2^(right−1) − s)
//    / 2^right): round half away from zero), and floor(u·pow / 2^31) − pow = r1 for right = 0.
//    u − s ≥ 0 because r1 > INT32_MIN; the product stays below 2^63; the subtraction wraps.
//  - a shift shared by the whole vector (one channel per row) uses plain vector shifts.

/** Bytes of the per-lane parameters of 4 channels (see LANE_* offsets). */
export const LANE_PARAMS_BYTES: usize = 96;
export const LANE_QM: usize = 0;      // i32x4 quantized multipliers
export const LANE_LEFT_MUL: usize = 16; // i32x4 2^left
export const LANE_POW: usize = 32;    // i32x4 2^(31 − right) as u32
export const LANE_RMASK: usize = 48;  // i32x4 −1 where right ≥ 1, else 0
export const LANE_K_LO: usize = 64;   // i64x2 2^30 where right ≥ 1 (lanes 0, 1)
export const LANE_K_HI: usize = 80;   // i64x2 the same for lanes 2, 3

/** SaturatingRoundingDoublingHighMul for qm > 0. */
@inline
export function srdhmPositive(x: v128, qm: v128): v128 {
  const half = i64x2.splat(0x80000000);
  let lo = i64x2.extmul_low_i32x4_s(x, qm);
  let hi = i64x2.extmul_high_i32x4_s(x, qm);
  lo = i64x2.add(i64x2.add(lo, lo), half);
  hi = i64x2.add(i64x2.add(hi, hi), half);
  return i32x4.shuffle(lo, hi, 1, 3, 5, 7);
}

/** SaturatingRoundingDoublingHighMul for qm > 0 and |x| < 2^30: the doubling happens on x (no overflow). */
@inline
export function srdhmBounded(x: v128, qm: v128): v128 {
  const half = i64x2.splat(0x80000000);
  const x2 = i32x4.add(x, x);
  const lo = i64x2.add(i64x2.extmul_low_i32x4_s(x2, qm), half);
  const hi = i64x2.add(i64x2.extmul_high_i32x4_s(x2, qm), half);
  return i32x4.shuffle(lo, hi, 1, 3, 5, 7);
}

/** MultiplyByQuantizedMultiplier with a different multiplier and shift in each lane; params at `p`. */
@inline
export function requantLanes(acc: v128, p: usize): v128 {
  const x = i32x4.mul(acc, v128.load(p, LANE_LEFT_MUL));
  const r1 = srdhmPositive(x, v128.load(p, LANE_QM));
  const pow = v128.load(p, LANE_POW);
  // u − s where u = r1 + 2^31: r1 > INT32_MIN, so this never wraps below zero.
  const u = i32x4.add(v128.xor(r1, i32x4.splat(0x80000000)), v128.and(i32x4.shr_s(r1, 31), v128.load(p, LANE_RMASK)));
  let lo = i64x2.add(i64x2.extmul_low_i32x4_u(u, pow), v128.load(p, LANE_K_LO));
  let hi = i64x2.add(i64x2.extmul_high_i32x4_u(u, pow), v128.load(p, LANE_K_HI));
  lo = i64x2.shr_u(lo, 31);
  hi = i64x2.shr_u(hi, 31);
  return i32x4.sub(i32x4.shuffle(lo, hi, 0, 2, 4, 6), pow);
}

/** MultiplyByQuantizedMultiplier with one multiplier and shift for the whole vector. */
@inline
export function requantUniform(acc: v128, qm: i32, left: i32, right: i32): v128 {
  const r1 = srdhmPositive(i32x4.shl(acc, left), i32x4.splat(qm));
  // RoundingDivideByPOT: (x >> e) + (remainder > (mask >> 1) + [x < 0]).
  const mask = <i32>((<u64>1 << <u64>right) - 1);
  const remainder = v128.and(r1, i32x4.splat(mask));
  const threshold = i32x4.sub(i32x4.splat(mask >> 1), i32x4.shr_s(r1, 31));
  return i32x4.sub(i32x4.shr_s(r1, right), i32x4.gt_s(remainder, threshold));
}

// ---- scalar twins (tails and the one-off kernels) -----------------------------------------

@inline
export function srdhmScalar(a: i32, b: i32): i32 {
  if (a == b && a == i32.MIN_VALUE) return i32.MAX_VALUE;
  const ab = <i64>a * <i64>b;
  const nudge: i64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return <i32>((ab + nudge) / (<i64>1 << 31));
}

@inline
export function rdbpotScalar(x: i32, exponent: i32): i32 {
  const mask = <i32>((<u64>1 << <u64>exponent) - 1);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** MultiplyByQuantizedMultiplier; shift > 0 shifts left first (int32 wrap, as in C++). */
@inline
export function mbqmScalar(x: i32, qm: i32, shift: i32): i32 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpotScalar(srdhmScalar(x << left, qm), right);
}

/**
 * Four requantized int32 vectors → 16 int8 lanes: + zero point, clamp to [lo, hi], XOR `flip`.
 * The zero point is added after a saturating narrow to int16, with a saturating add: values
 * beyond int16 clamp the same either way, so the result is the exact clamp(v + zp) even where
 * the C++ int32 addition would overflow. uint8 outputs are computed as int8 with the zero point
 * and range moved down by 128 (exact) and flip = 0x80 in every byte.
 */
@inline
export function packClampI8(a: v128, b: v128, c: v128, d: v128, zp: v128, lo: v128, hi: v128, flip: v128): v128 {
  const ab = i16x8.add_sat_s(i16x8.narrow_i32x4_s(a, b), zp);
  const cd = i16x8.add_sat_s(i16x8.narrow_i32x4_s(c, d), zp);
  return v128.xor(i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(ab, cd), lo), hi), flip);
}

/** The scalar twin of packClampI8 for one value (returns the byte to store). */
@inline
export function clampScalar(v: i32, zp: i32, lo: i32, hi: i32, flip: i32): i32 {
  // Saturate first so + zp cannot wrap (see packClampI8).
  const s = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
  const q = s + zp;
  return (q < lo ? lo : q > hi ? hi : q) ^ (flip != 0 ? 0x80 : 0);
}
