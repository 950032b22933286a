// Direct depthwise convolution, NCHW float32.
//
// Each (image, output channel) plane is split into an interior, where every tap of an output
// lies inside the input, and a border. Interior outputs are computed 4 at a time along the
// output width with no bounds checks: for stride 1 the taps of 4 neighbouring outputs are 4
// neighbouring inputs (one unaligned load), for stride 2 they are the even or odd lanes of two
// loads. Border rows (some tap rows in the padding) skip those rows; border columns are scalar.
// 3x3 and 5x5 with stride 1 or 2 (MobileNet / EfficientNet) have unrolled interiors.
//
// Packed weights (kernels/dwconv.ts packs them): per output channel (1 + kH*kW) vectors of
// four equal floats: the bias, then the taps in row-major order. Pre-splatted so the inner
// loops load a ready vector instead of broadcasting.
//
// Reads may run up to 12 bytes past the last input element (stride-2 loads); the arena pads
// every block by 16 bytes for that.
import { applyAct, applyActScalar, ACT_NONE, ACT_RELU, ACT_CLIP } from './lib/activation';
import { madd } from './lib/vmath';

// Geometry of the current call, set once by dwconv_f32 (saves threading 15 arguments
// through every helper; hot loops copy what they need into locals).
let gH: i32 = 0, gW: i32 = 0, gKH: i32 = 0, gKW: i32 = 0;
let gSH: i32 = 0, gSW: i32 = 0, gDH: i32 = 0, gDW: i32 = 0;
let gPT: i32 = 0, gPL: i32 = 0, gOH: i32 = 0, gOW: i32 = 0;
// Output columns [gOXA, gOXB) and rows [gOYA, gOYB) have all taps inside the input.
let gOXA: i32 = 0, gOXB: i32 = 0, gOYA: i32 = 0, gOYB: i32 = 0;
let gAct: i32 = 0, gP0: f32 = 0, gP1: f32 = 0;

/** First output index whose first tap is inside the input, and one past the last whose last tap is. */
function interiorBegin(pad: i32, stride: i32, out: i32): i32 {
  return min((pad + stride - 1) / stride, out);
}
function interiorEnd(size: i32, k: i32, stride: i32, dil: i32, pad: i32, out: i32, begin: i32): i32 {
  const num = size - 1 - (k - 1) * dil + pad;
  if (num < 0) return begin;
  return max(begin, min(num / stride + 1, out));
}

