// Pooling, NCHW float32: max and average over 2-D windows (1-D runs as 2-D with H = 1), a
// scalar 3-D fallback, and global max / average.
//
// 2-D pooling computes 4 outputs at a time along the output width; chunks touching the padding
// read padded copies of the row edges (lib/padded-rows.ts), the others the input. The pad
// value is -inf for max (so padding never wins) and 0 for average (so padding adds nothing). Average divides by the number of counted taps, which is
// separable: (counted tap rows of oy) x (counted tap columns of ox), the latter precomputed
// per call. 3x3 stride 1 and 2 and 2x2 stride 2 reduce the tap rows first and shuffle once.
//
// NaN inputs never win a max (f32x4.pmax(acc, v) keeps acc when v is NaN), like the
// reference's `v > best`.
import {
  directEnd, directRowPtrs, initPaddedRows, leftChunks, loadStrided, paddedRowsBytes, preparePaddedRows, ringRowPtrs, storePartial,
} from './lib/padded-rows';

let gKH: i32 = 0, gKW: i32 = 0, gSH: i32 = 0, gSW: i32 = 0, gDH: i32 = 0, gDW: i32 = 0;
let gPT: i32 = 0, gOH: i32 = 0, gOW: i32 = 0;
// Average pooling: rows counted as taps are [gRowLo, gRowHi) (input coordinates); gColCount
// holds the counted taps per output column.
let gRowLo: i32 = 0, gRowHi: i32 = 0, gColCount: usize = 0;

const KIND_GENERAL: i32 = 0, KIND_3X3S1: i32 = 1, KIND_3X3S2: i32 = 2, KIND_2X2S2: i32 = 3;

@inline
function combine(a: v128, b: v128, isMax: bool): v128 {
  return isMax ? f32x4.pmax(a, b) : f32x4.add(a, b);
}

/** Bytes of scratch maxpool2d_f32 / avgpool2d_f32 need. */
export function pool2d_scratch_bytes(W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pl: i32, OW: i32): i32 {
  return paddedRowsBytes(W, kH, kW, sh, sw, dh, dw, pl, OW) + ((OW + 3) & ~3) * 4;
}

// `ptrs`: a row pointer table (ring or direct); x: the chunk's first padded column in bytes.
@inline
function chunkGeneral(ptrs: usize, x: usize, isMax: bool): v128 {
  const kH = gKH, kW = gKW, sw = gSW, colStep = <usize>gDW * 4;
  let acc = isMax ? f32x4.splat(<f32>-Infinity) : f32x4.splat(0);
  for (let ky = 0; ky < kH; ky++) {
    let p = load<usize>(ptrs + <usize>ky * 4) + x;
    for (let kx = 0; kx < kW; kx++) {
      acc = combine(acc, loadStrided(p, sw), isMax);
      p += colStep;
    }
  }
  return acc;
}

// Rows first (on the raw loads), then the horizontal taps: one set of shuffles per chunk
// instead of one per tap row.
@inline
function chunk3x3s1(r0: usize, r1: usize, r2: usize, isMax: bool): v128 {
  const a = combine(combine(v128.load(r0), v128.load(r1), isMax), v128.load(r2), isMax);
  const b = combine(combine(v128.load(r0, 4), v128.load(r1, 4), isMax), v128.load(r2, 4), isMax);
  const c = combine(combine(v128.load(r0, 8), v128.load(r1, 8), isMax), v128.load(r2, 8), isMax);
  return combine(combine(a, b, isMax), c, isMax);
}

@inline
function chunk3x3s2(r0: usize, r1: usize, r2: usize, isMax: bool): v128 {
  const a = combine(combine(v128.load(r0), v128.load(r1), isMax), v128.load(r2), isMax);
  const b = combine(combine(v128.load(r0, 16), v128.load(r1, 16), isMax), v128.load(r2, 16), isMax);
  const c = combine(combine(v128.load(r0, 32), v128.load(r1, 32), isMax), v128.load(r2, 32), isMax);
  const even = f32x4.shuffle(a, b, 0, 2, 4, 6);
  const odd = f32x4.shuffle(a, b, 1, 3, 5, 7);
  const even2 = f32x4.shuffle(even, c, 1, 2, 3, 4);
  return combine(combine(even, odd, isMax), even2, isMax);
}

@inline
function chunk2x2s2(r0: usize, r1: usize, isMax: bool): v128 {
  const a = combine(v128.load(r0), v128.load(r1), isMax);
  const b = combine(v128.load(r0, 16), v128.load(r1, 16), isMax);
  return combine(f32x4.shuffle(a, b, 0, 2, 4, 6), f32x4.shuffle(a, b, 1, 3, 5, 7), isMax);
}

