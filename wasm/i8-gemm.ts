// int8 / uint8 GEMM: C[M×N] = requant(A[M×K] · W[K×N] + bias), or the raw int32 products
// (MatMulInteger). W is packed by kernels/int8/gemm.ts into 8-column panels:
//   [8 × int32 bias][lane params cols 0–3][lane params cols 4–7][kp × (8 columns × 2 int16)]
// with (w − zw) widened to int16 and K padded to an even 2·kp with zeros. A is widened as
// (a − za) per 4-row strip into `scratch` (kp · 16 bytes a strip, k-pair interleaved).
//
// Loop order: a block of up to `mStrips` strips is widened once; then every panel is run
// against every strip of the block, so a panel (kp·32 bytes) stays in L1 while the strips
// (16 bytes per k-pair) stream from L2 — half the L2 traffic of the other order.
// A single row (M = 1, or the last row) runs on a 1×8 kernel instead of a 4-row strip of
// which three rows would be zeros.
import { i8GemmTile4x8, colsShort, COL_HEAD_BYTES, COL_BIAS_BYTES, OUT_I32, OUT_Q_COLS_SHORT } from './lib/i8-gemm-4x8';
import { requantLanes, packClampI8, LANE_PARAMS_BYTES } from './lib/requant';
import { widenStrip4 } from './lib/i8-widen';

const EDGE_TILE: usize = memory.data(4 * 32, 16);

/** Copies the valid rows × cols of the edge tile (row stride 32 bytes) to C. */
function copyEdge(c: usize, ldcB: usize, rows: i32, colBytes: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = c + <usize>r * ldcB, e = EDGE_TILE + (<usize>r << 5);
    for (let i = 0; i < colBytes; i++) store<u8>(d + <usize>i, load<u8>(e + <usize>i));
  }
}

/** One row of A as k-pairs of int16 (a − za): kp · 4 bytes, the odd K's last pair padded with 0. */
function widenRow(a: usize, K: i32, kp: i32, za: i32, unsigned: bool, dst: usize): void {
  const vza = i16x8.splat(<i16>za);
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    const v = unsigned ? v128.load8x8_u(a + <usize>k) : v128.load8x8_s(a + <usize>k);
    v128.store(dst + (<usize>k << 1), i16x8.sub(v, vza));
  }
  for (; k < kp << 1; k++) store<i16>(dst + (<usize>k << 1), <i16>(k < K ? (unsigned ? <i32>load<u8>(a + <usize>k) : <i32>load<i8>(a + <usize>k)) - za : 0));
}

/**
 * c[8] (or the int32 sums) = one row r (kp k-pairs of int16) times panel p. Four k-pairs per
 * trip: two accumulators leave registers for the unrolled body.
 */
function gemmRow1x8(r: usize, p: usize, kp: i32, c: usize, mode: i32, head: usize, zp: i32, lo: i32, hi: i32, flip: i32): void {
  let x0 = i32x4.splat(0), x1 = x0, y0 = x0, y1 = x0;
  let k = 0;
  for (; k + 4 <= kp; k += 4) {
    const va = v128.load(r);
    let vr = i32x4.shuffle(va, va, 0, 0, 0, 0);
    x0 = i32x4.add(x0, i32x4.dot_i16x8_s(vr, v128.load(p))); x1 = i32x4.add(x1, i32x4.dot_i16x8_s(vr, v128.load(p, 16)));
    vr = i32x4.shuffle(va, va, 1, 1, 1, 1);
    y0 = i32x4.add(y0, i32x4.dot_i16x8_s(vr, v128.load(p, 32))); y1 = i32x4.add(y1, i32x4.dot_i16x8_s(vr, v128.load(p, 48)));
    vr = i32x4.shuffle(va, va, 2, 2, 2, 2);
    x0 = i32x4.add(x0, i32x4.dot_i16x8_s(vr, v128.load(p, 64))); x1 = i32x4.add(x1, i32x4.dot_i16x8_s(vr, v128.load(p, 80)));
    vr = i32x4.shuffle(va, va, 3, 3, 3, 3);
    y0 = i32x4.add(y0, i32x4.dot_i16x8_s(vr, v128.load(p, 96))); y1 = i32x4.add(y1, i32x4.dot_i16x8_s(vr, v128.load(p, 112)));
    r += 16; p += 128;
  }
  for (; k < kp; k++) {
    const vr = v128.load32_splat(r);
    x0 = i32x4.add(x0, i32x4.dot_i16x8_s(vr, v128.load(p))); x1 = i32x4.add(x1, i32x4.dot_i16x8_s(vr, v128.load(p, 16)));
    r += 4; p += 32;
  }
  x0 = i32x4.add(x0, y0); x1 = i32x4.add(x1, y1);
  if (mode == OUT_I32) {
    v128.store(c, x0); v128.store(c, x1, 16);
    return;
  }
  if (mode == OUT_Q_COLS_SHORT) {
    const e = load<i32>(head, 96), vround = v128.load32_splat(head, 100);
    x0 = colsShort(i32x4.add(x0, v128.load(head)), v128.load(head, 32), v128.load(head, 64), vround, e);
    x1 = colsShort(i32x4.add(x1, v128.load(head, 16)), v128.load(head, 48), v128.load(head, 80), vround, e);
  } else {
    const q0 = head + COL_BIAS_BYTES;
    x0 = requantLanes(i32x4.add(x0, v128.load(head)), q0);
    x1 = requantLanes(i32x4.add(x1, v128.load(head, 16)), q0 + LANE_PARAMS_BYTES);
  }
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  v128.store64_lane(c, packClampI8(x0, x1, x0, x1, vzp, vlo, vhi, vflip), 0);
}

