// The fp32 GEMM microkernel shared by f32-gemm.ts and conv.ts: a 4x8 register tile.
//
// A is a pre-packed strip of 4 rows stored k-major ([k][row 0..3]): one pointer with constant
// offsets (four row pointers would cost three more adds per k). Each element is broadcast with
// load_splat (16 bytes per k), except for activations packed per call in the baseline build:
// those strips hold every element already broadcast to a vector (64 bytes per k). A broadcast
// from memory takes an FP pipe slot on x86, which the FMA loop can spare but the mul+add loop
// cannot (measured +11% for the baseline tile on L1-resident data, no change for the relaxed
// one). Convolution weights (the convolution's A side) stay unbroadcast in both builds: 4x the
// bytes overflows L1 with a strip of a 3x3x64 filter (ResNet18 on the baseline build: 175 ms
// broadcast, 134 ms plain). The layout is a type argument (ActivationStrips or WeightStrips),
// so each caller gets its own specialised copy of the tile, with no branch in the loop.
// B is an 8-column packed panel: 8 consecutive floats per k, two v128 loads.
// 8 accumulators + 2 B vectors + 1 A vector = 11 live v128 (V8 x64 has 15 to give), so the loop
// never spills. (A 5x8 tile, 13 live, already spilled under V8 11.3: 2.5x slower.)
//
// One k step per iteration on purpose: unrolled by hand, Binaryen nests the madd chains of the
// consecutive steps and hoists all their loads ahead of the FMAs (~20 live vectors: spills).
//
// The tile is always full (4 rows x 8 columns, C row stride `ldc` bytes). Callers route edge
// tiles through a small scratch tile (see gemm-panels.ts) so the hot kernel has no tail logic.
import { madd } from './vmath';
import { applyAct, ACT_NONE } from './activation';

/** Packed-A layout marker (a type argument): A packed per call from activations... */
export type ActivationStrips = u32;
/** ...and A packed once from weights (kernels/conv.ts packs them by conv_a_bytes_per_k()). */
export type WeightStrips = u8;

/** Whether strips of layout L hold pre-broadcast elements: activations, baseline build only. */
@inline export function prebroadcastA<L>(): bool {
  return sizeof<L>() == 4 && !ASC_FEATURE_RELAXED_SIMD;
}

/** Bytes per k of a 4-row strip of layout L. */
@inline export function aKBytes<L>(): usize {
  return prebroadcastA<L>() ? 64 : 16;
}

/** How the accumulators start, besides optionally adding what is already in C. */
export const BIAS_NONE: i32 = 0;
/** 8 floats at `bias`: one per column (GEMM: the bias slot at the head of each packed panel). */
export const BIAS_COLUMNS: i32 = 1;
/** 4 floats at `bias`: one per row (convolution: one per output channel). */
export const BIAS_ROWS: i32 = 2;

/**
 * C[4x8] (=|+=) A[4 x kc] · W[kc x 8] (+ bias), then the activation.
 * initFromC: start from C (K-blocked continuation, or `accumulate`) rather than from zero.
 */
export function gemmTile4x8<L>(
  a: usize, w: usize, kc: i32, c: usize, ldc: usize,
  bias: usize, biasMode: i32, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
  let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  if (biasMode == BIAS_COLUMNS) {
    x00 = v128.load(bias); x01 = v128.load(bias, 16);
    x10 = x00; x11 = x01; x20 = x00; x21 = x01; x30 = x00; x31 = x01;
  } else if (biasMode == BIAS_ROWS) {
    x00 = v128.load_splat<f32>(bias); x01 = x00;
    x10 = v128.load_splat<f32>(bias, 4); x11 = x10;
    x20 = v128.load_splat<f32>(bias, 8); x21 = x20;
    x30 = v128.load_splat<f32>(bias, 12); x31 = x30;
  }
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (initFromC) {
    x00 = f32x4.add(x00, v128.load(c)); x01 = f32x4.add(x01, v128.load(c, 16));
    x10 = f32x4.add(x10, v128.load(c1)); x11 = f32x4.add(x11, v128.load(c1, 16));
    x20 = f32x4.add(x20, v128.load(c2)); x21 = f32x4.add(x21, v128.load(c2, 16));
    x30 = f32x4.add(x30, v128.load(c3)); x31 = f32x4.add(x31, v128.load(c3, 16));
  }
  const PREBROADCAST_A = prebroadcastA<L>();
  for (let k = kc; k > 0; k--) {
    const b0 = v128.load(w), b1 = v128.load(w, 16);
    let va = PREBROADCAST_A ? v128.load(a) : v128.load_splat<f32>(a);
    x00 = madd(va, b0, x00); x01 = madd(va, b1, x01);
    va = PREBROADCAST_A ? v128.load(a, 16) : v128.load_splat<f32>(a, 4);
    x10 = madd(va, b0, x10); x11 = madd(va, b1, x11);
    va = PREBROADCAST_A ? v128.load(a, 32) : v128.load_splat<f32>(a, 8);
    x20 = madd(va, b0, x20); x21 = madd(va, b1, x21);
    va = PREBROADCAST_A ? v128.load(a, 48) : v128.load_splat<f32>(a, 12);
    x30 = madd(va, b0, x30); x31 = madd(va, b1, x31);
    a += aKBytes<L>(); w += 32;
  }
  if (act != ACT_NONE) {
    x00 = applyAct(x00, act, p0, p1); x01 = applyAct(x01, act, p0, p1);
    x10 = applyAct(x10, act, p0, p1); x11 = applyAct(x11, act, p0, p1);
    x20 = applyAct(x20, act, p0, p1); x21 = applyAct(x21, act, p0, p1);
    x30 = applyAct(x30, act, p0, p1); x31 = applyAct(x31, act, p0, p1);
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}
