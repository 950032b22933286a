// int8/uint8 elementwise kernels with TFLite's arithmetic: add/sub (reference add.h: inputs
// shifted left by 20, each rescaled by its own multiplier, summed, rescaled to the output),
// mul (one multiplier on the product), the 256-entry lookup table (logistic, tanh), and the
// requantizing copy of concatenation.
// uint8 tensors are read zero-extended and written through the same int8 clamp with flip = 1
// (see packClampI8), so one code path serves both dtypes.
import { requantUniform, packClampI8, clampScalar, srdhmScalar, rdbpotScalar, mbqmScalar } from './lib/requant';

@inline
function widen4(p: usize, unsigned: bool, i: i32): v128 {
  // 4 bytes → i32x4.
  const v = v128.load32_zero(p);
  return unsigned ? i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v));
}

@inline
function loadByte(p: usize, unsigned: bool): i32 {
  return unsigned ? <i32>load<u8>(p) : <i32>load<i8>(p);
}

/**
 * out = clamp(MBQM<1(MBQM<1((a − za)·2^20, m1, s1) ± MBQM<1((b − zb)·2^20, m2, s2), mo, so) + zp).
 * Shifts are the (non-positive) TFLite exponents negated: r1 = −shift1 ≥ 0. bStride 0 broadcasts b[0].
 */
export function i8_add(
  n: i32, a: usize, b: usize, bStride: i32, out: usize, unsignedIn: i32, subtract: i32,
  za: i32, zb: i32, m1: i32, r1: i32, m2: i32, r2: i32, mo: i32, ro: i32,
  zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const u = unsignedIn != 0;
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  const vza = i32x4.splat(za), vzb = i32x4.splat(zb);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = requantUniform(i32x4.shl(i32x4.sub(widen4(a + <usize>i, u, i), vza), 20), m1, 0, r1);
    const yb = bStride == 0 ? i32x4.splat(loadByte(b, u)) : widen4(b + <usize>i, u, i);
    const y = requantUniform(i32x4.shl(i32x4.sub(yb, vzb), 20), m2, 0, r2);
    const s = requantUniform(subtract != 0 ? i32x4.sub(x, y) : i32x4.add(x, y), mo, 0, ro);
    v128.store32_lane(out + <usize>i, packClampI8(s, s, s, s, vzp, vlo, vhi, vflip), 0);
  }
  for (; i < n; i++) {
    const x = rdbpotScalar(srdhmScalar((loadByte(a + <usize>i, u) - za) << 20, m1), r1);
    const y = rdbpotScalar(srdhmScalar((loadByte(b + <usize>(bStride == 0 ? 0 : i), u) - zb) << 20, m2), r2);
    const s = rdbpotScalar(srdhmScalar(subtract != 0 ? x - y : x + y, mo), ro);
    store<u8>(out + <usize>i, <u8>clampScalar(s, zp, lo, hi, flip));
  }
}

/** out = clamp(MBQM((a − za)(b − zb), m, left − right) + zp). bStride 0 broadcasts b[0]. */
export function i8_mul(
  n: i32, a: usize, b: usize, bStride: i32, out: usize, unsignedIn: i32,
  za: i32, zb: i32, m: i32, left: i32, right: i32, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const u = unsignedIn != 0;
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  const vza = i32x4.splat(za), vzb = i32x4.splat(zb);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const yb = bStride == 0 ? i32x4.splat(loadByte(b, u)) : widen4(b + <usize>i, u, i);
    const p = i32x4.mul(i32x4.sub(widen4(a + <usize>i, u, i), vza), i32x4.sub(yb, vzb));
    const s = requantUniform(p, m, left, right);
    v128.store32_lane(out + <usize>i, packClampI8(s, s, s, s, vzp, vlo, vhi, vflip), 0);
  }
  for (; i < n; i++) {
    const p = (loadByte(a + <usize>i, u) - za) * (loadByte(b + <usize>(bStride == 0 ? 0 : i), u) - zb);
    store<u8>(out + <usize>i, <u8>clampScalar(mbqmScalar(p, m, left - right), zp, lo, hi, flip));
  }
}

/** out[i] = table[x[i] as uint8 index]: 256 bytes at `table`. */
export function i8_lut(n: i32, x: usize, table: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = load<u32>(x + <usize>i);
    const r = <u32>load<u8>(table + <usize>(w & 0xff)) | (<u32>load<u8>(table + <usize>((w >> 8) & 0xff)) << 8) |
      (<u32>load<u8>(table + <usize>((w >> 16) & 0xff)) << 16) | (<u32>load<u8>(table + <usize>(w >> 24)) << 24);
    store<u32>(out + <usize>i, r);
  }
  for (; i < n; i++) store<u8>(out + <usize>i, load<u8>(table + <usize>load<u8>(x + <usize>i)));
}

/** TfLiteRound on a float: half away from zero, exactly (no x + 0.5 rounding). */
@inline
function roundAway(x: f32): f32 {
  const t = Mathf.trunc(x);
  return Mathf.abs(x - t) >= 0.5 ? t + (x < 0 ? <f32>-1 : <f32>1) : t;
}

/**
 * Concatenation's requantizing copy (reference ConcatenationWithScaling): out = clamp(round(q·scale
 * + bias) + zp) in float32, scale = inScale · (1/outScale), bias = −zIn · scale (host-computed).
 */
export function i8_requant_copy(n: i32, x: usize, out: usize, unsignedIn: i32, scale: f32, bias: f32, zp: i32, qmin: i32, qmax: i32): void {
  const u = unsignedIn != 0;
  for (let i = 0; i < n; i++) {
    const v = <i32>roundAway(<f32>loadByte(x + <usize>i, u) * scale + bias) + zp;
    store<u8>(out + <usize>i, <u8>(v < qmin ? qmin : v > qmax ? qmax : v));
  }
}
