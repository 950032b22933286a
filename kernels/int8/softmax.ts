// int8/uint8 softmax over the last axis, TFLite's integer Reference kernel (exact, portable;
// see kernels/reference/int8/softmax.ts for why this one and not the float-table variant).
// The output quantization is fixed by TFLite: scale 1/256 with zero point −128 (int8) or 0 (uint8).
import { EdgeRunError } from '../../engine/errors.js';
import { qsoftmaxRef } from '../reference/int8/softmax.js';
import type { Runtime } from '../runtime.js';
import { checkDType, checkDim, dtypeOf, newQArray, qview, type QArray } from './common.js';
import { roundHalfAwayFromZero } from '../reference/int8/fixedpoint.js';
import { checkScale, frexp, type QuantDType } from './qparams.js';

const SCALED_DIFF_INTEGER_BITS = 5;

export interface SoftmaxQuant {
  inputMultiplier: number;
  inputLeftShift: number;
  diffMin: number;
}

/**
 * PreprocessSoftmaxScaling(beta, inputScale, 5) and −CalculateInputRadius(5, leftShift):
 * beta·scale·2^26 (capped at 2^31 − 1) as a multiplier ≥ 1 with a left shift.
 */
export function softmaxQuant(inputScale: number, beta = 1): SoftmaxQuant {
  checkScale(inputScale, 'softmax: inputScale');
  if (typeof beta !== 'number' || !Number.isFinite(beta) || !(beta > 0)) throw new EdgeRunError('InvalidArgument', `softmax: beta must be finite and > 0, got ${beta}`);
  const real = Math.min(Math.fround(beta) * Math.fround(inputScale) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  if (real < 1) throw new EdgeRunError('InvalidArgument', `softmax: beta·inputScale = ${real / 2 ** 26} is too small (< 2^-26) for TFLite's integer softmax`);
  let [q, shift] = frexp(real);
  let qFixed = roundHalfAwayFromZero(q * 2 ** 31);
  if (qFixed === 2 ** 31) {
    qFixed /= 2;
    shift++;
  }
  const diffMin = -Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** shift);
  return { inputMultiplier: qFixed, inputLeftShift: shift, diffMin };
}

/** rows × depth bytes at xPtr → rows × depth at outPtr (same dtype). */
export function qsoftmaxPtr(rt: Runtime, rows: number, depth: number, xPtr: number, outPtr: number, inputScale: number, dtype: QuantDType = 'int8', beta = 1): void {
  const where = 'qsoftmaxPtr';
  checkDim(rows, `${where}: rows`);
  checkDim(depth, `${where}: depth`);
  const dt = checkDType(dtype, `${where}: dtype`);
  const q = softmaxQuant(inputScale, beta);
  const n = rows * depth;
  if (n === 0) return;
  rt.arena.check(xPtr, n, `${where}: x`);
  rt.arena.check(outPtr, n, `${where}: out`);
  if (!rt.wasm) {
    const [outMin, outMax] = dt === 'int8' ? [-128, 127] : [0, 255];
    qsoftmaxRef(qview(rt, dt, xPtr, n), rows, depth, { ...q, outMin, outMax }, qview(rt, dt, outPtr, n));
    return;
  }
  const exps = rt.arena.alloc(depth * 4, `${where}: exp scratch`);
  try {
    rt.wasm.i8_softmax(xPtr, outPtr, rows, depth, dt === 'uint8' ? 1 : 0, q.inputMultiplier, q.inputLeftShift, q.diffMin, exps);
  } finally {
    rt.arena.free(exps);
  }
}

/** Convenience: x is rows × depth (int8 or uint8). */
export function qsoftmax(rt: Runtime, x: QArray, depth: number, inputScale: number, beta = 1): QArray {
  const where = 'qsoftmax';
  const dt = dtypeOf(x, `${where}: x`);
  checkDim(depth, `${where}: depth`);
  if (depth === 0 ? x.length !== 0 : x.length % depth !== 0) throw new EdgeRunError('ShapeMismatch', `${where}: x has ${x.length} elements, not a multiple of depth ${depth}`);
  const rows = depth === 0 ? 0 : x.length / depth;
  const out = newQArray(dt, x.length);
  const xPtr = rt.arena.alloc(x.length, `${where}: x`);
  const oPtr = rt.arena.alloc(x.length, `${where}: out`);
  try {
    qview(rt, dt, xPtr, x.length).set(x);
    qsoftmaxPtr(rt, rows, depth, xPtr, oPtr, inputScale, dt, beta);
    out.set(qview(rt, dt, oPtr, x.length));
  } finally {
    rt.arena.free(oPtr);
    rt.arena.free(xPtr);
  }
  return out;
}