@inline
function chunk(kind: i32, ptrs: usize, x: usize, isMax: bool): v128 {
  if (kind == KIND_3X3S1) return chunk3x3s1(load<usize>(ptrs) + x, load<usize>(ptrs, 4) + x, load<usize>(ptrs, 8) + x, isMax);
  if (kind == KIND_3X3S2) return chunk3x3s2(load<usize>(ptrs) + x, load<usize>(ptrs, 4) + x, load<usize>(ptrs, 8) + x, isMax);
  if (kind == KIND_2X2S2) return chunk2x2s2(load<usize>(ptrs) + x, load<usize>(ptrs, 4) + x, isMax);
  return chunkGeneral(ptrs, x, isMax);
}

// Average: divide by (counted rows of oy) x (counted columns of each output).
@inline
function finish(v: v128, c: i32, rows: v128, isMax: bool): v128 {
  if (isMax) return v;
  return f32x4.div(v, f32x4.mul(rows, v128.load(gColCount + <usize>c * 16)));
}

// Chunks [from, to) of the current output row at o; returns o past them.
@inline
function run(o: usize, ptrs: usize, from: i32, to: i32, kind: i32, rows: v128, isMax: bool): usize {
  const chunkStep = <usize>gSW * 16;
  let x = <usize>from * chunkStep;
  for (let c = from; c < to; c++) {
    v128.store(o, finish(chunk(kind, ptrs, x, isMax), c, rows, isMax));
    o += 16;
    x += chunkStep;
  }
  return o;
}

@inline
function plane(inP: usize, outP: usize, kind: i32, isMax: bool): void {
  const OW = gOW, full = OW >> 2, rest = OW & 3, left = leftChunks(), right = directEnd();
  const ring = ringRowPtrs(), direct = directRowPtrs();
  let copied = -1;
  for (let oy = 0; oy < gOH; oy++) {
    copied = preparePaddedRows(inP, oy, copied);
    let rows = f32x4.splat(0);
    if (!isMax) {
      let n = 0;
      for (let ky = 0, iy = oy * gSH - gPT; ky < gKH; ky++, iy += gDH) n += <i32>(iy >= gRowLo && iy < gRowHi);
      rows = f32x4.splat(<f32>n);
    }
    let o = outP + <usize>(oy * OW) * 4;
    o = run(o, ring, 0, left, kind, rows, isMax);
    o = run(o, direct, left, right, kind, rows, isMax);
    o = run(o, ring, right, full, kind, rows, isMax);
    if (rest) storePartial(o, finish(chunk(kind, ring, <usize>full * gSW * 16, isMax), full, rows, isMax), rest);
  }
}

function setup(scratch: usize, H: i32, W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, OH: i32, OW: i32, pad: f32): i32 {
  gKH = kH; gKW = kW; gSH = sh; gSW = sw; gDH = dh; gDW = dw; gPT = pt; gOH = OH; gOW = OW;
  initPaddedRows(scratch, H, W, kH, kW, sh, sw, dh, dw, pt, pl, OW, pad);
  gColCount = scratch + <usize>paddedRowsBytes(W, kH, kW, sh, sw, dh, dw, pl, OW);
  if (dh != 1 || dw != 1) return KIND_GENERAL;
  if (kH == 3 && kW == 3 && sw == 1) return KIND_3X3S1;
  if (kH == 3 && kW == 3 && sw == 2) return KIND_3X3S2;
  if (kH == 2 && kW == 2 && sw == 2) return KIND_2X2S2;
  return KIND_GENERAL;
}

/** input [planes, H, W] -> output [planes, OH, OW]; arguments validated by the caller. */
export function maxpool2d_f32(
  input: usize, output: usize, scratch: usize, planes: i32, H: i32, W: i32,
  kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, OH: i32, OW: i32,
): void {
  const kind = setup(scratch, H, W, kH, kW, sh, sw, dh, dw, pt, pl, OH, OW, <f32>-Infinity);
  const inPlane = <usize>(H * W) * 4, outPlane = <usize>(OH * OW) * 4;
  for (let p = 0; p < planes; p++) {
    const inP = input + <usize>p * inPlane, outP = output + <usize>p * outPlane;
    if (kind == KIND_3X3S1) plane(inP, outP, KIND_3X3S1, true);
    else if (kind == KIND_3X3S2) plane(inP, outP, KIND_3X3S2, true);
    else if (kind == KIND_2X2S2) plane(inP, outP, KIND_2X2S2, true);
    else plane(inP, outP, KIND_GENERAL, true);
  }
}

/**
 * Average over the counted taps: those inside the padded extent [-pad begin, size + pad end)
 * when includePad, else those inside the input.
 */
