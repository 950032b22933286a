// Block-sparse weights (BSR) with blocks 4 output columns wide, for Y[M x N] = X[M x K] · W.
// A column block b covers outputs 4b..4b+3 and lists
//   4x4 blocks: k0..k0+3 x the 4 columns, 16 weights stored [kk][col]   (format '4x4')
//   1x4 blocks: one k x the 4 columns, 4 weights                         (format '1x4', and the
//               K % 4 tail of '4x4', whose last k group would read past the row)
// "4 outputs at one k" is the orientation that vectorises: the 4 columns are the 4 lanes, so
// every block is one broadcast input times one weight vector, with no horizontal sums, for one
// row (GEMV) and for a batch alike — the layout of the dense GEMM's panels, minus the zeros.
//
// Per column block, META_BYTES (i32 unless noted): [0] first 4x4 block, [1] 4x4 blocks,
// [2] first 1x4 block, [3] 1x4 blocks, [4..7] bias (f32), [8..11] scale (f32; int8 weights).
// idx4/idx1: i32 per block, k0 * 4 (byte offset into a row of f32/i32); val4: 16 W per block;
// val1: 4 W per block. The last column block of an N % 4 != 0 matrix has zero weights in its
// missing columns; their lanes are computed and never stored.
import { loadW4, splatW, mac, vadd, finish } from './spmm-common';

export const META_BYTES: usize = 48;

/** Rows of X one at a time (GEMV); y row-major with N columns. */
export function bsrGemv<W, A>(
  B: i32, N: i32, meta: usize, idx4: usize, val4: usize, idx1: usize, val1: usize,
  x: usize, y: usize, act: i32, p0: f32, p1: f32,
): void {
  const WB = sizeof<W>();
  for (let b = 0; b < B; b++) {
    const m = meta + <usize>b * META_BYTES;
    let ip = idx4 + (<usize>load<i32>(m) << 2);
    let wp = val4 + (<usize>load<i32>(m) << 4) * WB;
    // One accumulator per k of the 4x4 block: four independent chains.
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let e = load<i32>(m, 4); e > 0; e--) {
      const q = x + <usize>load<i32>(ip);
      a0 = mac<A>(v128.load_splat<i32>(q), loadW4<W, A>(wp), a0);
      a1 = mac<A>(v128.load_splat<i32>(q, 4), loadW4<W, A>(wp + 4 * WB), a1);
      a2 = mac<A>(v128.load_splat<i32>(q, 8), loadW4<W, A>(wp + 8 * WB), a2);
      a3 = mac<A>(v128.load_splat<i32>(q, 12), loadW4<W, A>(wp + 12 * WB), a3);
      ip += 4; wp += 16 * WB;
    }
    ip = idx1 + (<usize>load<i32>(m, 8) << 2);
    wp = val1 + (<usize>load<i32>(m, 8) << 2) * WB;
    let e = load<i32>(m, 12);
    for (; e >= 4; e -= 4) {
      a0 = mac<A>(v128.load_splat<i32>(x + <usize>load<i32>(ip)), loadW4<W, A>(wp), a0);
      a1 = mac<A>(v128.load_splat<i32>(x + <usize>load<i32>(ip, 4)), loadW4<W, A>(wp + 4 * WB), a1);
      a2 = mac<A>(v128.load_splat<i32>(x + <usize>load<i32>(ip, 8)), loadW4<W, A>(wp + 8 * WB), a2);
      a3 = mac<A>(v128.load_splat<i32>(x + <usize>load<i32>(ip, 12)), loadW4<W, A>(wp + 12 * WB), a3);
      ip += 16; wp += 16 * WB;
    }
    for (; e > 0; e--) {
      a0 = mac<A>(v128.load_splat<i32>(x + <usize>load<i32>(ip)), loadW4<W, A>(wp), a0);
      ip += 4; wp += 4 * WB;
    }
    const v = finish<W, A>(vadd<A>(vadd<A>(a0, a1), vadd<A>(a2, a3)), v128.load(m, 32), v128.load(m, 16), act, p0, p1);
    storeColumns(y + (<usize>b << 4), v, N - (b << 2));
  }
}

@inline
function storeColumns(y: usize, v: v128, cols: i32): void {
  if (cols >= 4) {
    v128.store(y, v);
    return;
  }
  v128.store32_lane(y, v, 0);
  if (cols > 1) v128.store32_lane(y, v, 1, 4);
  if (cols > 2) v128.store32_lane(y, v, 2, 8);
}

