// Single-row GEMM kernels (GEMV, and the M % 4 rows the 4x8 tile leaves over).
// With one row there is no reuse of B across rows, so the only way to keep the FMA units busy
// is many independent accumulators: walk four panels at once (8 accumulators), or split the
// k range of one panel into even/odd halves (4 accumulators) when fewer panels remain.
// Same conventions as gemm-4x8.ts: panels are `pstride` bytes apart; with BIAS_COLUMNS each
// panel's 8 biases sit at `bias` + p * pstride, with BIAS_ROWS one float at `bias` is splat.
import { madd } from './vmath';
import { applyAct, ACT_NONE } from './activation';
import { BIAS_COLUMNS, BIAS_ROWS } from './gemm-4x8';

@inline
function initPair(bias: usize, biasMode: i32, c: usize, initFromC: bool, hi: bool): v128 {
  let x = f32x4.splat(0);
  if (biasMode == BIAS_COLUMNS) x = hi ? v128.load(bias, 16) : v128.load(bias);
  else if (biasMode == BIAS_ROWS) x = v128.load_splat<f32>(bias);
  if (initFromC) x = f32x4.add(x, hi ? v128.load(c, 16) : v128.load(c));
  return x;
}

/** c[0..32) (=|+=) a[0..kc) · four consecutive panels (+ bias), then the activation. */
export function gemmRow1x32(
  a: usize, w: usize, pstride: usize, kc: i32, c: usize,
  bias: usize, biasMode: i32, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  const bstride = biasMode == BIAS_COLUMNS ? pstride : 0;
  let x00 = initPair(bias, biasMode, c, initFromC, false), x01 = initPair(bias, biasMode, c, initFromC, true);
  let x10 = initPair(bias + bstride, biasMode, c + 32, initFromC, false), x11 = initPair(bias + bstride, biasMode, c + 32, initFromC, true);
  let x20 = initPair(bias + 2 * bstride, biasMode, c + 64, initFromC, false), x21 = initPair(bias + 2 * bstride, biasMode, c + 64, initFromC, true);
  let x30 = initPair(bias + 3 * bstride, biasMode, c + 96, initFromC, false), x31 = initPair(bias + 3 * bstride, biasMode, c + 96, initFromC, true);
  let w0 = w, w1 = w + pstride, w2 = w1 + pstride, w3 = w2 + pstride;
  let k = kc;
  while (k >= 2) {
    let va = v128.load_splat<f32>(a);
    x00 = madd(va, v128.load(w0), x00); x01 = madd(va, v128.load(w0, 16), x01);
    x10 = madd(va, v128.load(w1), x10); x11 = madd(va, v128.load(w1, 16), x11);
    x20 = madd(va, v128.load(w2), x20); x21 = madd(va, v128.load(w2, 16), x21);
    x30 = madd(va, v128.load(w3), x30); x31 = madd(va, v128.load(w3, 16), x31);
    va = v128.load_splat<f32>(a, 4);
    x00 = madd(va, v128.load(w0, 32), x00); x01 = madd(va, v128.load(w0, 48), x01);
    x10 = madd(va, v128.load(w1, 32), x10); x11 = madd(va, v128.load(w1, 48), x11);
    x20 = madd(va, v128.load(w2, 32), x20); x21 = madd(va, v128.load(w2, 48), x21);
    x30 = madd(va, v128.load(w3, 32), x30); x31 = madd(va, v128.load(w3, 48), x31);
    a += 8; w0 += 64; w1 += 64; w2 += 64; w3 += 64; k -= 2;
  }
  if (k > 0) {
    const va = v128.load_splat<f32>(a);
    x00 = madd(va, v128.load(w0), x00); x01 = madd(va, v128.load(w0, 16), x01);
    x10 = madd(va, v128.load(w1), x10); x11 = madd(va, v128.load(w1, 16), x11);
    x20 = madd(va, v128.load(w2), x20); x21 = madd(va, v128.load(w2, 16), x21);
    x30 = madd(va, v128.load(w3), x30); x31 = madd(va, v128.load(w3, 16), x31);
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

/** c[0..8) (=|+=) a[0..kc) · one panel (+ bias), then the activation. */
export function gemmRow1x8(
  a: usize, w: usize, kc: i32, c: usize,
  bias: usize, biasMode: i32, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  let x0 = initPair(bias, biasMode, c, initFromC, false), x1 = initPair(bias, biasMode, c, initFromC, true);
  // Even k into x*, odd k into y*: two independent chains per output vector.
  let y0 = f32x4.splat(0), y1 = f32x4.splat(0);
  let k = kc;
  while (k >= 2) {
    const va = v128.load_splat<f32>(a), vb = v128.load_splat<f32>(a, 4);
    x0 = madd(va, v128.load(w), x0); x1 = madd(va, v128.load(w, 16), x1);
    y0 = madd(vb, v128.load(w, 32), y0); y1 = madd(vb, v128.load(w, 48), y1);
    a += 8; w += 64; k -= 2;
  }
  if (k > 0) {
    const va = v128.load_splat<f32>(a);
    x0 = madd(va, v128.load(w), x0); x1 = madd(va, v128.load(w, 16), x1);
  }
  x0 = f32x4.add(x0, y0); x1 = f32x4.add(x1, y1);
  if (act != ACT_NONE) {
    x0 = applyAct(x0, act, p0, p1); x1 = applyAct(x1, act, p0, p1);
  }
  v128.store(c, x0); v128.store(c, x1, 16);
}
