// The int8 GEMM microkernel: a 4×8 tile of int32 accumulators over int16 operands.
//
// Both operands were widened to int16 with their zero points subtracted (at pack time for
// weights, per call for activations): every product (a − za)(w − zw) has |·| ≤ 255², so
// i32x4.dot_i16x8_s (pmaddwd: two products summed per lane) can never overflow, for int8 and
// uint8 alike, and no zero-point correction terms are needed.
//
//  rows  (a strip of 4): per k-pair the 4 rows' (k, k+1) int16 pairs, 16 bytes, one load; each
//        pair is broadcast by pshufd.
//  panel: per k-pair 8 columns × (k, k+1) int16 = 32 bytes, two v128 loads.
// Per k-pair: 3 loads + 4 shuffles + 8 dot + 8 add (and V8's loop overhead: a stack check, two
// address zero-extensions, the compare: 31 instructions, no spills, checked with
// --print-wasm-code). 8 accumulators + 2 panel vectors + 2 = 12 live v128 of the 15 V8 gives.
//
// Tried and not adopted (Node 20 / V8 11.3 on this Zen 3 box, 1024³ MatMulInteger): the "c8"
// layout (each accumulator lane sums its own k-range of one row × one column, one horizontal
// reduction per tile, no broadcasts): a 2×4 tile (2 row + 4 column loads, 8 dot, 8 add per
// 8 k) ran at the same speed as this tile, in the GEMM and in an L1-resident loop (both ≈68
// GOP/s); a k-unrolled 2×4 c8 spilled (seen in --print-wasm-code: TurboFan schedules all of a
// loop body's loads first, so accumulators + loads + 1 must fit in 15 v128) and was ~20% slower,
// as was a 3×3 c8 tile (9 + 6 + 1 = 16); the row-block size (8 to 64 rows) changed nothing:
// the loop is compute-bound, not L2-bound. V8 already unrolls such a loop by 2 itself (one stack
// check per two trips, seen for the 2×4 c8 loop).
import { requantLanes, srdhmBounded, packClampI8, LANE_PARAMS_BYTES } from './requant';

/** Raw int32 accumulators out (MatMulInteger / ConvInteger). */
export const OUT_I32: i32 = 0;
/** Requantize with one multiplier per column (GEMM: per output channel = column). */
export const OUT_Q_COLS: i32 = 1;
/**
 * Per column, the short form for bounded accumulators (|acc + bias| · 2^(E − right) < 2^30):
 * the panel head holds 8 biases, 8 multipliers (at 32), 8 factors 2^(E − right) (at 64), then
 * E (at 96) and 2^(E − 1) (at 100), E the largest right shift of the panel's columns. Scaling a
 * lane by 2^(E − right) before the shared rounding shift by E rounds it exactly as a shift by
 * its own `right` would (the remainder bits only move up), so one uniform shift serves all lanes.
 */
export const OUT_Q_COLS_SHORT: i32 = 3;

/** Per-column epilogue block at the head of a packed weight panel: 8 int32 biases, then lane params. */
export const COL_BIAS_BYTES: usize = 32;
export const COL_HEAD_BYTES: usize = COL_BIAS_BYTES + 2 * LANE_PARAMS_BYTES;

/**
 * C[4×8] = epilogue(R[4×2kp] · P[2kp×8]). `params`: OUT_Q_COLS / OUT_Q_COLS_SHORT → the panel
 * head (COL_HEAD_BYTES); OUT_I32 → unused. C row stride `ldc` bytes. (Convolutions, which
 * requantize per row, have their own tile: wasm/lib/i8-conv-tile.ts.)
 * Quantized outputs: + zp, clamp to [lo, hi] (int8 lanes), XOR flip; 8 bytes per row.
 */
