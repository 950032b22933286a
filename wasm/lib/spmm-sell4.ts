// Unstructured sparse weights, stored per output column ("CSR by output", as Fast Sparse
// ConvNets and XNNPACK's SpMM store them) in groups of 4 columns interleaved lane by lane
// (SELL-4): step s of group g holds the s-th nonzero of each of its 4 columns, so one v128 load
// gives 4 columns' weights. kernels/sparse/csr.ts sorts the columns by nonzero count before
// grouping, so the 4 lists of a group have nearly equal lengths and little padding.
//
// Per group, META_BYTES of metadata (i32 unless noted):
//   [0] steps = longest list, [1] first step (entries of 4 lanes from the start of idx/val),
//   [2] full = shortest list (steps below it need no mask), [4..7] output column per lane
//   (-1: an empty lane of the last group), [8..11] nonzeros per lane, [12..15] bias (f32),
//   [16..19] scale (f32; int8 weights)
// idx: u16 per entry, the input index k (so K <= 65536; kernels/sparse checks), or its byte
// offset 4k when K <= STAGE_FLOATS (kernels/sparse/pack.ts; the caller scales rowBytes to match).
// val: W per entry. Entries past a lane's count are padding (index 0, weight 0) and are
// masked out, never merely multiplied by zero: an Inf input must not turn into NaN there.
import { loadW4, splatW, mac, vadd, finish } from './spmm-common';

export const META_BYTES: usize = 96;

// Four inputs x[k0..k3] as one vector: the 4 u16 indices in one 64-bit load, plain scalar
// loads (one load uop each) combined by two unpacks and a 64-bit move. (load32_lane, i.e.
// vpinsrd, costs a load and a shuffle per lane.)
@inline
function gather4(x: usize, ip: usize): v128 {
  const i01 = load<u32>(ip), i23 = load<u32>(ip, 4);
  const v0 = v128.load32_zero(x + ((i01 & 0xffff) << 2)), v1 = v128.load32_zero(x + ((i01 >>> 16) << 2));
  const v2 = v128.load32_zero(x + ((i23 & 0xffff) << 2)), v3 = v128.load32_zero(x + ((i23 >>> 16) << 2));
  return v128.shuffle<i64>(v128.shuffle<i32>(v0, v1, 0, 4, 1, 5), v128.shuffle<i32>(v2, v3, 0, 4, 1, 5), 0, 2);
}

/**
 * Batch-1 inputs are copied here first (kernels/sparse/csr.ts: when K <= STAGE_FLOATS), so a
 * gathered input is one load at a compile-time address: the u16 index then holds the byte
 * offset 4k and the load's immediate offset is X_STAGE — no add of a base pointer, no shift,
 * no unpacking of index pairs (measured: the pointer arithmetic, not the loads, bounded the
 * gather).
 */
export const STAGE_FLOATS: i32 = 16384;
const X_STAGE: usize = memory.data(STAGE_FLOATS * 4 + 16, 16);

@inline
function gather4Staged(ip: usize): v128 {
  const i01 = load<u32>(ip), i23 = load<u32>(ip, 4);
  const v0 = v128.load32_zero(<usize>(i01 & 0xffff), X_STAGE), v1 = v128.load32_zero(<usize>(i01 >>> 16), X_STAGE);
  const v2 = v128.load32_zero(<usize>(i23 & 0xffff), X_STAGE), v3 = v128.load32_zero(<usize>(i23 >>> 16), X_STAGE);
  return v128.shuffle<i64>(v128.shuffle<i32>(v0, v1, 0, 4, 1, 5), v128.shuffle<i32>(v2, v3, 0, 4, 1, 5), 0, 2);
}

/**
 * sell4Gemv for indices stored as byte offsets (4k), the row x (K <= STAGE_FLOATS elements of 4
 * bytes) copied to X_STAGE first. Four steps per iteration, two chains.
 */
