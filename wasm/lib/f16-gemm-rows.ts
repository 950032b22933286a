// Single-row (GEMV) kernels of the fp16-weight GEMM that widen the halves in registers.
//
// With one row of A nothing is reused across rows, so widening a panel slice into a scratch
// first (what the M > 1 path does) would only add a store and a load per weight. Here every k
// loads 8 halves of each panel (16 bytes, half the fp32 traffic) and widens them in registers
// (lib/f16-convert.ts: interleave, shift, mask, and a multiply by 2^112). Only for weights
// without inf/NaN halves (the packer records that); the driver routes the others through the
// exact widening of the M > 1 path.
//
// "prescaled" variants skip the multiply by 2^112 per weight: they multiply the broadcast
// element of A by 2^112 instead (once per k for all columns). a·2^112 times w·2^-112 is the same
// real number as a·w, so every product, and the sum, rounds exactly as before. The driver uses
// them only when every |a| < 2^16, so a·2^112 cannot overflow.
//
// Panels: `pstride` bytes apart, 8 halves per k; `bias` points at the first panel's 8 biases
// (the next ones pstride further on), 0 for none.
import { madd } from './vmath';
import { applyAct, ACT_NONE } from './activation';
import { halvesHighToHigh32, halvesLowToHigh32, WIDEN_CONSTANTS } from './f16-convert';

/** Halves 0..3 (lo) or 4..7 of `h` as floats, or as floats / 2^112 when prescaled. */
@inline
function widen(h: v128, low: bool, mask: v128, scale: v128, prescaled: bool): v128 {
  const bits = v128.and(i32x4.shr_s(low ? halvesLowToHigh32(h) : halvesHighToHigh32(h), 3), mask);
  return prescaled ? bits : f32x4.mul(bits, scale);
}

@inline
function splatA(a: usize, scale: v128, prescaled: bool): v128 {
  const v = v128.load_splat<f32>(a);
  return prescaled ? f32x4.mul(v, scale) : v;
}

@inline
function init(bias: usize, c: usize, initFromC: bool, offset: usize): v128 {
  let x = bias != 0 ? v128.load(bias + offset) : f32x4.splat(0);
  if (initFromC) x = f32x4.add(x, v128.load(c + offset));
  return x;
}

/** c[0..16) (=|+=) a[0..kc) · two consecutive panels of halves (+ bias), then the activation. */
@inline
function row1x16(
  a: usize, w: usize, pstride: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32, prescaled: bool,
): void {
  const bs = bias != 0 ? pstride : 0;
  let x00 = init(bias, c, initFromC, 0), x01 = init(bias, c, initFromC, 16);
  let x10 = init(bias + bs, c + 32, initFromC, 0), x11 = init(bias + bs, c + 32, initFromC, 16);
  // Loaded, not v128.const: V8 11.3 re-materialises constants inside a loop short of registers.
  const mask = v128.load(WIDEN_CONSTANTS), scale = v128.load(WIDEN_CONSTANTS, 16);
  let w0 = w, w1 = w + pstride;
  let k = kc;
  // Two k per iteration: the loop overhead (V8 adds a stack check) is a fifth of the body.
  while (k >= 2) {
    let va = splatA(a, scale, prescaled);
    let h = v128.load(w0);
    x00 = madd(va, widen(h, true, mask, scale, prescaled), x00);
    x01 = madd(va, widen(h, false, mask, scale, prescaled), x01);
    h = v128.load(w1);
    x10 = madd(va, widen(h, true, mask, scale, prescaled), x10);
    x11 = madd(va, widen(h, false, mask, scale, prescaled), x11);
    va = splatA(a + 4, scale, prescaled);
    h = v128.load(w0, 16);
    x00 = madd(va, widen(h, true, mask, scale, prescaled), x00);
    x01 = madd(va, widen(h, false, mask, scale, prescaled), x01);
    h = v128.load(w1, 16);
    x10 = madd(va, widen(h, true, mask, scale, prescaled), x10);
    x11 = madd(va, widen(h, false, mask, scale, prescaled), x11);
    a += 8; w0 += 32; w1 += 32; k -= 2;
  }
  if (k > 0) {
    const va = splatA(a, scale, prescaled);
    let h = v128.load(w0);
    x00 = madd(va, widen(h, true, mask, scale, prescaled), x00);
    x01 = madd(va, widen(h, false, mask, scale, prescaled), x01);
    h = v128.load(w1);
    x10 = madd(va, widen(h, true, mask, scale, prescaled), x10);
    x11 = madd(va, widen(h, false, mask, scale, prescaled), x11);
  }
  if (act != ACT_NONE) {
    x00 = applyAct(x00, act, p0, p1); x01 = applyAct(x01, act, p0, p1);
    x10 = applyAct(x10, act, p0, p1); x11 = applyAct(x11, act, p0, p1);
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c, x10, 32); v128.store(c, x11, 48);
}

/** c[0..8) (=|+=) a[0..kc) · one panel of halves (+ bias), then the activation. */
@inline
function row1x8(
  a: usize, w: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32, prescaled: bool,
): void {
  let x0 = init(bias, c, initFromC, 0), x1 = init(bias, c, initFromC, 16);
  // Even k into x*, odd k into y*: two independent chains per output vector.
  let y0 = f32x4.splat(0), y1 = f32x4.splat(0);
  const mask = v128.load(WIDEN_CONSTANTS), scale = v128.load(WIDEN_CONSTANTS, 16);
  let k = kc;
  while (k >= 2) {
    const va = splatA(a, scale, prescaled), vb = splatA(a + 4, scale, prescaled);
    let h = v128.load(w);
    x0 = madd(va, widen(h, true, mask, scale, prescaled), x0);
    x1 = madd(va, widen(h, false, mask, scale, prescaled), x1);
    h = v128.load(w, 16);
    y0 = madd(vb, widen(h, true, mask, scale, prescaled), y0);
    y1 = madd(vb, widen(h, false, mask, scale, prescaled), y1);
    a += 8; w += 32; k -= 2;
  }
  if (k > 0) {
    const va = splatA(a, scale, prescaled);
    const h = v128.load(w);
    x0 = madd(va, widen(h, true, mask, scale, prescaled), x0);
    x1 = madd(va, widen(h, false, mask, scale, prescaled), x1);
  }
  x0 = f32x4.add(x0, y0); x1 = f32x4.add(x1, y1);
  if (act != ACT_NONE) {
    x0 = applyAct(x0, act, p0, p1); x1 = applyAct(x1, act, p0, p1);
  }
  v128.store(c, x0); v128.store(c, x1, 16);
}

export function f16RowHalves1x16(
  a: usize, w: usize, pstride: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  row1x16(a, w, pstride, kc, c, bias, initFromC, act, p0, p1, false);
}

export function f16RowHalves1x16Prescaled(
  a: usize, w: usize, pstride: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  row1x16(a, w, pstride, kc, c, bias, initFromC, act, p0, p1, true);
}

export function f16RowHalves1x8(
  a: usize, w: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  row1x8(a, w, kc, c, bias, initFromC, act, p0, p1, false);
}

export function f16RowHalves1x8Prescaled(
  a: usize, w: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  row1x8(a, w, kc, c, bias, initFromC, act, p0, p1, true);
}