// Outputs [ox0, ox1) of row oy, scalar, with bounds checks on every tap.
function scalarOutputs(inP: usize, wc: usize, outP: usize, oy: i32, ox0: i32, ox1: i32): void {
  const H = gH, W = gW, kH = gKH, kW = gKW;
  const iy0 = oy * gSH - gPT;
  const bias = load<f32>(wc);
  for (let ox = ox0; ox < ox1; ox++) {
    const ix0 = ox * gSW - gPL;
    let acc = bias;
    for (let ky = 0; ky < kH; ky++) {
      const iy = iy0 + ky * gDH;
      if (iy < 0 || iy >= H) continue;
      const row = inP + <usize>(iy * W) * 4;
      const wrow = wc + <usize>(1 + ky * kW) * 16;
      for (let kx = 0; kx < kW; kx++) {
        const ix = ix0 + kx * gDW;
        if (ix < 0 || ix >= W) continue;
        acc += load<f32>(row + <usize>ix * 4) * load<f32>(wrow + <usize>kx * 16);
      }
    }
    store<f32>(outP + <usize>(oy * gOW + ox) * 4, applyActScalar(acc, gAct, gP0, gP1));
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

// Row oy for any kernel, stride and dilation: vector over the interior columns (tap rows in
// the padding are skipped), scalar over the border columns.
function generalRow(inP: usize, wc: usize, outP: usize, oy: i32): void {
  const W = gW, kW = gKW, sw = gSW, dw = gDW, act = gAct, p0 = gP0, p1 = gP1;
  const oxA = gOXA, n = (gOXB - oxA) & ~3;
  const iy0 = oy * gSH - gPT;
  let kyLo = 0, kyHi = gKH;
  while (kyLo < kyHi && iy0 + kyLo * gDH < 0) kyLo++;
  while (kyHi > kyLo && iy0 + (kyHi - 1) * gDH >= gH) kyHi--;
  scalarOutputs(inP, wc, outP, oy, 0, oxA);
  const bias = v128.load(wc);
  const colStep = <usize>dw * 4;
  let o = outP + <usize>(oy * gOW + oxA) * 4;
  let x = inP + <usize>(oxA * sw - gPL) * 4;
  for (let i = 0; i < n; i += 4) {
    let acc = bias;
    for (let ky = kyLo; ky < kyHi; ky++) {
      let p = x + <usize>((iy0 + ky * gDH) * W) * 4;
      let wk = wc + <usize>(1 + ky * kW) * 16;
      for (let kx = 0; kx < kW; kx++) {
        acc = madd(loadStrided(p, sw), v128.load(wk), acc);
        p += colStep;
        wk += 16;
      }
    }
    v128.store(o, applyAct(acc, act, p0, p1));
    o += 16;
    x += <usize>sw * 16;
  }
  scalarOutputs(inP, wc, outP, oy, oxA + n, gOW);
}

function generalPlane(inP: usize, wc: usize, outP: usize): void {
  for (let oy = 0, OH = gOH; oy < OH; oy++) generalRow(inP, wc, outP, oy);
}

// 3x3, dilation 1, horizontal stride SW (1 or 2), any vertical stride. Interior rows keep all
// nine weights in registers.
@inline
function plane3x3(inP: usize, wc: usize, outP: usize, SW: i32, act: i32, p0: f32, p1: f32): void {
  const W = gW, OW = gOW, rowBytes = <usize>W * 4;
  const oxA = gOXA, n = (gOXB - oxA) & ~3;
  const b = v128.load(wc);
  const w0 = v128.load(wc, 16), w1 = v128.load(wc, 32), w2 = v128.load(wc, 48);
  const w3 = v128.load(wc, 64), w4 = v128.load(wc, 80), w5 = v128.load(wc, 96);
  const w6 = v128.load(wc, 112), w7 = v128.load(wc, 128), w8 = v128.load(wc, 144);
  for (let oy = 0; oy < gOYA; oy++) generalRow(inP, wc, outP, oy);
  for (let oy = gOYA, end = gOYB; oy < end; oy++) {
    scalarOutputs(inP, wc, outP, oy, 0, oxA);
    let r0 = inP + <usize>((oy * gSH - gPT) * W + oxA * SW - gPL) * 4;
    let o = outP + <usize>(oy * OW + oxA) * 4;
    for (let i = 0; i < n; i += 4) {
      const r1 = r0 + rowBytes, r2 = r1 + rowBytes;
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
        acc = madd(v128.load(r2, 8), w8, acc);
      } else {
        acc = row3s2(r0, w0, w1, w2, acc);
        acc = row3s2(r1, w3, w4, w5, acc);
        acc = row3s2(r2, w6, w7, w8, acc);
      }
      v128.store(o, applyAct(acc, act, p0, p1));
      o += 16;
      r0 += <usize>SW * 16;
    }
    scalarOutputs(inP, wc, outP, oy, oxA + n, OW);
  }
  for (let oy = max(gOYA, gOYB); oy < gOH; oy++) generalRow(inP, wc, outP, oy);
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

// 5x5, dilation 1, horizontal stride SW (1 or 2). 25 weights do not fit in registers: they
// are loaded (pre-splatted) next to the inputs.
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
function plane5x5(inP: usize, wc: usize, outP: usize, SW: i32, act: i32, p0: f32, p1: f32): void {
  const W = gW, OW = gOW, rowBytes = <usize>W * 4;
  const oxA = gOXA, n = (gOXB - oxA) & ~3;
  const b = v128.load(wc);
  for (let oy = 0; oy < gOYA; oy++) generalRow(inP, wc, outP, oy);
  for (let oy = gOYA, end = gOYB; oy < end; oy++) {
    scalarOutputs(inP, wc, outP, oy, 0, oxA);
    let r = inP + <usize>((oy * gSH - gPT) * W + oxA * SW - gPL) * 4;
    let o = outP + <usize>(oy * OW + oxA) * 4;
    for (let i = 0; i < n; i += 4) {
      let acc = row5(r, wc + 16, SW, b);
      acc = row5(r + rowBytes, wc + 96, SW, acc);
      acc = row5(r + rowBytes * 2, wc + 176, SW, acc);
      acc = row5(r + rowBytes * 3, wc + 256, SW, acc);
      acc = row5(r + rowBytes * 4, wc + 336, SW, acc);
      v128.store(o, applyAct(acc, act, p0, p1));
      o += 16;
      r += <usize>SW * 16;
    }
    scalarOutputs(inP, wc, outP, oy, oxA + n, OW);
  }
  for (let oy = max(gOYA, gOYB); oy < gOH; oy++) generalRow(inP, wc, outP, oy);
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
 * input [N, C, H, W]; output [N, C*mult, OH, OW]; weights packed as above. The caller has
 * validated every argument and computed OH, OW.
 */
export function dwconv_f32(
  input: usize, weights: usize, output: usize,
  N: i32, C: i32, mult: i32, H: i32, W: i32,
  kH: i32, kW: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  OH: i32, OW: i32, act: i32, p0: f32, p1: f32,
): void {
  gH = H; gW = W; gKH = kH; gKW = kW; gSH = sh; gSW = sw; gDH = dh; gDW = dw;
  gPT = pt; gPL = pl; gOH = OH; gOW = OW; gAct = act; gP0 = p0; gP1 = p1;
  gOXA = interiorBegin(pl, sw, OW);
  gOXB = interiorEnd(W, kW, sw, dw, pl, OW, gOXA);
  gOYA = interiorBegin(pt, sh, OH);
  gOYB = interiorEnd(H, kH, sh, dh, pt, OH, gOYA);
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