export function sell4GemvStaged<W, A>(K: i32, G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize, act: i32, p0: f32, p1: f32): void {
  const WB = sizeof<W>();
  memory.copy(X_STAGE, x, <usize>K << 2);
  for (let g = 0; g < G; g++) {
    const m = meta + <usize>g * META_BYTES;
    const steps = load<i32>(m), first = load<i32>(m, 4), full = load<i32>(m, 8);
    let ip = idx + (<usize>first << 3);
    let wp = val + ((<usize>first << 2) * WB);
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
    let s = 0;
    for (; s + 2 <= full; s += 2) {
      a0 = mac<A>(gather4Staged(ip), loadW4<W, A>(wp), a0);
      a1 = mac<A>(gather4Staged(ip + 8), loadW4<W, A>(wp + 4 * WB), a1);
      ip += 16; wp += 8 * WB;
    }
    if (s < full) {
      a0 = mac<A>(gather4Staged(ip), loadW4<W, A>(wp), a0);
      ip += 8; wp += 4 * WB; s++;
    }
    const counts = v128.load(m, 32);
    for (; s < steps; s++) {
      const live = i32x4.gt_s(counts, i32x4.splat(s));
      a1 = vadd<A>(a1, v128.and(mac<A>(gather4Staged(ip), loadW4<W, A>(wp), i32x4.splat(0)), live));
      ip += 8; wp += 4 * WB;
    }
    const v = finish<W, A>(vadd<A>(a0, a1), v128.load(m, 64), v128.load(m, 48), act, p0, p1);
    storeLanes(y, m, v);
  }
}

@inline
function storeLanes(y: usize, m: usize, v: v128): void {
  // Columns are permuted by the sort: each lane goes to its own column (-1: none).
  let col = load<i32>(m, 16);
  if (col >= 0) v128.store32_lane(y + (<usize>col << 2), v, 0);
  col = load<i32>(m, 20);
  if (col >= 0) v128.store32_lane(y + (<usize>col << 2), v, 1);
  col = load<i32>(m, 24);
  if (col >= 0) v128.store32_lane(y + (<usize>col << 2), v, 2);
  col = load<i32>(m, 28);
  if (col >= 0) v128.store32_lane(y + (<usize>col << 2), v, 3);
}

/**
 * One row: y[col] = act(sum over the column's nonzeros of x[k] * w (* scale) + bias), x a row of
 * f32 (A = f32) or of widened i32 (A = i32). Four columns per vector; the input values are
 * gathered lane by lane.
 */
export function sell4Gemv<W, A>(G: i32, meta: usize, idx: usize, val: usize, x: usize, y: usize, act: i32, p0: f32, p1: f32): void {
  const WB = sizeof<W>();
  for (let g = 0; g < G; g++) {
    const m = meta + <usize>g * META_BYTES;
    const steps = load<i32>(m), first = load<i32>(m, 4), full = load<i32>(m, 8);
    let ip = idx + (<usize>first << 3);
    let wp = val + ((<usize>first << 2) * WB);
    // Two chains so consecutive steps do not wait on each other's multiply-add; two steps per
    // iteration keep the gathered vectors within V8's register budget.
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
    let s = 0;
    for (; s + 2 <= full; s += 2) {
      a0 = mac<A>(gather4(x, ip), loadW4<W, A>(wp), a0);
      a1 = mac<A>(gather4(x, ip + 8), loadW4<W, A>(wp + 4 * WB), a1);
      ip += 16; wp += 8 * WB;
    }
    if (s < full) {
      a0 = mac<A>(gather4(x, ip), loadW4<W, A>(wp), a0);
      ip += 8; wp += 4 * WB; s++;
    }
    const counts = v128.load(m, 32);
    for (; s < steps; s++) {
      const live = i32x4.gt_s(counts, i32x4.splat(s));
      a1 = vadd<A>(a1, v128.and(mac<A>(gather4(x, ip), loadW4<W, A>(wp), i32x4.splat(0)), live));
      ip += 8; wp += 4 * WB;
    }
    const v = finish<W, A>(vadd<A>(a0, a1), v128.load(m, 64), v128.load(m, 48), act, p0, p1);
    storeLanes(y, m, v);
  }
}

