// Direct depthwise convolution, NCHW float32.
//
// Outputs are computed 4 at a time along the output width. For stride 1 the taps of 4
// neighbouring outputs are 4 neighbouring inputs (one unaligned load); for stride 2 they are
// the even or odd lanes of two loads. Padding costs no branches: each input row is copied once
// per plane into a ring of zero-padded rows (scratch), and tap rows above or below the image
// point at a shared zero row, so every chunk of 4 outputs runs the same straight-line code.
// (Scalar border outputs with bounds checks cost as much as the whole vector interior of a
// 112-wide MobileNet row; the row copy costs about a tenth of it.)
// 3x3 (weights held in registers) and 5x5 with horizontal stride 1 or 2 have unrolled
// chunks; any other kernel, stride or dilation takes the general chunk.
//
// Packed weights (kernels/dwconv.ts packs them): per output channel (1 + kH*kW) vectors of
// four equal floats: the bias, then the taps in row-major order, so the loops load ready
// vectors instead of broadcasting.
//
// Input rows are copied with vector loads that may read up to 12 bytes past the last input
// element; the arena pads every block by 16 bytes for that.
import { applyAct, ACT_NONE, ACT_RELU, ACT_CLIP } from './lib/activation';
import { madd } from './lib/vmath';

// Geometry of the current call, set once by dwconv_f32.
let gH: i32 = 0, gW: i32 = 0, gKH: i32 = 0, gKW: i32 = 0;
let gSH: i32 = 0, gSW: i32 = 0, gDH: i32 = 0, gDW: i32 = 0;
let gPT: i32 = 0, gPL: i32 = 0, gOH: i32 = 0, gOW: i32 = 0;
let gAct: i32 = 0, gP0: f32 = 0, gP1: f32 = 0;
// Scratch: gRingRows padded rows of gRowBytes (the taps' rows and the next output row's), then the zero row, then kH row pointers.
let gRing: usize = 0, gRingRows: i32 = 0, gRowBytes: usize = 0, gZeroRow: usize = 0, gRowPtrs: usize = 0;

function paddedRowFloats(W: i32, kW: i32, sw: i32, dw: i32, pl: i32, OW: i32): i32 {
  // Wide enough for the data and for every load of the last (possibly partial) chunk:
  // stride-2 chunks read up to 12 floats past their first tap.
  const chunks = (OW + 3) >> 2;
  const reach = chunks * 4 * sw + (kW - 1) * dw + 16;
  return (max(pl + W, reach) + 3) & ~3;
}

/** Bytes of scratch dwconv_f32 needs for this geometry (16-byte aligned pieces). */
export function dwconv_scratch_bytes(W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pl: i32, OW: i32): i32 {
  const ringRows = (kH - 1) * dh + 1 + sh;
  return (ringRows + 1) * paddedRowFloats(W, kW, sw, dw, pl, OW) * 4 + ((kH * 4 + 15) & ~15);
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

// Before output row oy: copy the input rows it needs that are not in the ring yet and point
// gRowPtrs[ky] at padded column 0 of each tap row. Returns the new highest copied row.
@inline
function prepareRows(inP: usize, oy: i32, copied: i32): i32 {
  const iy0 = oy * gSH - gPT;
  // Also copy the rows of the next output row: read right after their (misaligned) stores,
  // loads would wait for the stores to commit instead of being forwarded.
  const last = min(iy0 + gSH + (gKH - 1) * gDH, gH - 1);
  const padOff = <usize>gPL * 4;
  for (let iy = max(copied + 1, iy0); iy <= last; iy++) {
    if (iy < 0) continue;
    copyRow(gRing + <usize>(iy % gRingRows) * gRowBytes + padOff, inP + <usize>(iy * gW) * 4, gW);
    copied = iy;
  }
  for (let ky = 0; ky < gKH; ky++) {
    const iy = iy0 + ky * gDH;
    const row = iy >= 0 && iy < gH ? gRing + <usize>(iy % gRingRows) * gRowBytes : gZeroRow;
    store<usize>(gRowPtrs + <usize>ky * 4, row);
  }
  return copied;
}

// The first n (1..3) lanes of v.
@inline
function storePartial(o: usize, v: v128, n: i32): void {
  if (n & 2) {
    v128.store64_lane(o, v, 0);
    if (n & 1) v128.store32_lane(o, v, 2, 8);
  } else {
    v128.store32_lane(o, v, 0);
  }
}

// Four outputs' taps at p, p + s, p + 2s, p + 3s (s = stride in floats).
@inline
function loadStrided(p: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(p);
  if (sw == 2) return f32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const step = <usize>sw * 4;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + step * 2));
  return f32x4.replace_lane(v, 3, load<f32>(p + step * 3));
}

