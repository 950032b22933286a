// Direct depthwise convolution, NCHW float32.
//
// Outputs are computed 4 at a time along the output width. For stride 1 the taps of 4
// neighbouring outputs are 4 neighbouring inputs (one unaligned load); for stride 2 they are
// the even or odd lanes of two loads. Padding costs no branches: chunks that touch it read
// zero-padded copies of the row edges (lib/padded-rows.ts), the others read the input, and
// every chunk of 4 outputs runs the same straight-line code. A row is three runs of chunks:
// left edge (copies), interior (input), right edge and the partial last chunk (copies).
// 3x3 (weights held in registers) and 5x5 with horizontal stride 1 or 2 have unrolled
// chunks; any other kernel, stride or dilation takes the general chunk.
//
// Packed weights (kernels/dwconv.ts packs them): per output channel (1 + kH*kW) vectors of
// four equal floats: the bias, then the taps in row-major order, so the loops load ready
// vectors instead of broadcasting.
//
// Stride-2 chunks may load up to 12 bytes past the last input element they need; the arena
// pads every block by 16 bytes for that.
import { applyAct, ACT_NONE, ACT_RELU, ACT_CLIP } from './lib/activation';
import { madd } from './lib/vmath';
import {
  directEnd, directRowPtrs, initPaddedRows, leftChunks, loadStrided, paddedRowsBytes, preparePaddedRows, ringRowPtrs, storePartial,
} from './lib/padded-rows';

// Geometry of the current call, set once by dwconv_f32.
let gKH: i32 = 0, gKW: i32 = 0, gSH: i32 = 0, gSW: i32 = 0, gDW: i32 = 0, gOH: i32 = 0, gOW: i32 = 0;
let gAct: i32 = 0, gP0: f32 = 0, gP1: f32 = 0;

/** Bytes of scratch dwconv_f32 needs for this geometry. */
export function dwconv_scratch_bytes(W: i32, kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pl: i32, OW: i32): i32 {
  return paddedRowsBytes(W, kH, kW, sh, sw, dh, dw, pl, OW);
}

// Any kernel, stride and dilation; weights loaded next to the inputs. `ptrs` is a row
// pointer table (ring or direct), x the chunk's first padded column in bytes.
@inline
function chunkGeneral(ptrs: usize, x: usize, wc: usize, kH: i32, kW: i32, sw: i32, colStep: usize): v128 {
  let acc = v128.load(wc);
  let wk = wc + 16;
  for (let ky = 0; ky < kH; ky++) {
    let p = load<usize>(ptrs + <usize>ky * 4) + x;
    for (let kx = 0; kx < kW; kx++) {
      acc = madd(loadStrided(p, sw), v128.load(wk), acc);
      p += colStep;
      wk += 16;
    }
  }
  return acc;
}

// Chunks [from, to) of the current output row at o; returns o past them.
@inline
function runGeneral(o: usize, ptrs: usize, from: i32, to: i32, wc: usize): usize {
  const kH = gKH, kW = gKW, sw = gSW, act = gAct, p0 = gP0, p1 = gP1;
  const colStep = <usize>gDW * 4, chunkStep = <usize>sw * 16;
  let x = <usize>from * chunkStep;
  for (let c = from; c < to; c++) {
    v128.store(o, applyAct(chunkGeneral(ptrs, x, wc, kH, kW, sw, colStep), act, p0, p1));
    o += 16;
    x += chunkStep;
  }
  return o;
}

