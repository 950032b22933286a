// SparseTensorProto (sparse initializers): values + int64 indices, either linear [NNZ] or
// coordinates [NNZ, rank]. Expanded to a dense Tensor on import.
import { EdgeRunError } from '../errors.js';
import { DTYPE_ARRAY, Tensor, type TypedData } from '../tensor.js';
import { int64ToNumber, type Int64, type onnx } from './proto.js';
import { tensorFromProto } from './tensor-proto.js';

export function sparseToDense(s: onnx.SparseTensorProto, where: string): { name: string; tensor: Tensor } {
  if (!s.values || !s.indices) throw new EdgeRunError('InvalidModel', `${where}: sparse tensor needs values and indices`);
  const name = s.values.name;
  const values = tensorFromProto(s.values, `${where} '${name}' values`);
  const indices = tensorFromProto(s.indices, `${where} '${name}' indices`);
  const dims = s.dims.map((d) => int64ToNumber(d as Int64));
  if (values.type === 'string') throw new EdgeRunError('UnsupportedFeature', `${where} '${name}': sparse string tensors are not supported`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size) || size > 2 ** 32) throw new EdgeRunError('OutOfMemory', `${where} '${name}': dims [${dims}] are too large`);
  const nnz = values.size;
  const idx = indices.toNumbers();
  const Ctor = DTYPE_ARRAY[values.type as Exclude<typeof values.type, 'string'>] as unknown as new (n: number) => TypedData;
  const dense = new Ctor(size);
  const src = values.data as TypedData;
  const rank = dims.length;
  const linear = indices.dims.length === 1;
  if (linear ? idx.length !== nnz : indices.dims[0] !== nnz || indices.dims[1] !== rank) {
    throw new EdgeRunError('InvalidModel', `${where} '${name}': indices shape [${indices.dims}] does not fit ${nnz} values of rank ${rank}`);
  }
  for (let k = 0; k < nnz; k++) {
    let at = 0;
    if (linear) at = idx[k];
    else for (let r = 0; r < rank; r++) at = at * dims[r] + idx[k * rank + r];
    if (!(at >= 0 && at < size)) throw new EdgeRunError('InvalidModel', `${where} '${name}': index ${at} is outside [0, ${size})`);
    (dense as Float32Array)[at] = (src as Float32Array)[k];
  }
  return { name, tensor: new Tensor(values.type, dense, dims) };
}
