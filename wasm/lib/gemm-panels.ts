// Drives the microkernels over a block of packed B panels: C[M x n] (=|+=) A[M x kc] · P[kc x n].
// Shared by the GEMM (panels = packed weights) and the convolution (panels = im2col of the input).
//
// Rows go 4 at a time through the 4x8 tile; the M % 4 rows left over go through the one-row
// kernels. The last panel may hold fewer than 8 valid columns (zero-padded): its tiles run on a
// small scratch tile and only the valid columns are copied to C, so the kernels never branch on
// edges and never write outside C.
import { gemmTile4x8, BIAS_COLUMNS, BIAS_ROWS } from './gemm-4x8';
import { gemmRow1x32, gemmRow1x8 } from './gemm-1x8';

const EDGE_TILE: usize = memory.data(4 * 8 * 4, 16);

function copyToEdge(c: usize, ldc: usize, rows: i32, cols: i32): void {
  for (let r: usize = 0; r < <usize>rows; r++) {
    for (let j: usize = 0; j < <usize>cols; j++) store<f32>(EDGE_TILE + ((r * 8 + j) << 2), load<f32>(c + r * ldc + (j << 2)));
  }
}

function copyFromEdge(c: usize, ldc: usize, rows: i32, cols: i32): void {
  for (let r: usize = 0; r < <usize>rows; r++) {
    for (let j: usize = 0; j < <usize>cols; j++) store<f32>(c + r * ldc + (j << 2), load<f32>(EDGE_TILE + ((r * 8 + j) << 2)));
  }
}

/**
 * M rows of A (row stride lda bytes) times the panels at w (pstride bytes apart, each kc x 8
 * floats), n valid columns in all. C has row stride ldc bytes. bias/biasMode as in gemm-4x8.ts
 * (BIAS_COLUMNS: the first panel's 8 biases, the next ones pstride further on; BIAS_ROWS: one
 * float per row of A).
 */
export function gemmPanels(
  M: i32, kc: i32, a: usize, lda: usize, w: usize, pstride: usize, n: i32, c: usize, ldc: usize,
  bias: usize, biasMode: i32, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  const fullPanels = <usize>n >> 3;
  const edgeCols = n & 7;
  const M4 = <usize>(M & ~3);
  const colBiasStride: usize = biasMode == BIAS_COLUMNS ? pstride : 0;
  const rowBiasStride: usize = biasMode == BIAS_ROWS ? 4 : 0;
  for (let p: usize = 0; p < fullPanels; p++) {
    const wp = w + p * pstride;
    const bp = bias + p * colBiasStride;
    const cp = c + (p << 5);
    for (let m: usize = 0; m < M4; m += 4) {
      gemmTile4x8(a + m * lda, lda, wp, kc, cp + m * ldc, ldc, bp + m * rowBiasStride, biasMode, initFromC, act, p0, p1);
    }
  }
  if (edgeCols != 0) {
    const wp = w + fullPanels * pstride;
    const bp = bias + fullPanels * colBiasStride;
    const cp = c + (fullPanels << 5);
    for (let m: usize = 0; m < M4; m += 4) {
      if (initFromC) copyToEdge(cp + m * ldc, ldc, 4, edgeCols);
      gemmTile4x8(a + m * lda, lda, wp, kc, EDGE_TILE, 32, bp + m * rowBiasStride, biasMode, initFromC, act, p0, p1);
      copyFromEdge(cp + m * ldc, ldc, 4, edgeCols);
    }
  }
  for (let m: usize = M4; m < <usize>M; m++) {
    const am = a + m * lda;
    const cm = c + m * ldc;
    const bm = bias + m * rowBiasStride;
    let p: usize = 0;
    for (; p + 4 <= fullPanels; p += 4) {
      gemmRow1x32(am, w + p * pstride, pstride, kc, cm + (p << 5), bm + p * colBiasStride, biasMode, initFromC, act, p0, p1);
    }
    for (; p < fullPanels; p++) {
      gemmRow1x8(am, w + p * pstride, kc, cm + (p << 5), bm + p * colBiasStride, biasMode, initFromC, act, p0, p1);
    }
    if (edgeCols != 0) {
      if (initFromC) copyToEdge(cm + (p << 5), ldc, 1, edgeCols);
      gemmRow1x8(am, w + p * pstride, kc, EDGE_TILE, bm + p * colBiasStride, biasMode, initFromC, act, p0, p1);
      copyFromEdge(cm + (p << 5), ldc, 1, edgeCols);
    }
  }
}