function generalPlane(inP: usize, wc: usize, outP: usize): void {
  const OW = gOW, full = OW >> 2, rest = OW & 3, left = leftChunks(), right = directEnd();
  const ring = ringRowPtrs(), direct = directRowPtrs();
  let copied = -1;
  for (let oy = 0; oy < gOH; oy++) {
    copied = preparePaddedRows(inP, oy, copied);
    let o = outP + <usize>(oy * OW) * 4;
    o = runGeneral(o, ring, 0, left, wc);
    o = runGeneral(o, direct, left, right, wc);
    o = runGeneral(o, ring, right, full, wc);
    if (rest) {
      const acc = chunkGeneral(ring, <usize>full * gSW * 16, wc, gKH, gKW, gSW, <usize>gDW * 4);
      storePartial(o, applyAct(acc, gAct, gP0, gP1), rest);
    }
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

@inline
function run3x3(o: usize, ptrs: usize, from: i32, to: i32, SW: i32, b: v128,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128,
  act: i32, p0: f32, p1: f32): usize {
  const chunkStep = <usize>SW * 16, x = <usize>from * chunkStep;
  let r0 = load<usize>(ptrs) + x, r1 = load<usize>(ptrs, 4) + x, r2 = load<usize>(ptrs, 8) + x;
  for (let c = from; c < to; c++) {
    v128.store(o, applyAct(chunk3x3(r0, r1, r2, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8), act, p0, p1));
    o += 16;
    r0 += chunkStep; r1 += chunkStep; r2 += chunkStep;
  }
  return o;
}

// Stride 1 in both directions: two output rows per pass share the loads of their two middle
// input rows (12 loads per 18 FMAs instead of 18), and the loop overhead.
@inline
function run3x3Pair(o: usize, o2: usize, ptrs: usize, ptr3: usize, from: i32, to: i32, b: v128,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128,
  act: i32, p0: f32, p1: f32): void {
  const x = <usize>from * 16;
  let r0 = load<usize>(ptrs) + x, r1 = load<usize>(ptrs, 4) + x, r2 = load<usize>(ptrs, 8) + x, r3 = ptr3 + x;
  for (let c = from; c < to; c++) {
    // Row partials (see chunk5x5); rows 1 and 2 feed both outputs.
    let top = madd(v128.load(r0, 8), w2, madd(v128.load(r0, 4), w1, madd(v128.load(r0), w0, b)));
    let x0 = v128.load(r1), x1 = v128.load(r1, 4), x2 = v128.load(r1, 8);
    top = f32x4.add(top, madd(x2, w5, madd(x1, w4, f32x4.mul(x0, w3))));
    let bottom = madd(x2, w2, madd(x1, w1, madd(x0, w0, b)));
    x0 = v128.load(r2); x1 = v128.load(r2, 4); x2 = v128.load(r2, 8);
    top = f32x4.add(top, madd(x2, w8, madd(x1, w7, f32x4.mul(x0, w6))));
    bottom = f32x4.add(bottom, madd(x2, w5, madd(x1, w4, f32x4.mul(x0, w3))));
    bottom = f32x4.add(bottom, madd(v128.load(r3, 8), w8, madd(v128.load(r3, 4), w7, f32x4.mul(v128.load(r3), w6))));
    v128.store(o + <usize>(c - from) * 16, applyAct(top, act, p0, p1));
    v128.store(o2 + <usize>(c - from) * 16, applyAct(bottom, act, p0, p1));
    r0 += 16; r1 += 16; r2 += 16; r3 += 16;
  }
}

// 3x3, dilation 1, horizontal stride SW (1 or 2), any vertical stride: all nine weights stay
// in registers.
@inline
function plane3x3(inP: usize, wc: usize, outP: usize, SW: i32, act: i32, p0: f32, p1: f32): void {
  const OW = gOW, full = OW >> 2, rest = OW & 3, left = leftChunks(), right = directEnd();
  const ring = ringRowPtrs(), direct = directRowPtrs();
  const b = v128.load(wc);
  const w0 = v128.load(wc, 16), w1 = v128.load(wc, 32), w2 = v128.load(wc, 48);
  const w3 = v128.load(wc, 64), w4 = v128.load(wc, 80), w5 = v128.load(wc, 96);
  const w6 = v128.load(wc, 112), w7 = v128.load(wc, 128), w8 = v128.load(wc, 144);
  let copied = -1;
  let oy = 0;
  if (SW == 1 && gSH == 1) {
    for (; oy + 2 <= gOH; oy += 2) {
      copied = preparePaddedRows(inP, oy, copied);
      // Rows 0..2 of the pair's first row, then row 3 from the second row's tables.
      const ring0 = load<usize>(ring), ring1 = load<usize>(ring, 4), ring2 = load<usize>(ring, 8);
      const direct0 = load<usize>(direct), direct1 = load<usize>(direct, 4), direct2 = load<usize>(direct, 8);
      copied = preparePaddedRows(inP, oy + 1, copied);
      const ring3 = load<usize>(ring, 8), direct3 = load<usize>(direct, 8);
      store<usize>(ring, ring0); store<usize>(ring, ring1, 4); store<usize>(ring, ring2, 8);
      store<usize>(direct, direct0); store<usize>(direct, direct1, 4); store<usize>(direct, direct2, 8);
      const o = outP + <usize>(oy * OW) * 4, o2 = o + <usize>OW * 4;
      run3x3Pair(o, o2, ring, ring3, 0, left, b, w0, w1, w2, w3, w4, w5, w6, w7, w8, act, p0, p1);
      const skip = <usize>left * 16;
      run3x3Pair(o + skip, o2 + skip, direct, direct3, left, right, b, w0, w1, w2, w3, w4, w5, w6, w7, w8, act, p0, p1);
      const skip2 = <usize>right * 16;
      run3x3Pair(o + skip2, o2 + skip2, ring, ring3, right, full, b, w0, w1, w2, w3, w4, w5, w6, w7, w8, act, p0, p1);
      if (rest) {
        const x = <usize>full * 16;
        const top = chunk3x3(ring0 + x, ring1 + x, ring2 + x, 1, b, w0, w1, w2, w3, w4, w5, w6, w7, w8);
        const bottom = chunk3x3(ring1 + x, ring2 + x, ring3 + x, 1, b, w0, w1, w2, w3, w4, w5, w6, w7, w8);
        storePartial(o + x, applyAct(top, act, p0, p1), rest);
        storePartial(o2 + x, applyAct(bottom, act, p0, p1), rest);
      }
    }
  }
  for (; oy < gOH; oy++) {
    copied = preparePaddedRows(inP, oy, copied);
    let o = outP + <usize>(oy * OW) * 4;
    o = run3x3(o, ring, 0, left, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8, act, p0, p1);
    o = run3x3(o, direct, left, right, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8, act, p0, p1);
    o = run3x3(o, ring, right, full, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8, act, p0, p1);
    if (rest) {
      const x = <usize>full * SW * 16;
      const acc = chunk3x3(load<usize>(ring) + x, load<usize>(ring, 4) + x, load<usize>(ring, 8) + x, SW, b, w0, w1, w2, w3, w4, w5, w6, w7, w8);
      storePartial(o, applyAct(acc, act, p0, p1), rest);
    }
  }
}

// One 5-tap row of a 5x5 chunk, horizontal stride SW (1 or 2), started from `acc` (the bias
// or zero).
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

// Each tap row sums into its own partial, added to the total afterwards: WASM evaluates
// operands in order and V8 keeps that order, so one chain madd(load, load, madd(...)) over
// all 25 taps would load all 50 vectors before the first multiply and spill most of them.
// add(total, row) evaluates the total first, so only one row's loads are live at a time.
@inline
function chunk5x5(r0: usize, r1: usize, r2: usize, r3: usize, r4: usize, wc: usize, SW: i32): v128 {
  const zero = f32x4.splat(0);
  let acc = row5(r0, wc + 16, SW, v128.load(wc));
  acc = f32x4.add(acc, row5(r1, wc + 96, SW, zero));
  acc = f32x4.add(acc, row5(r2, wc + 176, SW, zero));
  acc = f32x4.add(acc, row5(r3, wc + 256, SW, zero));
  return f32x4.add(acc, row5(r4, wc + 336, SW, zero));
}

@inline
function run5x5(o: usize, ptrs: usize, from: i32, to: i32, wc: usize, SW: i32, act: i32, p0: f32, p1: f32): usize {
  const chunkStep = <usize>SW * 16, x = <usize>from * chunkStep;
  let r0 = load<usize>(ptrs) + x, r1 = load<usize>(ptrs, 4) + x, r2 = load<usize>(ptrs, 8) + x;
  let r3 = load<usize>(ptrs, 12) + x, r4 = load<usize>(ptrs, 16) + x;
  for (let c = from; c < to; c++) {
    v128.store(o, applyAct(chunk5x5(r0, r1, r2, r3, r4, wc, SW), act, p0, p1));
    o += 16;
    r0 += chunkStep; r1 += chunkStep; r2 += chunkStep; r3 += chunkStep; r4 += chunkStep;
  }
  return o;
}

// 5x5, dilation 1: 25 weights do not fit in registers, they are loaded beside the inputs.
@inline
function plane5x5(inP: usize, wc: usize, outP: usize, SW: i32, act: i32, p0: f32, p1: f32): void {
  const OW = gOW, full = OW >> 2, rest = OW & 3, left = leftChunks(), right = directEnd();
  const ring = ringRowPtrs(), direct = directRowPtrs();
  let copied = -1;
  for (let oy = 0; oy < gOH; oy++) {
    copied = preparePaddedRows(inP, oy, copied);
    let o = outP + <usize>(oy * OW) * 4;
    o = run5x5(o, ring, 0, left, wc, SW, act, p0, p1);
    o = run5x5(o, direct, left, right, wc, SW, act, p0, p1);
    o = run5x5(o, ring, right, full, wc, SW, act, p0, p1);
    if (rest) {
      const x = <usize>full * SW * 16;
      const acc = chunk5x5(load<usize>(ring) + x, load<usize>(ring, 4) + x, load<usize>(ring, 8) + x,
        load<usize>(ring, 12) + x, load<usize>(ring, 16) + x, wc, SW);
      storePartial(o, applyAct(acc, act, p0, p1), rest);
    }
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
  gKH = kH; gKW = kW; gSH = sh; gSW = sw; gDW = dw; gOH = OH; gOW = OW; gAct = act; gP0 = p0; gP1 = p1;
  initPaddedRows(scratch, H, W, kH, kW, sh, sw, dh, dw, pt, pl, OW, 0);
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
