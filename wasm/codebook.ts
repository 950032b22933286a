// Clustered-weight (codebook) GEMM: Y[M x N] = X[M x K] · W + bias, act, W[k][n] =
// codebook[index]. Layouts: wasm/lib/spmm-codebook.ts. Two designs, picked per shape by
// kernels/sparse/codebook.ts from measured crossovers:
//  (a) codebook_gemm_decode: decode a block of 4 panels x kc rows into L1, run the dense
//      microkernels (4x8 tile over packed A strips, 1x32/1x8 for the M % 4 rows) on it;
//  (a') codebook_gemv4: batch 1, 4-bit per-tensor codebook: the decode feeds the FMAs from
//      registers (nothing to amortize a decoded panel over);
//  (b) codebook_gemm_centroid: add up the inputs of each centroid, one multiply per centroid.
import { decodePanels, centroidGemm, gemv4 } from './lib/spmm-codebook';
import { gemmRowsTimesPanels, gemmStripsTimesPanels, packAStrips } from './lib/gemm-panels';
import { aKBytes, BIAS_COLUMNS, BIAS_NONE, ActivationStrips } from './lib/gemm-4x8';
import { ACT_NONE } from './lib/activation';

/** Bytes of the two scratch blocks codebook_gemm_decode needs: packed A, then decoded panels. */
export function codebook_decode_scratch_bytes(M: i32, K: i32, kcBlock: i32, blockPanels: i32): f64 {
  return <f64>(M >> 2) * <f64>K * <f64>aKBytes<ActivationStrips>() + <f64>blockPanels * <f64>(min(kcBlock, K) + 1) * 32;
}

export function codebook_gemm_decode(
  M: i32, K: i32, N: i32, idx: usize, bits: i32, planes: usize, table: usize, perColumn: i32, C: i32, bias: usize,
  a: usize, lda: i32, c: usize, ldc: i32, act: i32, p0: f32, p1: f32, scratch: usize, kcBlock: i32, blockPanels: i32,
): void {
  if (M <= 0 || N <= 0) return;
  const ldaB: usize = <usize>lda << 2, ldcB: usize = <usize>ldc << 2;
  const M4 = M & ~3;
  const astride: usize = <usize>K * aKBytes<ActivationStrips>();
  const panelsBuf = scratch + <usize>(M4 >> 2) * astride;
  if (M4 > 0) packAStrips<ActivationStrips>(a, ldaB, M4 >> 2, K, scratch);
  const kcB = kcBlock > 0 ? kcBlock : max(K, 1);
  const panels = (N + 7) >> 3;
  for (let pb = 0; pb < panels; pb += blockPanels) {
    const np = min(blockPanels, panels - pb);
    const ncols = min(np << 3, N - (pb << 3));
    const cb = c + (<usize>pb << 5);
    let k0 = 0;
    do {
      const kc = min(kcB, K - k0);
      const first = k0 == 0, last = k0 + kc >= K;
      decodePanels(idx, K, bits, pb, np, k0, kc, planes, table, perColumn, C, bias, panelsBuf);
      const pstride: usize = (<usize>kc + 1) << 5;
      const biasMode = first ? BIAS_COLUMNS : BIAS_NONE;
      const actNow = last ? act : ACT_NONE;
      if (M4 > 0) {
        gemmStripsTimesPanels<ActivationStrips>(M4 >> 2, kc, scratch + <usize>k0 * aKBytes<ActivationStrips>(), astride, panelsBuf + 32, pstride, ncols, cb, ldcB, panelsBuf, biasMode, !first, actNow, p0, p1, false);
      }
      if (M > M4) {
        gemmRowsTimesPanels(M - M4, kc, a + <usize>M4 * ldaB + (<usize>k0 << 2), ldaB, panelsBuf + 32, pstride, ncols, cb + <usize>M4 * ldcB, ldcB, panelsBuf, biasMode, !first, actNow, p0, p1);
      }
      k0 += kc;
    } while (k0 < K);
  }
}

/** Rows of X one at a time through the fused 4-bit decode + GEMV (per-tensor codebook <= 16). */
export function codebook_gemv4(
  M: i32, K: i32, N: i32, idx: usize, planes: usize, bias: usize,
  a: usize, lda: i32, c: usize, ldc: i32, act: i32, p0: f32, p1: f32,
): void {
  for (let m = 0; m < M; m++) {
    gemv4(a + (<usize>m * <usize>lda << 2), K, N, idx, planes, bias, c + (<usize>m * <usize>ldc << 2), act, p0, p1);
  }
}

/** xt: X transposed (K x Mp floats, Mp = M rounded up to 4); sums: C x Mp floats of scratch. */
export function codebook_gemm_centroid(
  M: i32, K: i32, N: i32, idx: usize, bits: i32, table: usize, perColumn: i32, C: i32, bias: usize,
  xt: usize, Mp: i32, sums: usize, c: usize, ldc: i32, act: i32, p0: f32, p1: f32,
): void {
  centroidGemm(idx, K, N, bits, table, perColumn, C, bias, xt, Mp, sums, c, <usize>ldc << 2, M, act, p0, p1);
}