// Any kernel, stride and dilation; weights loaded next to the inputs.
@inline
function chunkGeneral(x: usize, wc: usize, kH: i32, kW: i32, sw: i32, colStep: usize): v128 {
  let acc = v128.load(wc);
  let wk = wc + 16;
  for (let ky = 0; ky < kH; ky++) {
    let p = load<usize>(gRowPtrs + <usize>ky * 4) + x;
    for (let kx = 0; kx < kW; kx++) {
      acc = madd(loadStrided(p, sw), v128.load(wk), acc);
      p += colStep;
      wk += 16;
    }
  }
  return acc;
}

function generalPlane(inP: usize, wc: usize, outP: usize): void {
  const OW = gOW, kH = gKH, kW = gKW, sw = gSW, act = gAct, p0 = gP0, p1 = gP1;
  const colStep = <usize>gDW * 4, chunkStep = <usize>sw * 16;
  const full = OW >> 2, rest = OW & 3;
  let copied = -1;
  for (let oy = 0; oy < gOH; oy++) {
    copied = prepareRows(inP, oy, copied);
    let o = outP + <usize>(oy * OW) * 4;
    let x: usize = 0;
    for (let c = 0; c < full; c++) {
      v128.store(o, applyAct(chunkGeneral(x, wc, kH, kW, sw, colStep), act, p0, p1));
      o += 16;
      x += chunkStep;
    }
    if (rest) storePartial(o, applyAct(chunkGeneral(x, wc, kH, kW, sw, colStep), act, p0, p1), rest);
  }
}

// Taps x, x+1, x+2 of four stride-2 outputs from inputs x .. x+8.
@inline
function row3s2(r: usize, wa: v128, wb: v128, wc: v128, acc: v128): v128 {
  const a = v128.load(r), b = v128.load(r, 16), c = v128.load(r, 32);
  const even = f32x4.shuffle(a, b, 0, 2, 4, 6);
  const odd = f32x4.shuffle(a, b, 1, 3, 5, 7);
  const even2 = f32x4.shuffle(even, c, 1, 2, 3, 4);
  return madd(even2, wc, madd(odd, wb, madd(even, wa, acc)));
}

@inline
function chunk3x3(r0: usize, r1: usize, r2: usize, SW: i32, b: v128,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128): v128 {
  let acc = b;
  if (SW == 1) {
    acc = madd(v128.load(r0), w0, acc);
    acc = madd(v128.load(r0, 4), w1, acc);
    acc = madd(v128.load(r0, 8), w2, acc);
    acc = madd(v128.load(r1), w3, acc);
    acc = madd(v128.load(r1, 4), w4, acc);
    acc = madd(v128.load(r1, 8), w5, acc);
    acc = madd(v128.load(r2), w6, acc);
    acc = madd(v128.load(r2, 4), w7, acc);
    return madd(v128.load(r2, 8), w8, acc);
  }
  acc = row3s2(r0, w0, w1, w2, acc);
  acc = row3s2(r1, w3, w4, w5, acc);
  return row3s2(r2, w6, w7, w8, acc);
}

// 3x3, dilation 1, horizontal stride SW (1 or 2), any vertical stride: all nine weights stay
// in registers.
@inline
function plane3x3(inP: usize, wc: usize, outP: usize, SW: i32, act: i32, p0: f32, p1: f32): void {
  const OW = gOW, full = OW >> 2, rest = OW & 3, chunkStep = <usize>SW * 16;
  const b = v128.load(wc);
  const w0 = v128.load(wc, 16), w1 = v128.load(wc, 32), w2 = v128.load(wc, 48);
  const w3 = v128.load(wc, 64), w4 = v128.load(wc, 80), w5 = v128.load(wc, 96);
  const w6 = v128.load(wc, 112), w7 = v128.load(wc, 128), w8 = v128.load(wc, 144);
  let copied = -1;
  for (let oy = 0; oy < gOH; oy++) {
    copied = prepareRows(inP, oy, copied);
    let r0 = load<usize>(gRowPtrs), r1 = load<usize>(gRowPtrs, 4), r2 = load<usize>(gRowPtrs, 8);
    let o = outP + <usize>(oy * OW) * 4;
    for (let c = 0; c < full; c++) {
      const acc = chunk3x3(r0, r1, r2, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8);
      v128.store(o, applyAct(acc, act, p0, p1));
      o += 16;
      r0 += chunkStep; r1 += chunkStep; r2 += chunkStep;
    }
    if (rest) {
      const acc = chunk3x3(r0, r1, r2, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8);
      storePartial(o, applyAct(acc, act, p0, p1), rest);
    }
  }
}