/**
 * R rows (R = 4 or 6, a compile-time constant after inlining) of row-major X (row stride lda
 * bytes) times every column block; Y rows ldy bytes apart. Each block's weights are loaded once
 * for the R rows; R accumulators hold R rows x 4 columns. Not 8 rows: TurboFan issues all of an
 * iteration's loads before its multiply-adds, and 8 broadcasts + 8 accumulators + the weights
 * exceed V8's 15 vector registers (an accumulator spills; measured slower than 6).
 */
@inline
function bsrRows<W, A>(
  R: i32, B: i32, N: i32, meta: usize, idx4: usize, val4: usize, idx1: usize, val1: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  const WB = sizeof<W>();
  for (let b = 0; b < B; b++) {
    const m = meta + <usize>b * META_BYTES;
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    let ip = idx4 + (<usize>load<i32>(m) << 2);
    let wp = val4 + (<usize>load<i32>(m) << 4) * WB;
    for (let e = load<i32>(m, 4); e > 0; e--) {
      const q = x + <usize>load<i32>(ip);
      for (let kk: usize = 0; kk < 4; kk++) {
        const w = loadW4<W, A>(wp + (kk << 2) * WB);
        let r = q + (kk << 2);
        a0 = mac<A>(v128.load_splat<i32>(r), w, a0); r += lda;
        a1 = mac<A>(v128.load_splat<i32>(r), w, a1); r += lda;
        a2 = mac<A>(v128.load_splat<i32>(r), w, a2); r += lda;
        a3 = mac<A>(v128.load_splat<i32>(r), w, a3);
        if (R == 6) {
          r += lda; a4 = mac<A>(v128.load_splat<i32>(r), w, a4);
          r += lda; a5 = mac<A>(v128.load_splat<i32>(r), w, a5);
        }
      }
      ip += 4; wp += 16 * WB;
    }
    ip = idx1 + (<usize>load<i32>(m, 8) << 2);
    wp = val1 + (<usize>load<i32>(m, 8) << 2) * WB;
    for (let e = load<i32>(m, 12); e > 0; e--) {
      const w = loadW4<W, A>(wp);
      let r = x + <usize>load<i32>(ip);
      a0 = mac<A>(v128.load_splat<i32>(r), w, a0); r += lda;
      a1 = mac<A>(v128.load_splat<i32>(r), w, a1); r += lda;
      a2 = mac<A>(v128.load_splat<i32>(r), w, a2); r += lda;
      a3 = mac<A>(v128.load_splat<i32>(r), w, a3);
      if (R == 6) {
        r += lda; a4 = mac<A>(v128.load_splat<i32>(r), w, a4);
        r += lda; a5 = mac<A>(v128.load_splat<i32>(r), w, a5);
      }
      ip += 4; wp += 4 * WB;
    }
    const scale = v128.load(m, 32), bias = v128.load(m, 16);
    const cols = N - (b << 2);
    let yr = y + (<usize>b << 4);
    storeColumns(yr, finish<W, A>(a0, scale, bias, act, p0, p1), cols); yr += ldy;
    storeColumns(yr, finish<W, A>(a1, scale, bias, act, p0, p1), cols); yr += ldy;
    storeColumns(yr, finish<W, A>(a2, scale, bias, act, p0, p1), cols); yr += ldy;
    storeColumns(yr, finish<W, A>(a3, scale, bias, act, p0, p1), cols);
    if (R == 6) {
      yr += ldy; storeColumns(yr, finish<W, A>(a4, scale, bias, act, p0, p1), cols);
      yr += ldy; storeColumns(yr, finish<W, A>(a5, scale, bias, act, p0, p1), cols);
    }
  }
}

/** Y[M x N] = X[M x K] · W_bsr (+ bias, act): rows in tiles of 6, then 4, then one by one. */
export function bsrGemm<W, A>(
  M: i32, B: i32, N: i32, meta: usize, idx4: usize, val4: usize, idx1: usize, val1: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  let m = 0;
  for (; m + 6 <= M; m += 6) bsrRows<W, A>(6, B, N, meta, idx4, val4, idx1, val1, x + <usize>m * lda, lda, y + <usize>m * ldy, ldy, act, p0, p1);
  if (m + 4 <= M) { bsrRows<W, A>(4, B, N, meta, idx4, val4, idx1, val1, x + <usize>m * lda, lda, y + <usize>m * ldy, ldy, act, p0, p1); m += 4; }
  for (; m < M; m++) bsrGemv<W, A>(B, N, meta, idx4, val4, idx1, val1, x + <usize>m * lda, y + <usize>m * ldy, act, p0, p1);
}