@inline
export function i8GemmTile4x8(
  r: usize, p: usize, kp: i32, c: usize, ldc: usize,
  mode: i32, params: usize, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  let x00 = i32x4.splat(0), x01 = x00, x10 = x00, x11 = x00;
  let x20 = x00, x21 = x00, x30 = x00, x31 = x00;
  // Not unrolled: TurboFan hoists the loads of an unrolled body ahead of the arithmetic and
  // spills accumulators (seen in --print-wasm-code); one k-pair per trip keeps all in registers.
  const end = r + (<usize>kp << 4);
  while (r < end) {
    const b0 = v128.load(p), b1 = v128.load(p, 16);
    // One load of the 4 rows' pairs, lanes broadcast by pshufd: V8 does not fold constant
    // offsets into vbroadcastss addresses (it adds a lea per splat), so this is fewer ops.
    const va = v128.load(r);
    let vr = i32x4.shuffle(va, va, 0, 0, 0, 0); x00 = i32x4.add(x00, i32x4.dot_i16x8_s(vr, b0)); x01 = i32x4.add(x01, i32x4.dot_i16x8_s(vr, b1));
    vr = i32x4.shuffle(va, va, 1, 1, 1, 1); x10 = i32x4.add(x10, i32x4.dot_i16x8_s(vr, b0)); x11 = i32x4.add(x11, i32x4.dot_i16x8_s(vr, b1));
    vr = i32x4.shuffle(va, va, 2, 2, 2, 2); x20 = i32x4.add(x20, i32x4.dot_i16x8_s(vr, b0)); x21 = i32x4.add(x21, i32x4.dot_i16x8_s(vr, b1));
    vr = i32x4.shuffle(va, va, 3, 3, 3, 3); x30 = i32x4.add(x30, i32x4.dot_i16x8_s(vr, b0)); x31 = i32x4.add(x31, i32x4.dot_i16x8_s(vr, b1));
    r += 16; p += 32;
  }
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (mode == OUT_I32) {
    v128.store(c, x00); v128.store(c, x01, 16);
    v128.store(c1, x10); v128.store(c1, x11, 16);
    v128.store(c2, x20); v128.store(c2, x21, 16);
    v128.store(c3, x30); v128.store(c3, x31, 16);
    return;
  }
  if (mode == OUT_Q_COLS_SHORT) {
    const b0 = v128.load(params), b1 = v128.load(params, 16);
    const q0 = v128.load(params, 32), q1 = v128.load(params, 48);
    const m0 = v128.load(params, 64), m1 = v128.load(params, 80);
    const e = load<i32>(params, 96), vround = v128.load32_splat(params, 100);
    x00 = colsShort(i32x4.add(x00, b0), q0, m0, vround, e); x01 = colsShort(i32x4.add(x01, b1), q1, m1, vround, e);
    x10 = colsShort(i32x4.add(x10, b0), q0, m0, vround, e); x11 = colsShort(i32x4.add(x11, b1), q1, m1, vround, e);
    x20 = colsShort(i32x4.add(x20, b0), q0, m0, vround, e); x21 = colsShort(i32x4.add(x21, b1), q1, m1, vround, e);
    x30 = colsShort(i32x4.add(x30, b0), q0, m0, vround, e); x31 = colsShort(i32x4.add(x31, b1), q1, m1, vround, e);
  } else {
    const b0 = v128.load(params), b1 = v128.load(params, 16);
    const q0 = params + COL_BIAS_BYTES, q1 = q0 + LANE_PARAMS_BYTES;
    x00 = requantLanes(i32x4.add(x00, b0), q0); x01 = requantLanes(i32x4.add(x01, b1), q1);
    x10 = requantLanes(i32x4.add(x10, b0), q0); x11 = requantLanes(i32x4.add(x11, b1), q1);
    x20 = requantLanes(i32x4.add(x20, b0), q0); x21 = requantLanes(i32x4.add(x21, b1), q1);
    x30 = requantLanes(i32x4.add(x30, b0), q0); x31 = requantLanes(i32x4.add(x31, b1), q1);
  }
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  const v01 = packClampI8(x00, x01, x10, x11, vzp, vlo, vhi, vflip);
  const v23 = packClampI8(x20, x21, x30, x31, vzp, vlo, vhi, vflip);
  v128.store64_lane(c, v01, 0); v128.store64_lane(c1, v01, 1);
  v128.store64_lane(c2, v23, 0); v128.store64_lane(c3, v23, 1);
}

/** OUT_Q_COLS_SHORT's requantization of one vector (see there). */
@inline
export function colsShort(x: v128, qm: v128, mul: v128, vround: v128, e: i32): v128 {
  const t = i32x4.mul(srdhmBounded(x, qm), mul);
  return i32x4.shr_s(i32x4.add(i32x4.add(t, vround), i32x4.shr_s(t, 31)), e);
}