// One 5-tap row of a 5x5 chunk, horizontal stride SW (1 or 2).
@inline
function row5(r: usize, wk: usize, SW: i32, acc: v128): v128 {
  if (SW == 1) {
    acc = madd(v128.load(r), v128.load(wk), acc);
    acc = madd(v128.load(r, 4), v128.load(wk, 16), acc);
    acc = madd(v128.load(r, 8), v128.load(wk, 32), acc);
    acc = madd(v128.load(r, 12), v128.load(wk, 48), acc);
    return madd(v128.load(r, 16), v128.load(wk, 64), acc);
  }
  const a = v128.load(r), b = v128.load(r, 16), c = v128.load(r, 32);
  const e0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
  const o1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
  const e2 = f32x4.shuffle(e0, c, 1, 2, 3, 4);
  const o3 = f32x4.shuffle(o1, c, 1, 2, 3, 5);
  const e4 = f32x4.shuffle(e2, c, 1, 2, 3, 6);
  acc = madd(e0, v128.load(wk), acc);
  acc = madd(o1, v128.load(wk, 16), acc);
  acc = madd(e2, v128.load(wk, 32), acc);
  acc = madd(o3, v128.load(wk, 48), acc);
  return madd(e4, v128.load(wk, 64), acc);
}

@inline
function chunk5x5(r0: usize, r1: usize, r2: usize, r3: usize, r4: usize, wc: usize, SW: i32): v128 {
  let acc = row5(r0, wc + 16, SW, v128.load(wc));
  acc = row5(r1, wc + 96, SW, acc);
  acc = row5(r2, wc + 176, SW, acc);
  acc = row5(r3, wc + 256, SW, acc);
  return row5(r4, wc + 336, SW, acc);
}

// 5x5, dilation 1: 25 weights do not fit in registers, they are loaded beside the inputs.
@inline
function plane5x5(inP: usize, wc: usize, outP: usize, SW: i32, act: i32, p0: f32, p1: f32): void {
  const OW = gOW, full = OW >> 2, rest = OW & 3, chunkStep = <usize>SW * 16;
  let copied = -1;
  for (let oy = 0; oy < gOH; oy++) {
    copied = prepareRows(inP, oy, copied);
    let r0 = load<usize>(gRowPtrs), r1 = load<usize>(gRowPtrs, 4), r2 = load<usize>(gRowPtrs, 8);
    let r3 = load<usize>(gRowPtrs, 12), r4 = load<usize>(gRowPtrs, 16);
    let o = outP + <usize>(oy * OW) * 4;
    for (let c = 0; c < full; c++) {
      v128.store(o, applyAct(chunk5x5(r0, r1, r2, r3, r4, wc, SW), act, p0, p1));
      o += 16;
      r0 += chunkStep; r1 += chunkStep; r2 += chunkStep; r3 += chunkStep; r4 += chunkStep;
    }
    if (rest) storePartial(o, applyAct(chunk5x5(r0, r1, r2, r3, r4, wc, SW), act, p0, p1), rest);
  }
}

