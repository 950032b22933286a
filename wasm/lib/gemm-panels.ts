// Drives the microkernels over a block of packed B panels: C[M x n] (=|+=) A[M x kc] · P[kc x n].
// Shared by the GEMM (panels = packed weights) and the convolution (panels = im2col of the input).
//
// Rows go 4 at a time through the 4x8 tile (A packed into k-major strips); the M % 4 rows left
// over go through the one-row kernels. The last panel may hold fewer than 8 valid columns
// (zero-padded): its tiles run on a small scratch tile and only the valid columns are copied to
// C, so the kernels never branch on edges and never write outside C.
import { gemmTile4x8, prebroadcastA, BIAS_COLUMNS, BIAS_ROWS } from './gemm-4x8';
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
 * Rows of A one at a time (row stride lda bytes; the M % 4 rows the strips leave over) times
 * the panels at w (pstride bytes apart, each kc x 8 floats), n valid columns in all. C has row
 * stride ldc bytes. bias/biasMode as in gemm-4x8.ts (BIAS_COLUMNS: the first panel's 8
 * biases, the next ones pstride further on; BIAS_ROWS: one float per row of A).
 */
export function gemmRowsTimesPanels(
  M: i32, kc: i32, a: usize, lda: usize, w: usize, pstride: usize, n: i32, c: usize, ldc: usize,
  bias: usize, biasMode: i32, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  const fullPanels = <usize>n >> 3;
  const edgeCols = n & 7;
  const colBiasStride: usize = biasMode == BIAS_COLUMNS ? pstride : 0;
  const rowBiasStride: usize = biasMode == BIAS_ROWS ? 4 : 0;
  for (let m: usize = 0; m < <usize>M; m++) {
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

/**
 * Strips of 4 rows of A packed k-major (see gemm-4x8.ts; strip s at a + s * astride bytes) times
 * the panels. Covers 4 * strips rows; M % 4 leftovers go through gemmRowsTimesPanels.
 * With BIAS_ROWS, bias holds one float per row.
 * stripsOuter: walk all panels under one strip before the next strip (the strip stays in L1;
 * right when the panels are a small block, as in the convolution) rather than all strips under
 * one panel (the panel stays in L1; right for the GEMM's wide rows of panels).
 */
export function gemmStripsTimesPanels<L>(
  strips: i32, kc: i32, a: usize, astride: usize, w: usize, pstride: usize, n: i32, c: usize, ldc: usize,
  bias: usize, biasMode: i32, initFromC: bool, act: i32, p0: f32, p1: f32, stripsOuter: bool,
): void {
  const fullPanels = <usize>n >> 3;
  const edgeCols = n & 7;
  const colBiasStride: usize = biasMode == BIAS_COLUMNS ? pstride : 0;
  const rowBiasStride: usize = biasMode == BIAS_ROWS ? 16 : 0;
  const ldc4 = ldc << 2;
  if (stripsOuter) {
    for (let s: usize = 0; s < <usize>strips; s++) {
      for (let p: usize = 0; p < fullPanels; p++) {
        gemmTile4x8<L>(a + s * astride, w + p * pstride, kc, c + (p << 5) + s * ldc4, ldc,
          bias + p * colBiasStride + s * rowBiasStride, biasMode, initFromC, act, p0, p1);
      }
    }
  } else {
    for (let p: usize = 0; p < fullPanels; p++) {
      for (let s: usize = 0; s < <usize>strips; s++) {
        gemmTile4x8<L>(a + s * astride, w + p * pstride, kc, c + (p << 5) + s * ldc4, ldc,
          bias + p * colBiasStride + s * rowBiasStride, biasMode, initFromC, act, p0, p1);
      }
    }
  }
  if (edgeCols != 0) {
    const wp = w + fullPanels * pstride;
    const bp = bias + fullPanels * colBiasStride;
    const cp = c + (fullPanels << 5);
    for (let s: usize = 0; s < <usize>strips; s++) {
      if (initFromC) copyToEdge(cp + s * ldc4, ldc, 4, edgeCols);
      gemmTile4x8<L>(a + s * astride, wp, kc, EDGE_TILE, 32, bp + s * rowBiasStride, biasMode, initFromC, act, p0, p1);
      copyFromEdge(cp + s * ldc4, ldc, 4, edgeCols);
    }
  }
}

/**
 * Packs rows [0, 4 * strips) x columns [0, kc) of A (row stride lda bytes) for
 * gemmStripsTimesPanels<L>: strip s at out + s * kc * aKBytes<L>().
 */
export function packAStrips<L>(a: usize, lda: usize, strips: i32, kc: i32, out: usize): void {
  for (let s = 0; s < strips; s++) {
    let r0 = a + <usize>s * (lda << 2);
    let r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
    let k = kc;
    if (prebroadcastA<L>()) {
      for (; k > 0; k--) {
        v128.store(out, v128.load_splat<f32>(r0)); v128.store(out, v128.load_splat<f32>(r1), 16);
        v128.store(out, v128.load_splat<f32>(r2), 32); v128.store(out, v128.load_splat<f32>(r3), 48);
        r0 += 4; r1 += 4; r2 += 4; r3 += 4; out += 64;
      }
      continue;
    }
    // 4 k at a time: a 4x4 transpose of the rows' next 4 floats.
    while (k >= 4) {
      const v0 = v128.load(r0), v1 = v128.load(r1), v2 = v128.load(r2), v3 = v128.load(r3);
      const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
      v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(out, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
      v128.store(out, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
      v128.store(out, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
      r0 += 16; r1 += 16; r2 += 16; r3 += 16; out += 64; k -= 4;
    }
    while (k > 0) {
      store<f32>(out, load<f32>(r0)); store<f32>(out, load<f32>(r1), 4);
      store<f32>(out, load<f32>(r2), 8); store<f32>(out, load<f32>(r3), 12);
      r0 += 4; r1 += 4; r2 += 4; r3 += 4; out += 16; k--;
    }
  }
}
