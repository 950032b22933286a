// Softmax and LogSoftmax on float32 over the middle axis of an [outer, n, inner] view. The graph
// executor maps an ONNX axis onto that view: opset >= 13 reduces over one axis (outer = product
// of the dims before it, inner = product after); opset < 13 flattens to 2-D at the axis
// (outer = product before, n = product from the axis on, inner = 1). in place allowed.
//
// Pointer API: softmaxF32Ptr. Convenience API over Float32Arrays: softmaxF32.
import { EdgeRunError } from '../engine/errors.js';
import { checkDims, fmt } from './broadcast.js';
import { checkAliasing, checkF32Region, checkLength } from './eltwise.js';
import { softmaxRef } from './reference/softmax.js';
import type { Runtime } from './runtime.js';

export type SoftmaxKind = 'softmax' | 'logSoftmax';

function isLog(kind: SoftmaxKind, where: string): boolean {
  if (kind !== 'softmax' && kind !== 'logSoftmax') {
    throw new EdgeRunError('InvalidArgument', `${where}: unknown kind '${String(kind)}' (expected softmax or logSoftmax)`);
  }
  return kind === 'logSoftmax';
}

/** kind over axis 1 of the [outer, n, inner] float32 array at inPtr, into outPtr (may equal inPtr). */
export function softmaxF32Ptr(rt: Runtime, kind: SoftmaxKind, inPtr: number, outPtr: number, outer: number, n: number, inner = 1): void {
  const log = isLog(kind, 'softmaxF32Ptr kind');
  const size = checkDims([outer, n, inner], 'softmaxF32Ptr [outer, n, inner]');
  if (inner === 0) throw new EdgeRunError('InvalidArgument', 'softmaxF32Ptr inner must be at least 1');
  if (size === 0) return;
  checkF32Region(rt, inPtr, size, 'softmaxF32Ptr in');
  checkF32Region(rt, outPtr, size, 'softmaxF32Ptr out');
  checkAliasing(outPtr, size, inPtr, size, 'out', 'in');
  if (rt.wasm === null) softmaxRef(log, rt.arena.f32(inPtr, size), rt.arena.f32(outPtr, size), outer, n, inner);
  else rt.wasm.f32_softmax(inPtr, outPtr, outer, n, inner, log ? 1 : 0);
}

/** kind of x (dims) along `axis` (negative counts from the end), opset-13 semantics. */
export function softmaxF32(rt: Runtime, kind: SoftmaxKind, x: Float32Array, dims: readonly number[], axis = -1): Float32Array {
  isLog(kind, 'softmaxF32 kind');
  const size = checkLength(x, dims, 'softmaxF32 x');
  const rank = dims.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new EdgeRunError('InvalidArgument', `softmaxF32 axis ${String(axis)} is out of range for dims ${fmt(dims)}`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  const outer = dims.slice(0, ax).reduce((p, d) => p * d, 1);
  const inner = dims.slice(ax + 1).reduce((p, d) => p * d, 1);
  const p = rt.arena.alloc(4 * size, 'softmaxF32 x');
  try {
    rt.arena.f32(p, size).set(x);
    // inner = 0 only when the array is empty; then nothing runs.
    if (size > 0) softmaxF32Ptr(rt, kind, p, p, outer, dims[ax], inner);
    return rt.arena.f32(p, size).slice();
  } finally {
    rt.arena.free(p);
  }
}