/**
 * One column (lane) times a tile of V vectors (4V pixels) of a dense matrix stored by rows:
 * input row k of the tile starts at x + k * rowBytes. Writes the 4V results contiguously at y
 * (an NCHW output row), or, when `ldyT` > 0, transposed: result i at y + i * ldyT (a column of
 * a row-major Y). V is a compile-time constant after inlining: 6, 4, 2 or 1.
 *
 * Register budget: TurboFan issues a loop body's loads in program order ahead of its (pure)
 * multiply-adds, so every load of an iteration is live at once: loads + accumulators +
 * weights must stay within V8's 15 vector registers, or an accumulator is spilled and its
 * chain runs through memory (measured ~3x slower). Hence 24-pixel tiles (6 + 6 + 1), not
 * XNNPACK's 32 (8 + 8 + 1 = 17), and a second accumulator set (two nonzeros per iteration)
 * only for V <= 2.
 */
@inline
function columnTile<W, A>(
  V: i32, x: usize, rowBytes: usize, ip: usize, wp: usize, cnt: i32,
  scale: v128, bias: v128, y: usize, ldyT: usize, lanes: i32, act: i32, p0: f32, p1: f32,
): void {
  const WB = sizeof<W>();
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  let c = 0;
  if (V <= 2) {
    for (; c + 2 <= cnt; c += 2) {
      const q0 = x + <usize>load<u16>(ip) * rowBytes, q1 = x + <usize>load<u16>(ip, 8) * rowBytes;
      const w0 = splatW<W, A>(wp), w1 = splatW<W, A>(wp + 4 * WB);
      a0 = mac<A>(v128.load(q0), w0, a0); a2 = mac<A>(v128.load(q1), w1, a2);
      if (V == 2) { a1 = mac<A>(v128.load(q0, 16), w0, a1); a3 = mac<A>(v128.load(q1, 16), w1, a3); }
      ip += 16; wp += 8 * WB;
    }
  }
  for (; c < cnt; c++) {
    const q = x + <usize>load<u16>(ip) * rowBytes;
    const w = splatW<W, A>(wp);
    a0 = mac<A>(v128.load(q), w, a0);
    if (V >= 2) a1 = mac<A>(v128.load(q, 16), w, a1);
    if (V >= 4) { a2 = mac<A>(v128.load(q, 32), w, a2); a3 = mac<A>(v128.load(q, 48), w, a3); }
    if (V >= 6) { a4 = mac<A>(v128.load(q, 64), w, a4); a5 = mac<A>(v128.load(q, 80), w, a5); }
    ip += 8; wp += 4 * WB;
  }
  if (V <= 2) {
    a0 = vadd<A>(a0, a2); a1 = vadd<A>(a1, a3);
  }
  if (lanes < 4) {
    storePartial(finish<W, A>(a0, scale, bias, act, p0, p1), y, ldyT, lanes);
    return;
  }
  storeTile(finish<W, A>(a0, scale, bias, act, p0, p1), y, 0, ldyT);
  if (V >= 2) storeTile(finish<W, A>(a1, scale, bias, act, p0, p1), y, 1, ldyT);
  if (V >= 4) {
    storeTile(finish<W, A>(a2, scale, bias, act, p0, p1), y, 2, ldyT);
    storeTile(finish<W, A>(a3, scale, bias, act, p0, p1), y, 3, ldyT);
  }
  if (V >= 6) {
    storeTile(finish<W, A>(a4, scale, bias, act, p0, p1), y, 4, ldyT);
    storeTile(finish<W, A>(a5, scale, bias, act, p0, p1), y, 5, ldyT);
  }
}

@inline
function storeTile(v: v128, y: usize, j: usize, ldyT: usize): void {
  if (ldyT == 0) {
    v128.store(y + (j << 4), v);
    return;
  }
  const r = y + (j << 2) * ldyT;
  v128.store32_lane(r, v, 0);
  v128.store32_lane(r + ldyT, v, 1);
  v128.store32_lane(r + 2 * ldyT, v, 2);
  v128.store32_lane(r + 3 * ldyT, v, 3);
}

