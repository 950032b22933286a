// The ONNX-style (floating-point) quantization kernels, bit-exact with the TypeScript in
// engine/backends/cpu/ops/quant-arith.ts and quant-fused.ts:
//  - QuantizeLinear: q = saturate(round_half_even(x / scale) + zp), a float32 division;
//  - DequantizeLinear: (float(q) − float(zp)) · scale in float32;
//  - QAdd (onnxruntime's QLinearAdd rule): quantize(float(a − za)·sa + float(b − zb)·sb, sy, zy).
// Every step is one IEEE float32 operation, which the TypeScript computes in double and rounds
// once to float32 (Math.fround): for +, −, ×, ÷ of float32 operands that double rounding is
// exact, so SIMD and TypeScript agree to the bit.
// Integer outputs go through packClampI8 (uint8 as int8 shifted by 128 and flipped back).
import { packClampI8 } from './lib/requant';

/** Rounds half to even and converts: NaN → 0 (then + zp: the real 0), ±large saturates. */
@inline
function roundToInt(v: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(v));
}

/**
 * roundToInt for finite v: clamped to ±2^22 (anything beyond saturates the int8 output anyway),
 * then rounded half to even by the float addition of 1.5·2^23, whose low mantissa bits are the
 * integer: 3 instructions where the NaN-safe conversion takes about 10 in V8.
 */
@inline
function roundFinite(v: v128): v128 {
  const c = f32x4.pmin(f32x4.pmax(v, f32x4.splat(-4194304.0)), f32x4.splat(4194304.0));
  return i32x4.sub(f32x4.add(c, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
}

@inline
function bytesToF32(p: usize, unsigned: bool, zp: v128): v128 {
  const v = v128.load32_zero(p);
  const w = unsigned ? i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v));
  return f32x4.convert_i32x4_s(i32x4.sub(w, zp));
}

@inline
function byteAt(p: usize, unsigned: bool): i32 {
  return unsigned ? <i32>load<u8>(p) : <i32>load<i8>(p);
}

@inline
function clampOne(r: f32, zp: i32, lo: i32, hi: i32, flip: i32): u8 {
  // Scalar twin of roundToInt + packClampI8 (saturating to int16 first, as the narrow does).
  const s: f32 = nearest<f32>(r);
  let v: i32 = s != s ? 0 : s > 32767 ? 32767 : s < -32768 ? -32768 : <i32>s;
  v += zp;
  v = v < lo ? lo : v > hi ? hi : v;
  return <u8>(v ^ (flip != 0 ? 0x80 : 0));
}

/**
 * out[i] = clamp(round_half_even(x[i] / scale) + zp): n float32 at x → n bytes at out. zp/lo/hi
 * on the int8 scale (uint8: shifted down by 128, flip = 1).
 */
export function i8_quantize_f32(n: i32, x: usize, out: usize, scale: f32, zp: i32, lo: i32, hi: i32, flip: i32): void {
  const vs = f32x4.splat(scale);
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const a = roundToInt(f32x4.div(v128.load(p), vs));
    const b = roundToInt(f32x4.div(v128.load(p, 16), vs));
    const c = roundToInt(f32x4.div(v128.load(p, 32), vs));
    const d = roundToInt(f32x4.div(v128.load(p, 48), vs));
    v128.store(out + <usize>i, packClampI8(a, b, c, d, vzp, vlo, vhi, vflip));
  }
  for (; i < n; i++) store<u8>(out + <usize>i, clampOne(load<f32>(x + (<usize>i << 2)) / scale, zp, lo, hi, flip));
}

/** out[i] = (float(q[i]) − float(zp)) · scale: n bytes at q → n float32 at out. */
export function i8_dequantize_f32(n: i32, q: usize, unsignedIn: i32, out: usize, scale: f32, zp: i32): void {
  const u = unsignedIn != 0;
  const vz = i32x4.splat(zp), vs = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), f32x4.mul(bytesToF32(q + <usize>i, u, vz), vs));
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>(byteAt(q + <usize>i, u) - zp) * scale);
}

/** Four lanes of QAdd: a, b widened to int32. */
@inline
function addLanes(a: v128, b: v128, vza: v128, vzb: v128, vsa: v128, vsb: v128, vsy: v128): v128 {
  const real = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(a, vza)), vsa), f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(b, vzb)), vsb));
  return roundFinite(f32x4.div(real, vsy));
}

/**
 * QAdd with floating-point requantization: out = clamp(round_half_even((float(a − za)·sa +
 * float(b − zb)·sb) / sy) + zy). bStride 0 broadcasts b[0]. a, b and out share the dtype.
 * Finite scales give finite sums: roundFinite applies.
 */
