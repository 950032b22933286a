// Drives the structured kernels (blocks of 4 output columns: BSR 1×4 / 4×4, and 2:4 along K)
// for Y[M×N] = X[M×K]·W. X stays row-major: each block is one broadcast input times one vector
// of 4 columns' weights, rows in tiles of 8 (BSR) or 4 (2:4), then one by one.
import type { Runtime } from '../runtime.js';
import type { PackedSparse } from './pack.js';
import { scratch } from './scratch.js';

export function blockGemmF32(rt: Runtime, M: number, xPtr: number, lda: number, p: PackedSparse, yPtr: number, ldc: number, act: number, p0: number, p1: number): void {
  const w = rt.wasm!;
  const s = p.sections;
  const b = p.ptr;
  const int8 = p.weightType === 'int8';
  if (p.format === '2:4') {
    (int8 ? w.spmm_nm_i8f32 : w.spmm_nm_f32)(M, p.groups, p.N, p.kGroups, b + s.meta, b + s.codes, b + s.val, xPtr, lda * 4, yPtr, ldc * 4, act, p0, p1);
    return;
  }
  (int8 ? w.spmm_bsr_i8f32 : w.spmm_bsr_f32)(M, p.groups, p.N, b + s.meta, b + s.idx4, b + s.val4, b + s.idx1, b + s.val1, xPtr, lda * 4, yPtr, ldc * 4, act, p0, p1);
}

/** int8 weights × int8/uint8 activations (minus zeroPoint) → int32; X widened to int32 rows first. */
export function blockGemmI32(rt: Runtime, M: number, xPtr: number, lda: number, zeroPoint: number, signed: boolean, p: PackedSparse, yPtr: number, ldc: number): void {
  const w = rt.wasm!;
  const s = p.sections;
  const b = p.ptr;
  const K = p.K;
  const rowBytes = K * 4;
  const wide = scratch(rt.arena, 'widened activations', M * rowBytes);
  for (let m = 0; m < M; m++) w.spmm_widen_i8(xPtr + m * lda, lda, 1, K, zeroPoint, signed ? 1 : 0, wide + m * rowBytes, 1);
  if (p.format === '2:4') {
    w.spmm_nm_i8i32(M, p.groups, p.N, p.kGroups, b + s.meta, b + s.codes, b + s.val, wide, rowBytes, yPtr, ldc * 4);
    return;
  }
  w.spmm_bsr_i8i32(M, p.groups, p.N, b + s.meta, b + s.idx4, b + s.val4, b + s.idx1, b + s.val1, wide, rowBytes, yPtr, ldc * 4);
}