/** The first `lanes` (1..3) results of a one-vector tile: the last pixels of a row. */
function storePartial(v: v128, y: usize, ldyT: usize, lanes: i32): void {
  const step: usize = ldyT == 0 ? 4 : ldyT;
  v128.store32_lane(y, v, 0);
  if (lanes > 1) v128.store32_lane(y + step, v, 1);
  if (lanes > 2) v128.store32_lane(y + 2 * step, v, 2);
}

/** Every column of the packed weights times one tile of V vectors (see columnTile). */
@inline
function allColumnsTile<W, A>(
  V: i32, G: i32, meta: usize, idx: usize, val: usize, x: usize, rowBytes: usize,
  y: usize, ldy: usize, ldyT: usize, lanes: i32, act: i32, p0: f32, p1: f32,
): void {
  const WB = sizeof<W>();
  for (let g = 0; g < G; g++) {
    const m = meta + <usize>g * META_BYTES;
    const first = <usize>load<i32>(m, 4);
    for (let lane: usize = 0; lane < 4; lane++) {
      const col = load<i32>(m + (lane << 2), 16);
      if (col < 0) continue;
      const cnt = load<i32>(m + (lane << 2), 32);
      const bias = v128.load_splat<f32>(m + (lane << 2), 48);
      const scale = v128.load_splat<f32>(m + (lane << 2), 64);
      const yc = ldyT == 0 ? y + <usize>col * ldy : y + (<usize>col << 2);
      columnTile<W, A>(V, x, rowBytes, idx + (first << 3) + (lane << 1), val + ((first << 2) + lane) * WB, cnt, scale, bias, yc, ldyT, lanes, act, p0, p1);
    }
  }
}

/**
 * Out[N x P] = W_sparse[N x K] · In[K x P] (+ bias, act), both dense matrices stored by rows:
 * input row k at x + k * rowBytes, output row n at y + n * ldy (bytes) — or, with ldyT > 0,
 * output element (n, p) at y + p * ldyT + n * 4 (the GEMM's row-major Y = Out transposed).
 * Pixels go in tiles of 24, 16, 8 and 4; the last 1..3 pixels in a 4-pixel tile whose extra
 * lanes read past the row (into the next row or the arena's 16-byte tail pad) and are not stored.
 * Pixel tiles outside, columns inside: the tile of In (K rows of 128 bytes) stays in cache
 * while every column's nonzeros walk over it.
 */
export function sell4Dense<W, A>(
  G: i32, meta: usize, idx: usize, val: usize, x: usize, rowBytes: usize, P: i32,
  y: usize, ldy: usize, ldyT: usize, act: i32, p0: f32, p1: f32,
): void {
  let p = 0;
  for (; p + 24 <= P; p += 24) allColumnsTile<W, A>(6, G, meta, idx, val, x + (<usize>p << 2), rowBytes, tileOut(y, p, ldyT), ldy, ldyT, 4, act, p0, p1);
  if (p + 16 <= P) { allColumnsTile<W, A>(4, G, meta, idx, val, x + (<usize>p << 2), rowBytes, tileOut(y, p, ldyT), ldy, ldyT, 4, act, p0, p1); p += 16; }
  if (p + 8 <= P) { allColumnsTile<W, A>(2, G, meta, idx, val, x + (<usize>p << 2), rowBytes, tileOut(y, p, ldyT), ldy, ldyT, 4, act, p0, p1); p += 8; }
  if (p + 4 <= P) { allColumnsTile<W, A>(1, G, meta, idx, val, x + (<usize>p << 2), rowBytes, tileOut(y, p, ldyT), ldy, ldyT, 4, act, p0, p1); p += 4; }
  if (p < P) allColumnsTile<W, A>(1, G, meta, idx, val, x + (<usize>p << 2), rowBytes, tileOut(y, p, ldyT), ldy, ldyT, P - p, act, p0, p1);
}

@inline
function tileOut(y: usize, p: i32, ldyT: usize): usize {
  return ldyT == 0 ? y + (<usize>p << 2) : y + <usize>p * ldyT;
}