// One copy of each unrolled plane per common activation, so the epilogue folds to a constant
// (none, relu, relu6-style clip); rarer activations branch per vector.
function plane3x3s1(inP: usize, wc: usize, outP: usize): void {
  const act = gAct, p0 = gP0, p1 = gP1;
  if (act == ACT_NONE) plane3x3(inP, wc, outP, 1, ACT_NONE, p0, p1);
  else if (act == ACT_RELU) plane3x3(inP, wc, outP, 1, ACT_RELU, p0, p1);
  else if (act == ACT_CLIP) plane3x3(inP, wc, outP, 1, ACT_CLIP, p0, p1);
  else plane3x3(inP, wc, outP, 1, act, p0, p1);
}
function plane3x3s2(inP: usize, wc: usize, outP: usize): void {
  const act = gAct, p0 = gP0, p1 = gP1;
  if (act == ACT_NONE) plane3x3(inP, wc, outP, 2, ACT_NONE, p0, p1);
  else if (act == ACT_RELU) plane3x3(inP, wc, outP, 2, ACT_RELU, p0, p1);
  else if (act == ACT_CLIP) plane3x3(inP, wc, outP, 2, ACT_CLIP, p0, p1);
  else plane3x3(inP, wc, outP, 2, act, p0, p1);
}
function plane5x5s1(inP: usize, wc: usize, outP: usize): void {
  const act = gAct, p0 = gP0, p1 = gP1;
  if (act == ACT_NONE) plane5x5(inP, wc, outP, 1, ACT_NONE, p0, p1);
  else if (act == ACT_RELU) plane5x5(inP, wc, outP, 1, ACT_RELU, p0, p1);
  else if (act == ACT_CLIP) plane5x5(inP, wc, outP, 1, ACT_CLIP, p0, p1);
  else plane5x5(inP, wc, outP, 1, act, p0, p1);
}
function plane5x5s2(inP: usize, wc: usize, outP: usize): void {
  const act = gAct, p0 = gP0, p1 = gP1;
  if (act == ACT_NONE) plane5x5(inP, wc, outP, 2, ACT_NONE, p0, p1);
  else if (act == ACT_RELU) plane5x5(inP, wc, outP, 2, ACT_RELU, p0, p1);
  else if (act == ACT_CLIP) plane5x5(inP, wc, outP, 2, ACT_CLIP, p0, p1);
  else plane5x5(inP, wc, outP, 2, act, p0, p1);
}

const PLANE_GENERAL: i32 = 0, PLANE_3X3S1: i32 = 1, PLANE_3X3S2: i32 = 2, PLANE_5X5S1: i32 = 3, PLANE_5X5S2: i32 = 4;

/**
 * input [N, C, H, W]; output [N, C*mult, OH, OW]; weights packed as above; scratch of
 * dwconv_scratch_bytes(...) bytes. The caller has validated every argument and computed OH, OW.
 */
export function dwconv_f32(
  input: usize, weights: usize, output: usize, scratch: usize,
  N: i32, C: i32, mult: i32, H: i32, W: i32,
  kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  OH: i32, OW: i32, act: i32, p0: f32, p1: f32,
): void {
  gH = H; gW = W; gKH = kH; gKW = kW; gSH = sh; gSW = sw; gDH = dh; gDW = dw;
  gPT = pt; gPL = pl; gOH = OH; gOW = OW; gAct = act; gP0 = p0; gP1 = p1;
  gRingRows = (kH - 1) * dh + 1 + sh;
  gRowBytes = <usize>paddedRowFloats(W, kW, sw, dw, pl, OW) * 4;
  gRing = scratch;
  gZeroRow = scratch + <usize>gRingRows * gRowBytes;
  gRowPtrs = gZeroRow + gRowBytes;
  // Padding columns are never written after this: row copies fill only the data columns.
  memory.fill(scratch, 0, gRowPtrs - scratch);
  let kind = PLANE_GENERAL;
  if (dh == 1 && dw == 1 && kH == kW && (sw == 1 || sw == 2)) {
    if (kH == 3) kind = sw == 1 ? PLANE_3X3S1 : PLANE_3X3S2;
    else if (kH == 5) kind = sw == 1 ? PLANE_5X5S1 : PLANE_5X5S2;
  }
  const M = C * mult;
  const inPlane = <usize>(H * W) * 4, outPlane = <usize>(OH * OW) * 4;
  const chanBytes = <usize>(1 + kH * kW) * 16;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const inP = input + <usize>(n * C + m / mult) * inPlane;
      const outP = output + <usize>(n * M + m) * outPlane;
      const wc = weights + <usize>m * chanBytes;
      if (kind == PLANE_3X3S1) plane3x3s1(inP, wc, outP);
      else if (kind == PLANE_3X3S2) plane3x3s2(inP, wc, outP);
      else if (kind == PLANE_5X5S1) plane5x5s1(inP, wc, outP);
      else if (kind == PLANE_5X5S2) plane5x5s2(inP, wc, outP);
      else generalPlane(inP, wc, outP);
    }
  }
}
