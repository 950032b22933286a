// A ring of padded input rows for direct NCHW sliding-window kernels (depthwise conv, pooling).
//
// The kernels compute 4 outputs ("a chunk") at a time along the output width. Chunks whose
// taps all lie inside the input row read the input directly. Chunks that touch the padding
// (and the partial last chunk) read a copy of the row's edge columns in a scratch row whose
// padding columns hold the pad value (0 for convolution and average pooling, -inf for max
// pooling); tap rows above or below the image point at a row made only of the pad value.
// So every chunk runs the same branch-free vector code, and only a few columns per row are
// copied: scalar border outputs with bounds checks would cost as much as the whole vector
// interior of a 112-wide row, and copying whole rows about a fifth of it.
//
// Row edges are copied one output row ahead: loads that straddle just-written (misaligned)
// stores would wait for the stores to commit instead of being forwarded.
//
// Both pointer sets address "padded columns": column c is input column c - pl.

// Geometry of the current call (one call at a time: WASM is single-threaded here).
let rH: i32 = 0, rW: i32 = 0, rKH: i32 = 0, rSH: i32 = 0, rDH: i32 = 0, rPT: i32 = 0, rPL: i32 = 0;
let rRing: usize = 0, rRingRows: i32 = 0, rRowBytes: usize = 0, rPadRow: usize = 0;
let rRingPtrs: usize = 0, rDirectPtrs: usize = 0;
// Chunks [0, rLeft) and [rRight, ...) read the ring; [rLeft, rRight) read the input.
let rLeft: i32 = 0, rRight: i32 = 0;
// Input columns copied into the ring: [0, rCopyA) and [rCopyB, W).
let rCopyA: i32 = 0, rCopyB: i32 = 0;

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

// The taps' rows of two consecutive output rows (kernels may process rows in pairs) and the
// rows copied ahead for the row after them.
@inline
function ringRows(kH: i32, sh: i32, dh: i32): i32 {
  return (kH - 1) * dh + 1 + 2 * sh;
}

/** Scratch bytes for the ring, the pad row and two sets of kH row pointers (multiple of 16). */
@inline
export function paddedRowsBytes(W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pl: i32, OW: i32): i32 {
  return (ringRows(kH, sh, dh) + 1) * paddedRowFloats(W, kW, sw, dw, pl, OW) * 4 + ((kH * 4 + 15) & ~15) * 2;
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
  rRingPtrs = rPadRow + rRowBytes;
  rDirectPtrs = rRingPtrs + <usize>((kH * 4 + 15) & ~15);
  // Padding columns are never written after this: row copies fill only data columns.
  const fill = f32x4.splat(pad);
  for (let p = scratch; p < rRingPtrs; p += 16) v128.store(p, fill);

  // Direct chunks need every tap inside the row: first tap column >= pl, last <= pl + W - 1.
  // The partial last chunk always reads the ring (its spare lanes may reach past the input).
  const full = OW >> 2, step = 4 * sw, lastTap = 3 * sw + (kW - 1) * dw;
  rLeft = min((pl + step - 1) / step, full);
  const num = pl + W - 1 - lastTap;
  rRight = num < 0 ? rLeft : max(rLeft, min(num / step + 1, full));
  // Columns the ring chunks read, over-reads of the stride-2 loads included.
  const span = step + (kW - 1) * dw + 8;
  rCopyA = rLeft > 0 ? min(W, rLeft * step + span - pl) : 0;
  rCopyB = rRight < ((OW + 3) >> 2) ? max(0, rRight * step - pl) : W;
  if (rCopyA >= rCopyB) {
    rCopyA = W;
    rCopyB = W;
  }
}

/** Chunks [0, leftChunks()) read the ring rows. */
@inline
export function leftChunks(): i32 {
  return rLeft;
}

/** Chunks [leftChunks(), directEnd()) read the input directly; the rest the ring rows. */
@inline
export function directEnd(): i32 {
  return rRight;
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

// Copy input columns [a, b) of a row into its ring row (vectors if there are 4 or more).
@inline
function copyColumns(dst: usize, src: usize, a: i32, b: i32): void {
  if (b > a) copyRow(dst + <usize>a * 4, src + <usize>a * 4, b - a);
}

/**
 * Before output row oy of the plane at inP: copy the edges of the rows it (and the next
 * output row) needs that are not in the ring yet, and set both sets of row pointers.
 * `copied` is the highest input row copied so far in this plane (-1 at its start); returns
 * the new one. Pointers set for row oy stay valid through the call for row oy + 1.
 */
export function preparePaddedRows(inP: usize, oy: i32, copied: i32): i32 {
  const iy0 = oy * rSH - rPT;
  const last = min(iy0 + rSH + (rKH - 1) * rDH, rH - 1);
  const padOff = <usize>rPL * 4;
  for (let iy = max(copied + 1, iy0); iy <= last; iy++) {
    if (iy < 0) continue;
    const dst = rRing + <usize>(iy % rRingRows) * rRowBytes + padOff;
    const src = inP + <usize>(iy * rW) * 4;
    copyColumns(dst, src, 0, rCopyA);
    copyColumns(dst, src, rCopyB, rW);
    copied = iy;
  }
  for (let ky = 0; ky < rKH; ky++) {
    const iy = iy0 + ky * rDH;
    const inside = iy >= 0 && iy < rH;
    store<usize>(rRingPtrs + <usize>ky * 4, inside ? rRing + <usize>(iy % rRingRows) * rRowBytes : rPadRow);
    // Wraps below address 0 when pl > 0, harmlessly: direct chunks read columns >= pl.
    store<usize>(rDirectPtrs + <usize>ky * 4, inside ? inP + <usize>(iy * rW) * 4 - padOff : rPadRow);
  }
  return copied;
}

/** Row pointer tables (kH entries each): ring rows, or the input rows themselves. */
@inline
export function ringRowPtrs(): usize {
  return rRingPtrs;
}

@inline
export function directRowPtrs(): usize {
  return rDirectPtrs;
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