export function avgpool2d_f32(
  input: usize, output: usize, scratch: usize, planes: i32, H: i32, W: i32,
  kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, pb: i32, pr: i32,
  OH: i32, OW: i32, includePad: bool,
): void {
  const kind = setup(scratch, H, W, kH, kW, sh, sw, dh, dw, pt, pl, OH, OW, 0);
  gRowLo = includePad ? -pt : 0;
  gRowHi = includePad ? H + pb : H;
  const colLo = includePad ? -pl : 0, colHi = includePad ? W + pr : W;
  // Counts for the lanes past OW too (the partial last chunk divides them, never stores them).
  for (let ox = 0, end = (OW + 3) & ~3; ox < end; ox++) {
    let n = 0;
    for (let kx = 0, ix = ox * sw - pl; kx < kW; kx++, ix += dw) n += <i32>(ix >= colLo && ix < colHi);
    store<f32>(gColCount + <usize>ox * 4, <f32>max(n, 1));
  }
  const inPlane = <usize>(H * W) * 4, outPlane = <usize>(OH * OW) * 4;
  for (let p = 0; p < planes; p++) {
    const inP = input + <usize>p * inPlane, outP = output + <usize>p * outPlane;
    if (kind == KIND_3X3S1) plane(inP, outP, KIND_3X3S1, false);
    else if (kind == KIND_3X3S2) plane(inP, outP, KIND_3X3S2, false);
    else if (kind == KIND_2X2S2) plane(inP, outP, KIND_2X2S2, false);
    else plane(inP, outP, KIND_GENERAL, false);
  }
}

/**
 * 3-D max / average pooling, scalar (rare in the models we run). input [planes, D, H, W];
 * pads are begin (pd, ph, pw) and end (qd, qh, qw).
 */
export function pool3d_f32(
  input: usize, output: usize, planes: i32, D: i32, H: i32, W: i32,
  kD: i32, kH: i32, kW: i32, sD: i32, sH: i32, sW: i32, dD: i32, dH: i32, dW: i32,
  pd: i32, ph: i32, pw: i32, qd: i32, qh: i32, qw: i32, OD: i32, OH: i32, OW: i32,
  isMax: bool, includePad: bool,
): void {
  const inPlane = <usize>(D * H * W) * 4;
  let o = output;
  for (let p = 0; p < planes; p++) {
    const inP = input + <usize>p * inPlane;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc: f32 = isMax ? <f32>-Infinity : 0;
          let padded = 0, inside = 0;
          for (let a = 0; a < kD; a++) {
            const id = od * sD - pd + a * dD;
            const dIn = id >= 0 && id < D, dPad = id >= -pd && id < D + qd;
            for (let b = 0; b < kH; b++) {
              const ih = oh * sH - ph + b * dH;
              const hIn = ih >= 0 && ih < H, hPad = ih >= -ph && ih < H + qh;
              for (let c = 0; c < kW; c++) {
                const iw = ow * sW - pw + c * dW;
                const wIn = iw >= 0 && iw < W, wPad = iw >= -pw && iw < W + qw;
                padded += <i32>(dPad && hPad && wPad);
                if (!(dIn && hIn && wIn)) continue;
                inside++;
                const v = load<f32>(inP + <usize>((id * H + ih) * W + iw) * 4);
                acc = isMax ? (v > acc ? v : acc) : acc + v;
              }
            }
          }
          store<f32>(o, isMax ? acc : acc / <f32>(includePad ? padded : inside));
          o += 4;
        }
      }
    }
  }
}

/** GlobalMaxPool / GlobalAveragePool: input [planes, size] -> output [planes]. */
export function global_pool_f32(input: usize, output: usize, planes: i32, size: i32, isMax: bool): void {
  const init = isMax ? f32x4.splat(<f32>-Infinity) : f32x4.splat(0);
  for (let pl = 0; pl < planes; pl++) {
    let p = input + <usize>pl * <usize>size * 4;
    let a0 = init, a1 = init, a2 = init, a3 = init;
    let i = 0;
    for (; i + 16 <= size; i += 16) {
      a0 = combine(a0, v128.load(p), isMax);
      a1 = combine(a1, v128.load(p, 16), isMax);
      a2 = combine(a2, v128.load(p, 32), isMax);
      a3 = combine(a3, v128.load(p, 48), isMax);
      p += 64;
    }
    for (; i + 4 <= size; i += 4) {
      a0 = combine(a0, v128.load(p), isMax);
      p += 16;
    }
    let v = combine(combine(a0, a1, isMax), combine(a2, a3, isMax), isMax);
    v = combine(v, f32x4.shuffle(v, v, 2, 3, 0, 1), isMax);
    v = combine(v, f32x4.shuffle(v, v, 1, 0, 3, 2), isMax);
    let acc = f32x4.extract_lane(v, 0);
    for (; i < size; i++) {
      const x = load<f32>(p);
      acc = isMax ? (x > acc ? x : acc) : acc + x;
      p += 4;
    }
    store<f32>(output + <usize>pl * 4, isMax ? acc : acc / <f32>size);
  }
}