/**
 * Addresses in bytes, lda/ldc in elements. mode: OUT_I32 (int32 C), OUT_Q_COLS or
 * OUT_Q_COLS_SHORT (int8 C; the panel heads as wasm/lib/i8-gemm-4x8.ts describes).
 * zp/lo/hi are the output zero point and clamp range on the int8 scale (uint8 outputs arrive
 * shifted down by 128 with flip = 1). scratch: mStrips strips of kp·16 bytes.
 */
export function i8_gemm(
  M: i32, K: i32, N: i32, a: usize, lda: i32, aUnsigned: i32, za: i32,
  w: usize, c: usize, ldc: i32, mode: i32, zp: i32, lo: i32, hi: i32, flip: i32,
  scratch: usize, mStrips: i32,
): void {
  if (M <= 0 || N <= 0) return;
  const kp = (K + 1) >> 1;
  const pstride = COL_HEAD_BYTES + (<usize>kp << 5);
  const sstride = <usize>kp << 4;
  const esz: usize = mode == OUT_I32 ? 4 : 1;
  const ldcB = <usize>ldc * esz;
  const panels = (N + 7) >> 3;
  const u = aUnsigned != 0;
  const M4 = M & ~3;
  const mb = max(1, mStrips) << 2;
  for (let m0 = 0; m0 < M4; m0 += mb) {
    const strips = (min(mb, M4 - m0)) >> 2;
    for (let s = 0; s < strips; s++) {
      widenStrip4(a + <usize>(m0 + (s << 2)) * <usize>lda, <usize>lda, 4, K, kp, za, u, scratch + <usize>s * sstride);
    }
    for (let p = 0; p < panels; p++) {
      const wp = w + <usize>p * pstride;
      const cols = min(8, N - (p << 3));
      for (let s = 0; s < strips; s++) {
        const cp = c + <usize>(m0 + (s << 2)) * ldcB + (<usize>(p << 3)) * esz;
        const rs = scratch + <usize>s * sstride;
        if (cols == 8) {
          i8GemmTile4x8(rs, wp + COL_HEAD_BYTES, kp, cp, ldcB, mode, wp, zp, lo, hi, flip);
        } else {
          i8GemmTile4x8(rs, wp + COL_HEAD_BYTES, kp, EDGE_TILE, 32, mode, wp, zp, lo, hi, flip);
          copyEdge(cp, ldcB, 4, cols * <i32>esz);
        }
      }
    }
  }
  // The last M % 4 rows, one at a time.
  for (let m = M4; m < M; m++) {
    widenRow(a + <usize>m * <usize>lda, K, kp, za, u, scratch);
    const cm = c + <usize>m * ldcB;
    for (let p = 0; p < panels; p++) {
      const wp = w + <usize>p * pstride;
      const cols = min(8, N - (p << 3));
      const cp = cm + (<usize>(p << 3)) * esz;
      if (cols == 8) {
        gemmRow1x8(scratch, wp + COL_HEAD_BYTES, kp, cp, mode, wp, zp, lo, hi, flip);
      } else {
        gemmRow1x8(scratch, wp + COL_HEAD_BYTES, kp, EDGE_TILE, mode, wp, zp, lo, hi, flip);
        copyEdge(cp, ldcB, 1, cols * <i32>esz);
      }
    }
  }
}
