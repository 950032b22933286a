// A ring of padded input rows for direct NCHW sliding-window kernels (depthwise conv, pooling).
//
// Each input row is copied once per plane into a scratch row whose padding columns hold the
// pad value (0 for convolution and average pooling, -inf for max pooling); tap rows above or
// below the image point at a row made only of the pad value. The kernels then compute every
// chunk of 4 outputs with the same branch-free vector code: scalar border outputs with bounds
// checks would cost as much as the whole vector interior of a 112-wide row.
//
// Rows are copied one output row ahead: loads that straddle just-written (misaligned) stores
// would wait for the stores to commit instead of being forwarded.

// Geometry of the current call (one call at a time: WASM is single-threaded here).
let rH: i32 = 0, rW: i32 = 0, rKH: i32 = 0, rSH: i32 = 0, rDH: i32 = 0, rPT: i32 = 0, rPL: i32 = 0;
let rRing: usize = 0, rRingRows: i32 = 0, rRowBytes: usize = 0, rPadRow: usize = 0, rRowPtrs: usize = 0;

/**
 * Floats per padded row: the data plus left padding, and whatever the last (possibly partial)
 * chunk of 4 outputs reads (stride-2 chunks read up to 12 floats past their first tap).
 */
@inline
export function paddedRowFloats(W: i32, kW: i32, sw: i32, dw: i32, pl: i32, OW: i32): i32 {
  const chunks = (OW + 3) >> 2;
  const reach = chunks * 4 * sw + (kW - 1) * dw + 16;
  return (max(pl + W, reach) + 3) & ~3;
}

@inline
function ringRows(kH: i32, sh: i32, dh: i32): i32 {
  return (kH - 1) * dh + 1 + sh;
}

/** Scratch bytes for the ring, the pad row and kH row pointers (multiple of 16). */
@inline
export function paddedRowsBytes(W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pl: i32, OW: i32): i32 {
  return (ringRows(kH, sh, dh) + 1) * paddedRowFloats(W, kW, sw, dw, pl, OW) * 4 + ((kH * 4 + 15) & ~15);
}

/** Lay the ring out at `scratch` and fill it with the pad value. Once per call. */
export function initPaddedRows(
  scratch: usize, H: i32, W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, OW: i32, pad: f32,
): void {
  rH = H; rW = W; rKH = kH; rSH = sh; rDH = dh; rPT = pt; rPL = pl;
  rRingRows = ringRows(kH, sh, dh);
  rRowBytes = <usize>paddedRowFloats(W, kW, sw, dw, pl, OW) * 4;
  rRing = scratch;
  rPadRow = scratch + <usize>rRingRows * rRowBytes;
  rRowPtrs = rPadRow + rRowBytes;
  // Padding columns are never written after this: row copies fill only the data columns.
  const fill = f32x4.splat(pad);
  for (let p = scratch; p < rRowPtrs; p += 16) v128.store(p, fill);
}

// Copy n floats; the last vector overlaps the previous one so nothing past dst[n) is written.
@inline
function copyRow(dst: usize, src: usize, n: i32): void {
  if (n < 4) {
    for (let i = 0; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, v128.load(src + <usize>i * 4));
  if (i < n) v128.store(dst + <usize>(n - 4) * 4, v128.load(src + <usize>(n - 4) * 4));
}

/**
 * Before output row oy of the plane at inP: copy the rows it (and the next output row) needs
 * that are not in the ring yet, and point row pointer ky at padded column 0 of tap row ky.
 * `copied` is the highest input row copied so far in this plane (-1 at its start); returns
 * the new one.
 */
export function preparePaddedRows(inP: usize, oy: i32, copied: i32): i32 {
  const iy0 = oy * rSH - rPT;
  const last = min(iy0 + rSH + (rKH - 1) * rDH, rH - 1);
  const padOff = <usize>rPL * 4;
  for (let iy = max(copied + 1, iy0); iy <= last; iy++) {
    if (iy < 0) continue;
    copyRow(rRing + <usize>(iy % rRingRows) * rRowBytes + padOff, inP + <usize>(iy * rW) * 4, rW);
    copied = iy;
  }
  for (let ky = 0; ky < rKH; ky++) {
    const iy = iy0 + ky * rDH;
    const row = iy >= 0 && iy < rH ? rRing + <usize>(iy % rRingRows) * rRowBytes : rPadRow;
    store<usize>(rRowPtrs + <usize>ky * 4, row);
  }
  return copied;
}

/** Padded column 0 of tap row ky of the current output row. */
@inline
export function tapRow(ky: i32): usize {
  return load<usize>(rRowPtrs + <usize>ky * 4);
}

/** The first n (1..3) lanes of v. */
@inline
export function storePartial(o: usize, v: v128, n: i32): void {
  if (n & 2) {
    v128.store64_lane(o, v, 0);
    if (n & 1) v128.store32_lane(o, v, 2, 8);
  } else {
    v128.store32_lane(o, v, 0);
  }
}

/** Four outputs' taps at p, p + s, p + 2s, p + 3s (s = stride in floats). */
@inline
export function loadStrided(p: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(p);
  if (sw == 2) return f32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const step = <usize>sw * 4;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + step * 2));
  return f32x4.replace_lane(v, 3, load<f32>(p + step * 3));
}
