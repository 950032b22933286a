// 2:4 structured sparsity along the input dimension K (at most 2 nonzeros in every group of 4
// consecutive k of one output column), for Y[M x N] = X[M x K] · W.
// Per column block b (outputs 4b..4b+3) and k group g (k = 4g..4g+3), kernels/sparse/bsr.ts
// stores 8 selector bytes, [col0 first, col0 second, col1 first, ...], each the position of the
// nonzero in the group times 4 (0, 4, 8, 12) or 0x80 for "none", and 8 weights, [first of
// cols 0..3][second of cols 0..3]. One v128 load of x[4g..4g+3] and one i8x16.swizzle give
// the 4 columns their first inputs (a second swizzle their second); "none" selects 0 (swizzle
// of an out-of-range index), so a missing weight never multiplies an input (no Inf * 0).
// The last group of a K % 4 != 0 row reads up to 3 floats past the row: never selected.
//
// META_BYTES per column block: [0..3] bias (f32), [4..7] scale (f32; int8 weights).
import { loadW4, mac, vadd, finish } from './spmm-common';

export const META_BYTES: usize = 32;

@inline
function selectors(cp: usize, first: bool): v128 {
  const sel = v128.load64_zero(cp);
  const spread = first
    ? i8x16(0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6)
    : i8x16(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7);
  return v128.or(i8x16.swizzle(sel, spread), i8x16(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
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
 * R rows (1 or 4, compile-time after inlining) of row-major X (lda bytes) times every column
 * block. First and second nonzeros feed separate accumulators (independent chains).
 */
@inline
function nmRows<W, A>(
  R: i32, B: i32, N: i32, Kg: i32, meta: usize, codes: usize, val: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  const WB = sizeof<W>();
  for (let b = 0; b < B; b++) {
    let cp = codes + (<usize>b * <usize>Kg << 3);
    let wp = val + (<usize>b * <usize>Kg << 3) * WB;
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    let xg = x;
    for (let g = 0; g < Kg; g++) {
      const s0 = selectors(cp, true), s1 = selectors(cp, false);
      const w0 = loadW4<W, A>(wp), w1 = loadW4<W, A>(wp + 4 * WB);
      let xv = v128.load(xg);
      a0 = mac<A>(i8x16.swizzle(xv, s0), w0, a0); a4 = mac<A>(i8x16.swizzle(xv, s1), w1, a4);
      if (R == 4) {
        xv = v128.load(xg + lda);
        a1 = mac<A>(i8x16.swizzle(xv, s0), w0, a1); a5 = mac<A>(i8x16.swizzle(xv, s1), w1, a5);
        xv = v128.load(xg + 2 * lda);
        a2 = mac<A>(i8x16.swizzle(xv, s0), w0, a2); a6 = mac<A>(i8x16.swizzle(xv, s1), w1, a6);
        xv = v128.load(xg + 3 * lda);
        a3 = mac<A>(i8x16.swizzle(xv, s0), w0, a3); a7 = mac<A>(i8x16.swizzle(xv, s1), w1, a7);
      }
      xg += 16; cp += 8; wp += 8 * WB;
    }
    const scale = v128.load(meta + <usize>b * META_BYTES, 16), bias = v128.load(meta + <usize>b * META_BYTES);
    const cols = N - (b << 2);
    const yb = y + (<usize>b << 4);
    storeColumns(yb, finish<W, A>(vadd<A>(a0, a4), scale, bias, act, p0, p1), cols);
    if (R == 4) {
      storeColumns(yb + ldy, finish<W, A>(vadd<A>(a1, a5), scale, bias, act, p0, p1), cols);
      storeColumns(yb + 2 * ldy, finish<W, A>(vadd<A>(a2, a6), scale, bias, act, p0, p1), cols);
      storeColumns(yb + 3 * ldy, finish<W, A>(vadd<A>(a3, a7), scale, bias, act, p0, p1), cols);
    }
  }
}

/** Y[M x N] = X[M x K] · W_2:4 (+ bias, act): rows 4 at a time, then one by one. */
export function nmGemm<W, A>(
  M: i32, B: i32, N: i32, Kg: i32, meta: usize, codes: usize, val: usize,
  x: usize, lda: usize, y: usize, ldy: usize, act: i32, p0: f32, p1: f32,
): void {
  let m = 0;
  for (; m + 4 <= M; m += 4) nmRows<W, A>(4, B, N, Kg, meta, codes, val, x + <usize>m * lda, lda, y + <usize>m * ldy, ldy, act, p0, p1);
  for (; m < M; m++) nmRows<W, A>(1, B, N, Kg, meta, codes, val, x + <usize>m * lda, lda, y + <usize>m * ldy, ldy, act, p0, p1);
}
