// Clustered weights: W[k][n] = codebook[index[k][n]] (per tensor, or one codebook per output
// column), indices packed at 2, 4 or 8 bits. kernels/sparse/codebook.ts stores the indices in
// the dense GEMM's panel order: panel p (columns 8p..8p+7), then k, then the 8 columns, so one
// k row of a panel is `bits` bytes (column j in bits [j*bits, (j+1)*bits) of that row, little
// endian).
//
import { applyAct, applyActScalar, ACT_NONE } from './activation';
import { madd } from './vmath';

// Design (a), decodePanels: indices -> f32 panels in the dense layout ([bias x 8][kc rows x 8])
// in a small scratch that stays in L1, then the dense microkernels run on them.
// 4-bit, per-tensor codebook (<= 16 entries): a SIMD decode. The 16 float entries are split
// into 4 byte planes of 16 bytes (plane b holds byte b of every entry), so one i8x16.swizzle
// per plane looks up 16 indices at once; interleaving the 4 looked-up planes rebuilds the
// floats. Everything else (2 and 8 bits, per-column codebooks): one table load per weight.

/** Decodes k rows [k0, k0 + kc) of `panels` consecutive panels starting at panel p0. */
export function decodePanels(
  idx: usize, K: i32, bits: i32, p0: i32, panels: i32, k0: i32, kc: i32,
  planes: usize, table: usize, perColumn: i32, C: i32, bias: usize, out: usize,
): void {
  const rowBytes = <usize>bits;
  const panelIdxBytes = <usize>K * rowBytes;
  const pstride: usize = (<usize>kc + 1) << 5;
  for (let q = 0; q < panels; q++) {
    const p = p0 + q;
    const dst = out + <usize>q * pstride;
    v128.store(dst, v128.load(bias + (<usize>p << 5)));
    v128.store(dst, v128.load(bias + (<usize>p << 5), 16), 16);
    const src = idx + <usize>p * panelIdxBytes + <usize>k0 * rowBytes;
    if (bits == 4 && perColumn == 0) decode4(src, kc, planes, dst + 32);
    else decodeScalar(src, kc, bits, table, perColumn != 0 ? <usize>(p << 3) * <usize>C << 2 : 0, <usize>C << 2, perColumn != 0, dst + 32);
  }
}

// Indices are < 16 here, where relaxed_swizzle is defined to equal swizzle; it is one pshufb on
// x86 (swizzle adds a saturating add to zero out-of-range lanes).
@inline
function lookup(t: v128, ix: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? i8x16.relaxed_swizzle(t, ix) : i8x16.swizzle(t, ix);
}

