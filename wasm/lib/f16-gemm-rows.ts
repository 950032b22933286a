// Single-row (GEMV) kernels of the fp16-weight GEMM that widen the halves in registers.
//
// With one row of A nothing is reused across rows, so widening a panel slice into a scratch
// first (what the M > 1 path does) would only add a store and a load per weight. Here every k
// loads 8 halves of each panel (16 bytes, half the fp32 traffic) and widens them with an
// interleave, a shift, a mask and a multiply per 4 weights (lib/f16-convert.ts). Only for
// weights without inf/NaN halves (the packer records that); the driver routes the others
// through the exact widening of the M > 1 path.
//
// Panels: `pstride` bytes apart, 8 halves per k; `bias` points at the first panel's 8 biases
// (the next ones pstride further on), 0 for none.
import { madd } from './vmath';
import { applyAct, ACT_NONE } from './activation';
import { finiteHalvesHighToFloats, halvesHighToHigh32, halvesLowToHigh32 } from './f16-convert';

@inline
function lo(h: v128): v128 {
  return finiteHalvesHighToFloats(halvesLowToHigh32(h));
}

@inline
function hi(h: v128): v128 {
  return finiteHalvesHighToFloats(halvesHighToHigh32(h));
}

@inline
function init(bias: usize, c: usize, initFromC: bool, offset: usize): v128 {
  let x = bias != 0 ? v128.load(bias + offset) : f32x4.splat(0);
  if (initFromC) x = f32x4.add(x, v128.load(c + offset));
  return x;
}

/** c[0..32) (=|+=) a[0..kc) · four consecutive panels of halves (+ bias), then the activation. */
export function f16RowHalves1x32(
  a: usize, w: usize, pstride: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  const bs = bias != 0 ? pstride : 0;
  let x00 = init(bias, c, initFromC, 0), x01 = init(bias, c, initFromC, 16);
  let x10 = init(bias + bs, c + 32, initFromC, 0), x11 = init(bias + bs, c + 32, initFromC, 16);
  let x20 = init(bias + 2 * bs, c + 64, initFromC, 0), x21 = init(bias + 2 * bs, c + 64, initFromC, 16);
  let x30 = init(bias + 3 * bs, c + 96, initFromC, 0), x31 = init(bias + 3 * bs, c + 96, initFromC, 16);
  let w0 = w, w1 = w + pstride, w2 = w1 + pstride, w3 = w2 + pstride;
  for (let k = kc; k > 0; k--) {
    const va = v128.load_splat<f32>(a);
    let h = v128.load(w0); x00 = madd(va, lo(h), x00); x01 = madd(va, hi(h), x01);
    h = v128.load(w1); x10 = madd(va, lo(h), x10); x11 = madd(va, hi(h), x11);
    h = v128.load(w2); x20 = madd(va, lo(h), x20); x21 = madd(va, hi(h), x21);
    h = v128.load(w3); x30 = madd(va, lo(h), x30); x31 = madd(va, hi(h), x31);
    a += 4; w0 += 16; w1 += 16; w2 += 16; w3 += 16;
  }
  if (act != ACT_NONE) {
    x00 = applyAct(x00, act, p0, p1); x01 = applyAct(x01, act, p0, p1);
    x10 = applyAct(x10, act, p0, p1); x11 = applyAct(x11, act, p0, p1);
    x20 = applyAct(x20, act, p0, p1); x21 = applyAct(x21, act, p0, p1);
    x30 = applyAct(x30, act, p0, p1); x31 = applyAct(x31, act, p0, p1);
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c, x10, 32); v128.store(c, x11, 48);
  v128.store(c, x20, 64); v128.store(c, x21, 80);
  v128.store(c, x30, 96); v128.store(c, x31, 112);
}

/** c[0..8) (=|+=) a[0..kc) · one panel of halves (+ bias), then the activation. */
export function f16RowHalves1x8(
  a: usize, w: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  let x0 = init(bias, c, initFromC, 0), x1 = init(bias, c, initFromC, 16);
  // Even k into x*, odd k into y*: two independent chains per output vector.
  let y0 = f32x4.splat(0), y1 = f32x4.splat(0);
  let k = kc;
  while (k >= 2) {
    const va = v128.load_splat<f32>(a), vb = v128.load_splat<f32>(a, 4);
    let h = v128.load(w); x0 = madd(va, lo(h), x0); x1 = madd(va, hi(h), x1);
    h = v128.load(w, 16); y0 = madd(vb, lo(h), y0); y1 = madd(vb, hi(h), y1);
    a += 8; w += 32; k -= 2;
  }
  if (k > 0) {
    const va = v128.load_splat<f32>(a);
    const h = v128.load(w); x0 = madd(va, lo(h), x0); x1 = madd(va, hi(h), x1);
  }
  x0 = f32x4.add(x0, y0); x1 = f32x4.add(x1, y1);
  if (act != ACT_NONE) {
    x0 = applyAct(x0, act, p0, p1); x1 = applyAct(x1, act, p0, p1);
  }
  v128.store(c, x0); v128.store(c, x1, 16);
}
