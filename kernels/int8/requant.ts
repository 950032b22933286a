// Requantization of int32 accumulators to int8/uint8 as a kernel of its own (after
// MatMulInteger / ConvInteger, or to compose QLinear ops), channels last or channels first.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { multiplyByQuantizedMultiplier } from '../reference/int8/fixedpoint.js';
import { checkDim, checkInt32Array, checkRange, newQArray, qview, type QArray } from './common.js';
import { checkZeroPoint, wasmOutputParams, writeLaneParams, writeRowParams, LANE_PARAMS_WORDS, ROW_PARAM_WORDS, type QuantDType, type QuantizedMultiplier } from './qparams.js';

export interface RequantParams {
  /** One per channel. */
  multipliers: readonly QuantizedMultiplier[];
  /** Added to the accumulators first (int32 wrap); default 0. */
  bias?: Int32Array;
  outputZeroPoint: number;
  outputDType?: QuantDType;
  /** Clamp range in the output dtype's scale; default the whole dtype. */
  range?: [number, number];
}

function prepare(p: RequantParams, C: number, where: string) {
  if (!Array.isArray(p.multipliers) || p.multipliers.length !== C) {
    throw new EdgeRunError('ShapeMismatch', `${where}: multipliers must have one entry per channel (${C})`);
  }
  p.multipliers.forEach((q, i) => {
    if (!Number.isInteger(q?.multiplier) || q.multiplier < 0 || q.multiplier > 0x7fffffff || !Number.isInteger(q.shift) || q.shift < -31 || q.shift > 30) {
      throw new EdgeRunError('InvalidArgument', `${where}: multipliers[${i}] must be { multiplier in [0, 2^31), shift in [-31, 30] }`);
    }
  });
  const dtype = p.outputDType ?? 'int8';
  if (dtype !== 'int8' && dtype !== 'uint8') throw new EdgeRunError('DTypeMismatch', `${where}: outputDType must be 'int8' or 'uint8'`);
  const range: [number, number] = p.range ?? (dtype === 'int8' ? [-128, 127] : [0, 255]);
  checkRange(range, dtype, `${where}: range`);
  checkZeroPoint(p.outputZeroPoint, dtype, `${where}: outputZeroPoint`);
  const bias = p.bias === undefined ? new Int32Array(C) : checkInt32Array(p.bias, C, `${where}: bias`);
  return { dtype, range, bias };
}

/** The scalar twin: out[i] = clamp(MBQM(acc[i] + bias[c], m[c]) + zp). channelOf maps an index to its channel. */
function requantRef(acc: Int32Array, out: QArray, channelOf: (i: number) => number, p: RequantParams, bias: Int32Array, range: [number, number]): void {
  for (let i = 0; i < acc.length; i++) {
    const c = channelOf(i);
    const q = p.multipliers[c];
    const v = multiplyByQuantizedMultiplier((acc[i] + bias[c]) | 0, q.multiplier, q.shift) + p.outputZeroPoint;
    out[i] = v < range[0] ? range[0] : v > range[1] ? range[1] : v;
  }
}

/** acc: rows × C int32 at accPtr (channel fastest) → rows × C int8/uint8 at outPtr. */
export function requantChannelsLastPtr(rt: Runtime, rows: number, C: number, accPtr: number, outPtr: number, p: RequantParams): void {
  const where = 'requantChannelsLastPtr';
  checkDim(rows, `${where}: rows`);
  checkDim(C, `${where}: C`);
  const { dtype, range, bias } = prepare(p, C, where);
  const n = rows * C;
  if (n === 0) return;
  rt.arena.check(accPtr, n * 4, `${where}: acc`);
  rt.arena.check(outPtr, n, `${where}: out`);
  if (!rt.wasm) {
    requantRef(rt.arena.i32(accPtr, n), qview(rt, dtype, outPtr, n), (i) => i % C, p, bias, range);
    return;
  }
  const groups = Math.ceil(C / 4);
  const prm = rt.arena.alloc(groups * LANE_PARAMS_WORDS * 4 + C * 4, `${where}: parameters`);
  try {
    const words = rt.arena.i32(prm, groups * LANE_PARAMS_WORDS + C);
    for (let g = 0; g < groups; g++) writeLaneParams(words, g * LANE_PARAMS_WORDS, p.multipliers.slice(0, C), g * 4);
    words.set(bias, groups * LANE_PARAMS_WORDS);
    const o = wasmOutputParams(p.outputZeroPoint, range, dtype);
    rt.wasm.requant_channels_last(accPtr, rows, C, prm + groups * LANE_PARAMS_WORDS * 4, prm, outPtr, o.zp, o.lo, o.hi, o.flip);
  } finally {
    rt.arena.free(prm);
  }
}

