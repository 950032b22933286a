// Scalar twin of the binary elementwise kernels: a plain walk over every output index, mapping
// it back into each operand with numpy's broadcasting rule. Deliberately does not use the
// collapsed loop plan of kernels/broadcast.ts, so tests of the plan have an independent oracle.
import type { BinaryOp } from '../eltwise.js';

/** C's pow (what ONNX runtimes use): differs from Math.pow at pow(1, y) and pow(-1, ±Inf). */
export function powC(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b);
}

export function binaryScalar(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'pow':
      return powC(a, b);
    case 'prelu':
      return a < 0 ? a * b : a;
  }
}

/**
 * out = a op b with broadcasting; out has the broadcast shape `outDims`. out may be a or b
 * when that operand already has the output's shape.
 */
export function binaryRef(
  op: BinaryOp,
  a: Float32Array, aDims: readonly number[],
  b: Float32Array, bDims: readonly number[],
  out: Float32Array, outDims: readonly number[],
): void {
  const rank = outDims.length;
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    out[i] = binaryScalar(op, a[offsetIn(index, aDims)], b[offsetIn(index, bDims)]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outDims[d]) break;
      index[d] = 0;
    }
  }
}

/** Row-major offset of the output index `index` in an operand of shape `dims` (right-aligned). */
function offsetIn(index: readonly number[], dims: readonly number[]): number {
  const shift = index.length - dims.length;
  let off = 0;
  for (let d = 0; d < dims.length; d++) off = off * dims[d] + (dims[d] === 1 ? 0 : index[d + shift]);
  return off;
}
