// int8 / uint8 GEMM: C[M×N] = requant(A[M×K] · W[K×N] + bias), or the raw int32 products
// (MatMulInteger). W is packed by kernels/int8/gemm.ts into 8-column panels:
//   [8 × int32 bias][lane params cols 0–3][lane params cols 4–7][kp × (8 columns × 2 int16)]
// with (w − zw) widened to int16 and K padded to an even 2·kp with zeros. A is widened per
// 4-row strip into `scratch` (kp · 16 bytes, k-pair interleaved) as (a − za).
import { i8GemmTile4x8, COL_HEAD_BYTES, OUT_I32 } from './lib/i8-gemm-4x8';
import { widenStrip4 } from './lib/i8-widen';

const EDGE_TILE: usize = memory.data(4 * 32, 16);

/** Copies the valid rows × cols of the edge tile (row stride 32 bytes) to C. */
function copyEdge(c: usize, ldcB: usize, rows: i32, colBytes: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(c + <usize>r * ldcB, EDGE_TILE + (<usize>r << 5), <usize>colBytes);
}

/**
 * Addresses in bytes, lda/ldc in elements. mode: OUT_I32 (int32 C) or OUT_Q_COLS (int8 C).
 * zp/lo/hi are the output zero point and clamp range on the int8 scale (uint8 outputs arrive
 * shifted down by 128 with flip = 1). ncBlock: panels per N block (keeps them in L2).
 */
export function i8_gemm(
  M: i32, K: i32, N: i32, a: usize, lda: i32, aUnsigned: i32, za: i32,
  w: usize, c: usize, ldc: i32, mode: i32, zp: i32, lo: i32, hi: i32, flip: i32,
  scratch: usize, ncBlock: i32,
): void {
  if (M <= 0 || N <= 0) return;
  const kp = (K + 1) >> 1;
  const pstride = COL_HEAD_BYTES + (<usize>kp << 5);
  const esz: usize = mode == OUT_I32 ? 4 : 1;
  const ldcB = <usize>ldc * esz;
  const panels = (N + 7) >> 3;
  const ncB = ncBlock > 0 ? ncBlock : panels;
  for (let p0 = 0; p0 < panels; p0 += ncB) {
    const p1 = min(panels, p0 + ncB);
    for (let m0 = 0; m0 < M; m0 += 4) {
      const rows = min(4, M - m0);
      widenStrip4(a + <usize>m0 * <usize>lda, <usize>lda, rows, K, kp, za, aUnsigned != 0, scratch);
      const cm = c + <usize>m0 * ldcB;
      for (let p = p0; p < p1; p++) {
        const wp = w + <usize>p * pstride;
        const cols = min(8, N - (p << 3));
        const cp = cm + (<usize>(p << 3)) * esz;
        if (rows == 4 && cols == 8) {
          i8GemmTile4x8(scratch, wp + COL_HEAD_BYTES, kp, cp, ldcB, mode, wp, zp, lo, hi, flip);
        } else {
          i8GemmTile4x8(scratch, wp + COL_HEAD_BYTES, kp, EDGE_TILE, 32, mode, wp, zp, lo, hi, flip);
          copyEdge(cp, ldcB, rows, cols * <i32>esz);
        }
      }
    }
  }
}