export function i8_add_f32rq(
  n: i32, a: usize, b: usize, bStride: i32, out: usize, unsignedIO: i32,
  za: i32, sa: f32, zb: i32, sb: f32, sy: f32, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const u = unsignedIO != 0;
  const vsa = f32x4.splat(sa), vsb = f32x4.splat(sb), vsy = f32x4.splat(sy);
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  let i = 0;
  // uint8 bytes are flipped to int8 (x − 128) with their zero points, so the widening is signed
  // only; a broadcast b is a splat of its byte (the load at b + 0 is then unused but in bounds).
  const vf = i8x16.splat(u ? <i8>0x80 : 0);
  const vza8 = i32x4.splat(u ? za - 128 : za), vzb8 = i32x4.splat(u ? zb - 128 : zb);
  const vbs = i8x16.splat(<i8>load<u8>(b));
  const step = bStride != 0 ? 1 : 0;
  for (; i + 16 <= n; i += 16) {
    const va = v128.xor(v128.load(a + <usize>i), vf);
    const vb = v128.xor(step != 0 ? v128.load(b + <usize>(i * step)) : vbs, vf);
    const a0 = i16x8.extend_low_i8x16_s(va), a1 = i16x8.extend_high_i8x16_s(va);
    const b0 = i16x8.extend_low_i8x16_s(vb), b1 = i16x8.extend_high_i8x16_s(vb);
    const r0 = addLanes(i32x4.extend_low_i16x8_s(a0), i32x4.extend_low_i16x8_s(b0), vza8, vzb8, vsa, vsb, vsy);
    const r1 = addLanes(i32x4.extend_high_i16x8_s(a0), i32x4.extend_high_i16x8_s(b0), vza8, vzb8, vsa, vsb, vsy);
    const r2 = addLanes(i32x4.extend_low_i16x8_s(a1), i32x4.extend_low_i16x8_s(b1), vza8, vzb8, vsa, vsb, vsy);
    const r3 = addLanes(i32x4.extend_high_i16x8_s(a1), i32x4.extend_high_i16x8_s(b1), vza8, vzb8, vsa, vsb, vsy);
    v128.store(out + <usize>i, packClampI8(r0, r1, r2, r3, vzp, vlo, vhi, vflip));
  }
  for (; i < n; i++) {
    const ra = <f32>(byteAt(a + <usize>i, u) - za) * sa;
    const rb = <f32>(byteAt(b + <usize>(bStride == 0 ? 0 : i), u) - zb) * sb;
    store<u8>(out + <usize>i, clampOne((ra + rb) / sy, zp, lo, hi, flip));
  }
}

/**
 * QGlobalAveragePool with floating-point requantization: per plane of `size` bytes, the exact
 * integer sum of (x − zx) (|sum| < 2^24, checked by the host, so float32 holds it exactly),
 * avg = sum / size in float32, out = clamp(round_half_even(avg·sx / sy) + zp).
 */
export function i8_global_avg_f32rq(
  x: usize, planes: i32, size: i32, unsignedIn: i32, zx: i32, sx: f32, sy: f32, out: usize, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const u = unsignedIn != 0;
  for (let pl = 0; pl < planes; pl++) {
    const p = x + <usize>pl * <usize>size;
    let acc = i32x4.splat(0);
    let i = 0;
    for (; i + 16 <= size; i += 16) {
      const v = v128.load(p + <usize>i);
      acc = i32x4.add(acc, u ? i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)) : i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v)));
    }
    let sum = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    for (; i < size; i++) sum += byteAt(p + <usize>i, u);
    sum -= zx * size;
    const avg = <f32>sum / <f32>size;
    store<u8>(out + <usize>pl, clampOne((avg * sx) / sy, zp, lo, hi, flip));
  }
}

/**
 * QAveragePool (2-D) with floating-point requantization, as the float pool kernel on (x − zx)
 * followed by QuantizeLinear: per window the exact integer sum of (x − zx) over in-image taps,
 * divided in float32 by (counted rows) · (counted columns) — counted: inside the input, or inside
 * the padded extent with includePad —, then out = clamp(round_half_even(avg·sx / sy) + zp).
 * The host guarantees every window counts at least one row and one column.
 */
export function i8_avgpool_f32rq(
  x: usize, planes: i32, H: i32, W: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  padT: i32, padL: i32, padB: i32, padR: i32, includePad: i32, unsignedIn: i32, zx: i32, sx: f32, sy: f32,
  out: usize, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const u = unsignedIn != 0;
  const rowLo = includePad != 0 ? -padT : 0, rowHi = includePad != 0 ? H + padB : H;
  const colLo = includePad != 0 ? -padL : 0, colHi = includePad != 0 ? W + padR : W;
  for (let pl = 0; pl < planes; pl++) {
    const p = x + <usize>pl * <usize>H * <usize>W;
    const o = out + <usize>pl * <usize>OH * <usize>OW;
    for (let oy = 0; oy < OH; oy++) {
      const iy0 = oy * sh - padT;
      let rows = 0;
      for (let ky = 0; ky < kh; ky++) rows += <i32>(iy0 + ky * dh >= rowLo && iy0 + ky * dh < rowHi);
      for (let ox = 0; ox < OW; ox++) {
        const ix0 = ox * sw - padL;
        let cols = 0;
        for (let kx = 0; kx < kw; kx++) cols += <i32>(ix0 + kx * dw >= colLo && ix0 + kx * dw < colHi);
        let sum = 0, taps = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (<u32>iy >= <u32>H) continue;
          const row = p + <usize>iy * <usize>W;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (<u32>ix >= <u32>W) continue;
            sum += byteAt(row + <usize>ix, u);
            taps++;
          }
        }
        const avg = <f32>(sum - zx * taps) / (<f32>rows * <f32>cols);
        store<u8>(o + <usize>oy * <usize>OW + <usize>ox, clampOne((avg * sx) / sy, zp, lo, hi, flip));
      }
    }
  }
}
