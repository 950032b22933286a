// IEEE binary16 ("half") <-> f32 on v128, for the bulk converters (f16.ts) and the fp16-weight
// GEMM (f16-gemm.ts). SIMD128 has no f16 type (the half-precision proposal is not in Node 20's
// V8), so both directions are done with integer and float bit tricks. Every lane is exact.

/** 2^112: moves a half's exponent (bias 15) to f32's (bias 127). */
const TWO_POW_112: u32 = 0x77800000;
/** 2^-110: with 2^112 above, |x| * 2^112 * 2^-110 = 4|x| for halves, inf past the half range. */
const TWO_POW_MINUS_110: u32 = 0x08800000;

/**
 * 4 halves (the low 16 bits of each i32 lane; the high bits must be zero) -> 4 floats, exact for
 * every input: ±0, subnormals, normals, ±inf, NaN (payload kept, so quiet stays quiet).
 * Subnormals go through a float subtraction of normal numbers, never through arithmetic on f32
 * denormals (which costs a microcode assist on many x86 cores).
 */
@inline
export function halvesToFloats(u: v128): v128 {
  const mag = v128.and(u, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.xor(u, mag), 16);
  // Normal halves: shift exponent+mantissa into place and add 112 to the exponent. Exponent 31
  // (inf/NaN) must become 255, i.e. add 224.
  const infOrNan = i32x4.gt_s(mag, i32x4.splat(0x7bff));
  const rebias = v128.bitselect(i32x4.splat(224 << 23), i32x4.splat(112 << 23), infOrNan);
  const normal = i32x4.add(i32x4.shl(mag, 13), rebias);
  // Zero and subnormals (m * 2^-24): the float with bits 0.5 | m is 0.5 + m * 2^-24 (the ulp of
  // 0.5 is 2^-24), so subtracting 0.5 leaves m * 2^-24 exactly (+0 for m = 0).
  const sub = f32x4.sub(v128.or(mag, f32x4.splat(0.5)), f32x4.splat(0.5));
  const isSub = i32x4.lt_s(mag, i32x4.splat(0x0400));
  return v128.or(v128.bitselect(sub, normal, isSub), sign);
}

/**
 * 4 floats -> 4 halves in the low 16 bits of each i32 lane (high bits zero). Round to nearest
 * even; magnitudes that round past 65504 become ±inf; half subnormals are produced; NaN becomes
 * the quiet NaN 0x7e00 with the input's sign (what engine/tensor.ts floatToHalf gives).
 *
 * How: for |x| = 1.f * 2^e, a float B = 2^(e+15) has an ulp of 2^(e-8), which is the half ulp
 * 2^(e-10) scaled by 4. So B + 4|x|, computed by the FPU, is 4|x| rounded to the half grid with
 * round-to-nearest-even; its low 12 bits are the half mantissa with the implicit bit (bit 11 if
 * rounding carried), and the low 5 bits of its exponent field, shifted to bit 10, plus that
 * implicit bit give the half exponent. For |x| < 2^-14 B is clamped to 2 (ulp 2^-22 = the
 * subnormal step 2^-24 scaled by 4), which leaves the subnormal mantissa and a zero exponent.
 * Multiplying by 2^112 first turns every |x| >= 2^16 into inf (whose bits then give 0x7c00);
 * 65520 <= |x| < 65536 reaches 0x7c00 through the rounding carry.
 */
@inline
export function floatsToHalves(x: v128): v128 {
  const abs = v128.and(x, i32x4.splat(0x7fffffff));
  const sign = i32x4.shr_u(v128.xor(x, abs), 16);
  const base = f32x4.mul(
    f32x4.mul(abs, f32x4.splat(reinterpret<f32>(TWO_POW_112))),
    f32x4.splat(reinterpret<f32>(TWO_POW_MINUS_110)),
  );
  // Exponent field of B: exponent(|x|) + 15, at least 113 + 15 (B = 2). For inf/NaN inputs (and
  // any |x| >= 2^114) the field wraps into a tiny negative or zero B: base is inf there anyway.
  const expField = i32x4.max_u(v128.and(abs, i32x4.splat(0x7f800000)), i32x4.splat(113 << 23));
  const sum = f32x4.add(i32x4.add(expField, i32x4.splat(15 << 23)), base);
  const expBits = v128.and(i32x4.shr_u(sum, 13), i32x4.splat(0x7c00));
  const mantBits = v128.and(sum, i32x4.splat(0x0fff));
  const isNan = i32x4.gt_u(abs, i32x4.splat(0x7f800000));
  const h = v128.bitselect(i32x4.splat(0x7e00), i32x4.add(expBits, mantBits), isNan);
  return v128.or(h, sign);
}

/**
 * Widening of weights that are known finite (no inf/NaN half; checked at pack time): halves at
 * the top of each i32 lane (h << 16, as an interleave with zero puts them) -> floats. The
 * arithmetic shift moves exponent and mantissa into f32 position but copies the sign into bits
 * 28..30, which the mask clears; the multiply by 2^112 rebiases the exponent and is exact for
 * zeros, normals and subnormals (the latter as f32 denormal inputs). 3 ops per 4 weights.
 */
@inline
export function finiteHalvesHighToFloats(hHigh: v128): v128 {
  return widenFinite(hHigh, i32x4.splat(0x8fffffff), f32x4.splat(reinterpret<f32>(TWO_POW_112)));
}

/**
 * The same with the two constants passed in: loaded from memory before a hot loop
 * (WIDEN_CONSTANTS), they stay in registers; as v128.const V8 11.3 re-materialises them in
 * every iteration (3 instructions each) once the loop is short of registers.
 */
@inline
export function widenFinite(hHigh: v128, mask: v128, scale: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shr_s(hHigh, 3), mask), scale);
}

/** [mask x4][2^112 x4] for widenFinite. */
export const WIDEN_CONSTANTS: usize = memory.data<u32>([
  0x8fffffff, 0x8fffffff, 0x8fffffff, 0x8fffffff, TWO_POW_112, TWO_POW_112, TWO_POW_112, TWO_POW_112,
], 16);

/** Lanes 0..3 of an i16x8 of halves, each moved to the top 16 bits of an i32 lane. */
@inline
export function halvesLowToHigh32(h: v128): v128 {
  return i8x16.shuffle(i32x4.splat(0), h, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}

/** Lanes 4..7 of an i16x8 of halves, each moved to the top 16 bits of an i32 lane. */
@inline
export function halvesHighToHigh32(h: v128): v128 {
  return i8x16.shuffle(i32x4.splat(0), h, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}
