// Moving tensors between JS memory and the arena, with typed views of any dtype.
import { EdgeRunError } from '../../errors.js';
import { DTYPE_ARRAY, DTYPE_BYTES, Tensor, sizeOf, type DType, type TypedData } from '../../tensor.js';
import type { Arena } from '../../../kernels/arena.js';

export function bytesOf(dtype: DType, dims: readonly number[]): number {
  if (dtype === 'string') throw new EdgeRunError('UnsupportedFeature', 'string tensors cannot be computed on (only passed through)');
  return sizeOf(dims) * DTYPE_BYTES[dtype];
}

export function viewOf(arena: Arena, dtype: DType, ptr: number, size: number): TypedData {
  if (dtype === 'string') throw new EdgeRunError('UnsupportedFeature', 'string tensors cannot be placed in the arena');
  const Ctor = DTYPE_ARRAY[dtype] as unknown as new (b: ArrayBuffer, o: number, n: number) => TypedData;
  return new Ctor(arena.buffer, ptr, size);
}

/** Copies a tensor's elements to `ptr` (which must hold them). */
export function writeTensor(arena: Arena, t: Tensor, ptr: number): void {
  (viewOf(arena, t.type, ptr, t.size) as Float32Array).set(t.data as Float32Array);
}

/** A fresh Tensor holding a copy of the arena bytes. */
export function readTensor(arena: Arena, dtype: DType, dims: readonly number[], ptr: number): Tensor {
  const size = sizeOf(dims);
  const view = viewOf(arena, dtype, ptr, size);
  return new Tensor(dtype, view.slice() as TypedData, dims);
}
