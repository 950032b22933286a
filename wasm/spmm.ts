// Sparse weights times dense activations: the exports kernels/sparse/*.ts call.
// Weight flavours (suffix): f32 (float weights, float activations), i8f32 (int8 weights with a
// per-output-channel scale, float activations, float out), i8i32 (int8 weights, activations
// widened to int32 minus their zero point, raw int32 out). Formats: see wasm/lib/spmm-*.ts.
import { sell4Gemv, sell4GemvStaged, sell4Dense } from './lib/spmm-sell4';
import { bsrGemm } from './lib/spmm-bsr';
import { nmGemm } from './lib/spmm-nm';
import { transposeRows, widenTranspose } from './lib/spmm-layout';
import { im2colRows } from './lib/spmm-im2col';

// ---- unstructured, SELL-4 by output column (lib/spmm-sell4.ts) ----

export function spmm_sell4_gemv_f32(G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize, act: i32, p0: f32, p1: f32): void {
  sell4Gemv<f32, f32>(G, meta, idx, val, x, y, act, p0, p1);
}
export function spmm_sell4_gemv_i8f32(G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize, act: i32, p0: f32, p1: f32): void {
  sell4Gemv<i8, f32>(G, meta, idx, val, x, y, act, p0, p1);
}
export function spmm_sell4_gemv_i8i32(G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize): void {
  sell4Gemv<i8, i32>(G, meta, idx, val, x, y, 0, 0, 0);
}

// Batch 1 with byte-offset indices (K <= 16384, see sell4GemvStaged).
export function spmm_sell4_gemv_staged_f32(K: i32, G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize, act: i32, p0: f32, p1: f32): void {
  sell4GemvStaged<f32, f32>(K, G, meta, idx, val, x, y, act, p0, p1);
}
export function spmm_sell4_gemv_staged_i8f32(K: i32, G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize, act: i32, p0: f32, p1: f32): void {
  sell4GemvStaged<i8, f32>(K, G, meta, idx, val, x, y, act, p0, p1);
}
export function spmm_sell4_gemv_staged_i8i32(K: i32, G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize): void {
  sell4GemvStaged<i8, i32>(K, G, meta, idx, val, x, y, 0, 0, 0);
}

/** Out = W · In for In stored by rows (NCHW pixels, or a transposed batch); see sell4Dense. */
export function spmm_sell4_dense_f32(
  G: i32, meta: usize, idx: usize, val: usize, x: usize, rowBytes: usize, P: i32,
  y: usize, ldy: usize, ldyT: usize, act: i32, p0: f32, p1: f32,
): void {
  sell4Dense<f32, f32>(G, meta, idx, val, x, rowBytes, P, y, ldy, ldyT, act, p0, p1);
}
export function spmm_sell4_dense_i8f32(
  G: i32, meta: usize, idx: usize, val: usize, x: usize, rowBytes: usize, P: i32,
  y: usize, ldy: usize, ldyT: usize, act: i32, p0: f32, p1: f32,
): void {
  sell4Dense<i8, f32>(G, meta, idx, val, x, rowBytes, P, y, ldy, ldyT, act, p0, p1);
}
export function spmm_sell4_dense_i8i32(
  G: i32, meta: usize, idx: usize, val: usize, x: usize, rowBytes: usize, P: i32, y: usize, ldy: usize, ldyT: usize,
): void {
  sell4Dense<i8, i32>(G, meta, idx, val, x, rowBytes, P, y, ldy, ldyT, 0, 0, 0);
}

// ---- block sparse, 4 output columns per block (lib/spmm-bsr.ts) ----

export function spmm_bsr_f32(
  M: i32, B: i32, N: i32, meta: usize, idx4: usize, val4: usize, idx1: usize, val1: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  bsrGemm<f32, f32>(M, B, N, meta, idx4, val4, idx1, val1, x, lda, y, ldy, act, p0, p1);
}
export function spmm_bsr_i8f32(
  M: i32, B: i32, N: i32, meta: usize, idx4: usize, val4: usize, idx1: usize, val1: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  bsrGemm<i8, f32>(M, B, N, meta, idx4, val4, idx1, val1, x, lda, y, ldy, act, p0, p1);
}
export function spmm_bsr_i8i32(
  M: i32, B: i32, N: i32, meta: usize, idx4: usize, val4: usize, idx1: usize, val1: usize,
  x: usize, lda: usize, y: usize, ldy: usize,
): void {
  bsrGemm<i8, i32>(M, B, N, meta, idx4, val4, idx1, val1, x, lda, y, ldy, 0, 0, 0);
}

// ---- 2:4 along K (lib/spmm-nm.ts) ----

export function spmm_nm_f32(
  M: i32, B: i32, N: i32, Kg: i32, meta: usize, codes: usize, val: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  nmGemm<f32, f32>(M, B, N, Kg, meta, codes, val, x, lda, y, ldy, act, p0, p1);
}
export function spmm_nm_i8f32(
  M: i32, B: i32, N: i32, Kg: i32, meta: usize, codes: usize, val: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  nmGemm<i8, f32>(M, B, N, Kg, meta, codes, val, x, lda, y, ldy, act, p0, p1);
}
export function spmm_nm_i8i32(
  M: i32, B: i32, N: i32, Kg: i32, meta: usize, codes: usize, val: usize, x: usize, lda: usize, y: usize, ldy: usize,
): void {
  nmGemm<i8, i32>(M, B, N, Kg, meta, codes, val, x, lda, y, ldy, 0, 0, 0);
}

// ---- activation layouts (lib/spmm-layout.ts) ----

export function spmm_transpose_f32(x: usize, lda: usize, M: i32, K: i32, out: usize, Mp: i32): void {
  transposeRows(x, lda, M, K, out, Mp);
}
export function spmm_widen_i8(x: usize, lda: usize, M: i32, K: i32, zeroPoint: i32, signed: i32, out: usize, Mp: i32): void {
  widenTranspose(x, lda, M, K, zeroPoint, signed, out, Mp);
}

// ---- sparse convolution's im2col rows (lib/spmm-im2col.ts) ----

export function spmm_im2col_rows(
  inp: usize, C: i32, H: i32, W: i32, kH: i32, kW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  OW: i32, pix0: i32, np: i32, out: usize, rowFloats: i32,
): void {
  im2colRows(inp, C, H, W, kH, kW, sh, sw, pt, pl, dh, dw, OW, pix0, np, out, rowFloats);
}