/** 4-bit indices, two k rows (16 weights) per step, through the byte-plane tables. */
@inline
function decode4(src: usize, kc: i32, planes: usize, dst: usize): void {
  const t0 = v128.load(planes), t1 = v128.load(planes, 16), t2 = v128.load(planes, 32), t3 = v128.load(planes, 48);
  const nib = i8x16.splat(0x0f);
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const b = v128.load64_zero(src);
    // low nibble = even column, high nibble = odd column of the same byte
    const lo = v128.and(b, nib), hi = v128.and(i16x8.shr_u(b, 4), nib);
    const ix = i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    lookup16(ix, t0, t1, t2, t3, dst);
    src += 8; dst += 64;
  }
  if (k < kc) {
    const b = v128.load32_zero(src);
    const lo = v128.and(b, nib), hi = v128.and(i16x8.shr_u(b, 4), nib);
    const ix = i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const b0 = lookup(t0, ix), b1 = lookup(t1, ix), b2 = lookup(t2, ix), b3 = lookup(t3, ix);
    const l01 = i8x16.shuffle(b0, b1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const l23 = i8x16.shuffle(b2, b3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    v128.store(dst, i16x8.shuffle(l01, l23, 0, 8, 1, 9, 2, 10, 3, 11));
    v128.store(dst, i16x8.shuffle(l01, l23, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  }
}

/** 16 byte indices -> 16 floats at dst (byte planes t0..t3). */
@inline
function lookup16(ix: v128, t0: v128, t1: v128, t2: v128, t3: v128, dst: usize): void {
  const b0 = lookup(t0, ix), b1 = lookup(t1, ix), b2 = lookup(t2, ix), b3 = lookup(t3, ix);
  const l01 = i8x16.shuffle(b0, b1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const h01 = i8x16.shuffle(b0, b1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const l23 = i8x16.shuffle(b2, b3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const h23 = i8x16.shuffle(b2, b3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128.store(dst, i16x8.shuffle(l01, l23, 0, 8, 1, 9, 2, 10, 3, 11));
  v128.store(dst, i16x8.shuffle(l01, l23, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  v128.store(dst, i16x8.shuffle(h01, h23, 0, 8, 1, 9, 2, 10, 3, 11), 32);
  v128.store(dst, i16x8.shuffle(h01, h23, 4, 12, 5, 13, 6, 14, 7, 15), 48);
}

/** Any width, per-tensor or per-column tables (column j of the panel at colTable + j * cstride). */
@inline
function decodeScalar(src: usize, kc: i32, bits: i32, table: usize, colTable: usize, cstride: usize, perColumn: bool, dst: usize): void {
  const mask: u32 = (1 << bits) - 1;
  for (let k = 0; k < kc; k++) {
    // One k row of 8 columns is `bits` bytes: at most 64 bits.
    const row: u64 = bits == 8 ? load<u64>(src) : bits == 4 ? <u64>load<u32>(src) : <u64>load<u16>(src);
    for (let j = 0; j < 8; j++) {
      const i = <usize>(<u32>(row >> (<u64>(j * bits))) & mask);
      const t = perColumn ? table + colTable + <usize>j * cstride : table;
      store<f32>(dst + (<usize>j << 2), load<f32>(t + (i << 2)));
    }
    src += <usize>bits; dst += 32;
  }
}

// Design (a'), gemv4: one row of X (batch 1), 4-bit per-tensor codebook. Nothing to amortize a
// decoded panel over, so the decode feeds the FMAs straight from registers. One 16-byte load is
// 4 k rows of a panel; its low nibbles are the even columns (c0 c2 c4 c6 of each row), the high
// nibbles the odd ones (the packing puts column j at bits 4j..4j+3 of the row), so no shuffle is
// needed to form the indices: the accumulators hold even and odd columns and are zipped back into
// column order once per panel. Two accumulators per parity (rows k, k+2 and k+1, k+3) keep the
// FMA chains shorter than the decode's shuffle work per step.

/** 4 indices at lanes 4q..4q+3 of ix (q = 0..3 from the four byte-plane lookups) -> 4 floats. */
@inline
function floatsOf(b0: v128, b1: v128, b2: v128, b3: v128, q: i32): v128 {
  if (q < 2) {
    const l01 = i8x16.shuffle(b0, b1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const l23 = i8x16.shuffle(b2, b3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    return q == 0 ? i16x8.shuffle(l01, l23, 0, 8, 1, 9, 2, 10, 3, 11) : i16x8.shuffle(l01, l23, 4, 12, 5, 13, 6, 14, 7, 15);
  }
  const h01 = i8x16.shuffle(b0, b1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const h23 = i8x16.shuffle(b2, b3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  return q == 2 ? i16x8.shuffle(h01, h23, 0, 8, 1, 9, 2, 10, 3, 11) : i16x8.shuffle(h01, h23, 4, 12, 5, 13, 6, 14, 7, 15);
}

/** y[0..N) = act(x[0..K) · W + bias) for one row, 4-bit indices, per-tensor byte planes. */
export function gemv4(
  x: usize, K: i32, N: i32, idx: usize, planes: usize, bias: usize, y: usize, act: i32, p0: f32, p1: f32,
): void {
  const nib = i8x16.splat(0x0f);
  const t0 = v128.load(planes), t1 = v128.load(planes, 16), t2 = v128.load(planes, 32), t3 = v128.load(planes, 48);
  const panels = (N + 7) >> 3;
  const panelBytes = <usize>K << 2;
  for (let p = 0; p < panels; p++) {
    let src = idx + <usize>p * panelBytes;
    let xk = x;
    let e0 = f32x4.splat(0), e1 = f32x4.splat(0), o0 = f32x4.splat(0), o1 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const b = v128.load(src);
      const lo = v128.and(b, nib);
      let b0 = lookup(t0, lo), b1 = lookup(t1, lo);
      let b2 = lookup(t2, lo), b3 = lookup(t3, lo);
      e0 = madd(v128.load_splat<f32>(xk), floatsOf(b0, b1, b2, b3, 0), e0);
      e1 = madd(v128.load_splat<f32>(xk, 4), floatsOf(b0, b1, b2, b3, 1), e1);
      e0 = madd(v128.load_splat<f32>(xk, 8), floatsOf(b0, b1, b2, b3, 2), e0);
      e1 = madd(v128.load_splat<f32>(xk, 12), floatsOf(b0, b1, b2, b3, 3), e1);
      const hi = v128.and(i16x8.shr_u(b, 4), nib);
      b0 = lookup(t0, hi); b1 = lookup(t1, hi);
      b2 = lookup(t2, hi); b3 = lookup(t3, hi);
      o0 = madd(v128.load_splat<f32>(xk), floatsOf(b0, b1, b2, b3, 0), o0);
      o1 = madd(v128.load_splat<f32>(xk, 4), floatsOf(b0, b1, b2, b3, 1), o1);
      o0 = madd(v128.load_splat<f32>(xk, 8), floatsOf(b0, b1, b2, b3, 2), o0);
      o1 = madd(v128.load_splat<f32>(xk, 12), floatsOf(b0, b1, b2, b3, 3), o1);
      src += 16; xk += 16;
    }
    for (; k < K; k++) {
      const b = v128.load32_zero(src);
      const lo = v128.and(b, nib), hi = v128.and(i16x8.shr_u(b, 4), nib);
      const xs = v128.load_splat<f32>(xk);
      e0 = madd(xs, floatsOf(lookup(t0, lo), lookup(t1, lo), lookup(t2, lo), lookup(t3, lo), 0), e0);
      o0 = madd(xs, floatsOf(lookup(t0, hi), lookup(t1, hi), lookup(t2, hi), lookup(t3, hi), 0), o0);
      src += 4; xk += 4;
    }
    const e = f32x4.add(e0, e1), o = f32x4.add(o0, o1);
    const bp = bias + (<usize>p << 5);
    let c0 = f32x4.add(v128.load(bp), v128.shuffle<f32>(e, o, 0, 4, 1, 5));
    let c1 = f32x4.add(v128.load(bp, 16), v128.shuffle<f32>(e, o, 2, 6, 3, 7));
    if (act != ACT_NONE) {
      c0 = applyAct(c0, act, p0, p1); c1 = applyAct(c1, act, p0, p1);
    }
    const yp = y + (<usize>p << 5);
    const cols = min(8, N - (p << 3));
    if (cols == 8) {
      v128.store(yp, c0); v128.store(yp, c1, 16);
    } else {
      store<v128>(GEMV_EDGE, c0); store<v128>(GEMV_EDGE, c1, 16);
      memory.copy(yp, GEMV_EDGE, <usize>cols << 2);
    }
  }
}

const GEMV_EDGE: usize = memory.data(32, 16);

/**
 * Design (b): per output column, sum the inputs that share a centroid, then one multiply per
 * centroid: y[m][n] = bias[n] + sum_c codebook[c] * (sum over k with index c of x[m][k]).
 * Rows are the vector lanes (XT = X transposed, K x Mp, Mp a multiple of 4); `sums` is a
 * scratch of C x Mp floats. Indices are read one by one from the panel layout.
 */
export function centroidGemm(
  idx: usize, K: i32, N: i32, bits: i32, table: usize, perColumn: i32, C: i32, bias: usize,
  xt: usize, Mp: i32, sums: usize, y: usize, ldy: usize, M: i32, act: i32, p0: f32, p1: f32,
): void {
  const rowBytes = <usize>Mp << 2;
  const V = Mp >> 2;
  const mask: u32 = (1 << bits) - 1;
  for (let n = 0; n < N; n++) {
    memory.fill(sums, 0, <usize>C * rowBytes);
    const p = n >> 3, j = n & 7;
    let src = idx + <usize>p * <usize>K * <usize>bits;
    const shift = <u64>(j * bits);
    let xk = xt;
    for (let k = 0; k < K; k++) {
      const row: u64 = bits == 8 ? load<u64>(src) : bits == 4 ? <u64>load<u32>(src) : <u64>load<u16>(src);
      const c = <usize>(<u32>(row >> shift) & mask);
      const s = sums + c * rowBytes;
      for (let v: usize = 0; v < <usize>V; v++) v128.store(s + (v << 4), f32x4.add(v128.load(s + (v << 4)), v128.load(xk + (v << 4))));
      src += <usize>bits; xk += rowBytes;
    }
    const t = perColumn != 0 ? table + (<usize>n * <usize>C << 2) : table;
    const b = load<f32>(bias + (<usize>n << 2));
    for (let m = 0; m < M; m++) {
      let acc: f32 = b;
      for (let c = 0; c < C; c++) acc += load<f32>(t + (<usize>c << 2)) * load<f32>(sums + <usize>c * rowBytes + (<usize>m << 2));
      store<f32>(y + <usize>m * ldy + (<usize>n << 2), applyActScalar(acc, act, p0, p1));
    }
  }
}
