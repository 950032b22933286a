// int8/uint8 concatenation along an axis, requantizing inputs whose scale or zero point differ
// from the output's as TFLite's reference ConcatenationWithScaling does (float32:
// round(q·scale + bias) + zp with scale = inScale·(1/outScale), bias = −zIn·scale); inputs with
// the output's parameters are copied.
import { EdgeRunError } from '../../engine/errors.js';
import { requantCopyRef } from '../reference/int8/eltwise.js';
import type { Runtime } from '../runtime.js';
import { checkDType, dtypeOf, newQArray, qview, type QArray } from './common.js';
import { checkScale, checkZeroPoint, dtypeRange, type QuantDType, type QuantParams } from './qparams.js';

export interface QConcatInput {
  ptr: number;
  /** Extent along the concatenation axis. */
  axisSize: number;
  params: QuantParams;
}

/**
 * Inputs are [outer, axisSize_i, inner]; the output [outer, Σ axisSize_i, inner] at outPtr.
 * All of one dtype.
 */
export function qconcatPtr(rt: Runtime, outer: number, inner: number, inputs: QConcatInput[], outPtr: number, out: QuantParams, dtype: QuantDType = 'int8'): void {
  const where = 'qconcatPtr';
  for (const [v, what] of [[outer, 'outer'], [inner, 'inner']] as const) {
    if (!Number.isInteger(v) || v < 0) throw new EdgeRunError('InvalidArgument', `${where}: ${what} must be a non-negative integer, got ${v}`);
  }
  checkDType(dtype, `${where}: dtype`);
  checkScale(out?.scale, `${where}: out.scale`);
  checkZeroPoint(out.zeroPoint, dtype, `${where}: out.zeroPoint`);
  if (!Array.isArray(inputs) || inputs.length === 0) throw new EdgeRunError('InvalidArgument', `${where}: at least one input is required`);
  let total = 0;
  inputs.forEach((x, i) => {
    if (!Number.isInteger(x?.axisSize) || x.axisSize < 0) throw new EdgeRunError('InvalidArgument', `${where}: inputs[${i}].axisSize must be a non-negative integer`);
    checkScale(x.params?.scale, `${where}: inputs[${i}].params.scale`);
    checkZeroPoint(x.params.zeroPoint, dtype, `${where}: inputs[${i}].params.zeroPoint`);
    total += x.axisSize;
  });
  if (outer * total * inner === 0) return;
  inputs.forEach((x, i) => rt.arena.check(x.ptr, outer * x.axisSize * inner, `${where}: inputs[${i}]`));
  rt.arena.check(outPtr, outer * total * inner, `${where}: out`);
  const [qmin, qmax] = dtypeRange(dtype);
  const invOut = Math.fround(1 / Math.fround(out.scale));
  let offset = 0;
  for (const x of inputs) {
    const block = x.axisSize * inner;
    const same = Math.fround(x.params.scale) === Math.fround(out.scale) && x.params.zeroPoint === out.zeroPoint;
    const scale = Math.fround(Math.fround(x.params.scale) * invOut);
    const bias = Math.fround(-x.params.zeroPoint * scale);
    for (let o = 0; o < outer; o++) {
      const src = x.ptr + o * block;
      const dst = outPtr + o * total * inner + offset;
      if (same) new Uint8Array(rt.arena.buffer, dst, block).set(new Uint8Array(rt.arena.buffer, src, block));
      else if (rt.wasm) rt.wasm.i8_requant_copy(block, src, dst, dtype === 'uint8' ? 1 : 0, scale, bias, out.zeroPoint, qmin, qmax);
      else requantCopyRef(qview(rt, dtype, src, block), scale, bias, out.zeroPoint, qmin, qmax, qview(rt, dtype, dst, block));
    }
    offset += block;
  }
}

/** Convenience: arrays of shape [outer, axisSize_i, inner]. */
export function qconcat(rt: Runtime, outer: number, inner: number, inputs: { data: QArray; params: QuantParams }[], out: QuantParams): QArray {
  const where = 'qconcat';
  if (!Array.isArray(inputs) || inputs.length === 0) throw new EdgeRunError('InvalidArgument', `${where}: at least one input is required`);
  const dtype = dtypeOf(inputs[0].data, `${where}: inputs[0].data`);
  const per = outer * inner;
  const sizes = inputs.map((x, i) => {
    if (dtypeOf(x.data, `${where}: inputs[${i}].data`) !== dtype) throw new EdgeRunError('DTypeMismatch', `${where}: inputs[${i}] is not ${dtype} like inputs[0]`);
    if (per === 0 ? x.data.length !== 0 : x.data.length % per !== 0) throw new EdgeRunError('ShapeMismatch', `${where}: inputs[${i}] has ${x.data.length} elements, not a multiple of outer×inner = ${per}`);
    return per === 0 ? 0 : x.data.length / per;
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const result = newQArray(dtype, outer * total * inner);
  const ptrs: number[] = [];
  try {
    for (const x of inputs) {
      const p = rt.arena.alloc(x.data.length, `${where}: input`);
      ptrs.push(p);
      qview(rt, dtype, p, x.data.length).set(x.data);
    }
    const oPtr = rt.arena.alloc(result.length, `${where}: out`);
    ptrs.push(oPtr);
    qconcatPtr(rt, outer, inner, inputs.map((x, i) => ({ ptr: ptrs[i], axisSize: sizes[i], params: x.params })), oPtr, out, dtype);
    result.set(qview(rt, dtype, oPtr, result.length));
  } finally {
    for (const p of ptrs.reverse()) rt.arena.free(p);
  }
  return result;
}