/** acc: C × HW int32 at accPtr (NCHW, one image) → C × HW int8/uint8 at outPtr. */
export function requantChannelsFirstPtr(rt: Runtime, C: number, HW: number, accPtr: number, outPtr: number, p: RequantParams): void {
  const where = 'requantChannelsFirstPtr';
  checkDim(C, `${where}: C`);
  checkDim(HW, `${where}: HW`);
  const { dtype, range, bias } = prepare(p, C, where);
  const n = C * HW;
  if (n === 0) return;
  rt.arena.check(accPtr, n * 4, `${where}: acc`);
  rt.arena.check(outPtr, n, `${where}: out`);
  if (!rt.wasm) {
    requantRef(rt.arena.i32(accPtr, n), qview(rt, dtype, outPtr, n), (i) => Math.floor(i / HW), p, bias, range);
    return;
  }
  const prm = rt.arena.alloc(C * ROW_PARAM_WORDS * 4, `${where}: parameters`);
  try {
    const words = rt.arena.i32(prm, C * ROW_PARAM_WORDS);
    for (let c = 0; c < C; c++) writeRowParams(words, c * ROW_PARAM_WORDS, bias[c], p.multipliers[c]);
    const o = wasmOutputParams(p.outputZeroPoint, range, dtype);
    rt.wasm.requant_channels_first(accPtr, C, HW, prm, outPtr, o.zp, o.lo, o.hi, o.flip);
  } finally {
    rt.arena.free(prm);
  }
}

/** Convenience over typed arrays: layout 'channelsLast' (rows × C) or 'channelsFirst' (C × HW). */
export function requantize(rt: Runtime, acc: Int32Array, C: number, layout: 'channelsLast' | 'channelsFirst', p: RequantParams): QArray {
  const where = 'requantize';
  if (!(acc instanceof Int32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: acc must be an Int32Array`);
  checkDim(C, `${where}: C`);
  if (C === 0 ? acc.length !== 0 : acc.length % C !== 0) throw new EdgeRunError('ShapeMismatch', `${where}: acc has ${acc.length} elements, not a multiple of C = ${C}`);
  if (layout !== 'channelsLast' && layout !== 'channelsFirst') throw new EdgeRunError('InvalidArgument', `${where}: layout must be 'channelsLast' or 'channelsFirst'`);
  const dtype = p.outputDType ?? 'int8';
  const out = newQArray(dtype === 'uint8' ? 'uint8' : 'int8', acc.length);
  const other = C === 0 ? 0 : acc.length / C;
  const accPtr = rt.arena.alloc(acc.byteLength, `${where}: acc`);
  let outPtr = -1;
  try {
    outPtr = rt.arena.alloc(acc.length, `${where}: out`);
    rt.arena.i32(accPtr, acc.length).set(acc);
    if (layout === 'channelsLast') requantChannelsLastPtr(rt, other, C, accPtr, outPtr, p);
    else requantChannelsFirstPtr(rt, C, other, accPtr, outPtr, p);
    out.set(qview(rt, dtype, outPtr, acc.length));
  } finally {
    if (outPtr >= 0) rt.arena.free(outPtr);
    rt.arena.free(accPtr);
  }
  return out;
}
