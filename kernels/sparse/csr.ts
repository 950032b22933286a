// Drives the unstructured (SELL-4) kernels for Y[M×N] = X[M×K]·W:
//  - fewer than CSR_BATCH_ROWS rows: one row at a time, 4 columns per vector, the inputs
//    gathered lane by lane (wasm/lib/spmm-sell4.ts sell4GemvStaged: the row copied to a fixed
//    address and the indices stored as byte offsets, when K <= CSR_OFFSET_MAX_K; else sell4Gemv);
//  - otherwise X is transposed to XT[K×Mp] and the batch rows become the vector lanes, as the
//    pixels of an NCHW 1×1 convolution are in Fast Sparse ConvNets (sell4Dense, tiles of up to
//    32 rows); the results are stored transposed straight into Y.
import type { Runtime } from '../runtime.js';
import type { PackedSparse } from './pack.js';
import { scratch } from './scratch.js';

/**
 * Rows from which the transposed batch kernel runs instead of one gathered GEMV per row. Set by
 * operation count (a 4-row tile costs about what one gathered row does), not yet measured at M = 2, 3.
 */
export const CSR_BATCH_ROWS = 2;

export function csrGemmF32(rt: Runtime, M: number, xPtr: number, lda: number, p: PackedSparse, yPtr: number, ldc: number, act: number, p0: number, p1: number): void {
  const w = rt.wasm!;
  const base = p.ptr;
  const { meta, idx, val } = p.sections;
  const int8 = p.weightType === 'int8';
  if (M < CSR_BATCH_ROWS) {
    if (p.indexUnit === 4) {
      const gemv = int8 ? w.spmm_sell4_gemv_staged_i8f32 : w.spmm_sell4_gemv_staged_f32;
      for (let m = 0; m < M; m++) gemv(p.K, p.groups, base + meta, base + idx, base + val, xPtr + m * lda * 4, yPtr + m * ldc * 4, act, p0, p1);
      return;
    }
    const gemv = int8 ? w.spmm_sell4_gemv_i8f32 : w.spmm_sell4_gemv_f32;
    for (let m = 0; m < M; m++) gemv(p.groups, base + meta, base + idx, base + val, xPtr + m * lda * 4, yPtr + m * ldc * 4, act, p0, p1);
    return;
  }
  const Mp = (M + 3) & ~3;
  const xt = scratch(rt.arena, 'transposed activations', p.K * Mp * 4);
  w.spmm_transpose_f32(xPtr, lda * 4, M, p.K, xt, Mp);
  const dense = int8 ? w.spmm_sell4_dense_i8f32 : w.spmm_sell4_dense_f32;
  dense(p.groups, base + meta, base + idx, base + val, xt, indexStride(p, Mp * 4), M, yPtr, 0, ldc * 4, act, p0, p1);
}

/** int8 weights × int8/uint8 activations (minus zeroPoint) → int32. */
export function csrGemmI32(rt: Runtime, M: number, xPtr: number, lda: number, zeroPoint: number, signed: boolean, p: PackedSparse, yPtr: number, ldc: number): void {
  const w = rt.wasm!;
  const base = p.ptr;
  const { meta, idx, val } = p.sections;
  if (M < CSR_BATCH_ROWS) {
    const row = scratch(rt.arena, 'widened activations', p.K * 4);
    for (let m = 0; m < M; m++) {
      w.spmm_widen_i8(xPtr + m * lda, lda, 1, p.K, zeroPoint, signed ? 1 : 0, row, 1);
      if (p.indexUnit === 4) w.spmm_sell4_gemv_staged_i8i32(p.K, p.groups, base + meta, base + idx, base + val, row, yPtr + m * ldc * 4);
      else w.spmm_sell4_gemv_i8i32(p.groups, base + meta, base + idx, base + val, row, yPtr + m * ldc * 4);
    }
    return;
  }
  const Mp = (M + 3) & ~3;
  const xt = scratch(rt.arena, 'widened activations', p.K * Mp * 4);
  w.spmm_widen_i8(xPtr, lda, M, p.K, zeroPoint, signed ? 1 : 0, xt, Mp);
  w.spmm_sell4_dense_i8i32(p.groups, base + meta, base + idx, base + val, xt, indexStride(p, Mp * 4), M, yPtr, 0, ldc * 4);
}

/**
 * The bytes one stored index unit advances in an input of `rowBytes` per k (sell4Dense reads
 * row idx * stride): rowBytes / 4 when the indices are byte offsets 4k. rowBytes is a multiple of 4.
 */
export function indexStride(p: PackedSparse, rowBytes: number): number {
  return rowBytes / p.indexUnit;
}
