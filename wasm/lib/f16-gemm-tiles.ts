// fp32 microkernels of the fp16-weight GEMM, over one panel slice already widened to floats
// (kc x 8 floats, 32 bytes per k, in an L1-resident scratch; see f16-gemm.ts). They are the
// fp32 GEMM's 4x8 design (wasm/lib/gemm-4x8.ts) kept separate so the two can evolve apart.
//
// 8 accumulators + 2 B vectors + 1 broadcast = 11 live v128, under the 15 V8 x64 gives.
// With `bias` != 0 the accumulators start from the 8 floats at `bias`; with initFromC they add
// what C holds (a K-blocked continuation, or `accumulate`).
import { madd } from './vmath';
import { applyAct, ACT_NONE } from './activation';

/** C[4x8] (=|+=) A[4 x kc] · W[kc x 8] (+ bias), then the activation. lda/ldc in bytes. */
export function f16TileF32x4x8(
  a: usize, lda: usize, w: usize, kc: i32, c: usize, ldc: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
  if (bias != 0) {
    x00 = v128.load(bias); x01 = v128.load(bias, 16);
  }
  let x10 = x00, x11 = x01, x20 = x00, x21 = x01, x30 = x00, x31 = x01;
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (initFromC) {
    x00 = f32x4.add(x00, v128.load(c)); x01 = f32x4.add(x01, v128.load(c, 16));
    x10 = f32x4.add(x10, v128.load(c1)); x11 = f32x4.add(x11, v128.load(c1, 16));
    x20 = f32x4.add(x20, v128.load(c2)); x21 = f32x4.add(x21, v128.load(c2, 16));
    x30 = f32x4.add(x30, v128.load(c3)); x31 = f32x4.add(x31, v128.load(c3, 16));
  }
  let a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
  // One k per iteration: unrolled by hand, Binaryen hoists the loads of several steps ahead of
  // their multiply-adds and the loop spills.
  for (let k = kc; k > 0; k--) {
    const b0 = v128.load(w), b1 = v128.load(w, 16);
    let va = v128.load_splat<f32>(a0); x00 = madd(va, b0, x00); x01 = madd(va, b1, x01);
    va = v128.load_splat<f32>(a1); x10 = madd(va, b0, x10); x11 = madd(va, b1, x11);
    va = v128.load_splat<f32>(a2); x20 = madd(va, b0, x20); x21 = madd(va, b1, x21);
    va = v128.load_splat<f32>(a3); x30 = madd(va, b0, x30); x31 = madd(va, b1, x31);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; w += 32;
  }
  if (act != ACT_NONE) {
    x00 = applyAct(x00, act, p0, p1); x01 = applyAct(x01, act, p0, p1);
    x10 = applyAct(x10, act, p0, p1); x11 = applyAct(x11, act, p0, p1);
    x20 = applyAct(x20, act, p0, p1); x21 = applyAct(x21, act, p0, p1);
    x30 = applyAct(x30, act, p0, p1); x31 = applyAct(x31, act, p0, p1);
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** c[0..8) (=|+=) a[0..kc) · W[kc x 8] (+ bias), then the activation. */
export function f16RowF32x8(
  a: usize, w: usize, kc: i32, c: usize,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
  if (bias != 0) {
    x0 = v128.load(bias); x1 = v128.load(bias, 16);
  }
  if (initFromC) {
    x0 = f32x4.add(x0, v128.load(c)); x1 = f32x4.add(x1, v128.load(c, 16));
  }
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
