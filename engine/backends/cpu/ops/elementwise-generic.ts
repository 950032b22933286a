// Dtype-generic elementwise loops for the tensors the WASM kernels do not take (integers,
// float64, mixed Pow). Correct first; these are rare and small in real models.
import type { DType, TypedData } from '../../../tensor.js';

export type ScalarBinary = (a: number, b: number, integer: boolean) => number;

const INT_TYPES = new Set<DType>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

function strides(dims: readonly number[], rank: number): number[] {
  const padded = [...new Array(rank - dims.length).fill(1), ...dims];
  const s = new Array(rank).fill(0);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    s[i] = padded[i] === 1 ? 0 : acc;
    acc *= padded[i];
  }
  return s;
}

export function genericBinary(
  f: ScalarBinary,
  a: TypedData,
  aDims: readonly number[],
  b: TypedData,
  bDims: readonly number[],
  out: TypedData,
  outDims: readonly number[],
  outType: DType,
): void {
  const rank = outDims.length;
  const sa = strides(aDims, rank);
  const sb = strides(bDims, rank);
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const integer = INT_TYPES.has(outType);
  const idx = new Array(rank).fill(0);
  const n = out.length;
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      ia += idx[k] * sa[k];
      ib += idx[k] * sb[k];
    }
    const r = f(Number(a[ia]), Number(b[ib]), integer);
    if (big) (out as BigInt64Array)[i] = BigInt(Math.trunc(r));
    else (out as Float32Array)[i] = integer ? Math.trunc(r) : r;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < outDims[k]) break;
      idx[k] = 0;
    }
  }
}

export function genericUnary(type: string, params: Record<string, number>, x: TypedData, y: TypedData): void {
  const big = y instanceof BigInt64Array || y instanceof BigUint64Array;
  const f = UNARY[type];
  for (let i = 0; i < x.length; i++) {
    const r = f(Number(x[i]), params);
    if (big) (y as BigInt64Array)[i] = BigInt(Math.trunc(r));
    else (y as Float32Array)[i] = r;
  }
}

const UNARY: Record<string, (x: number, p: Record<string, number>) => number> = {
  Abs: (x) => Math.abs(x),
  Neg: (x) => -x,
  Relu: (x) => (x < 0 ? 0 : x),
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh,
  Softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  Softsign: (x) => x / (1 + Math.abs(x)),
  HardSwish: (x) => x * Math.min(1, Math.max(0, x / 6 + 0.5)),
  LeakyRelu: (x, p) => (x < 0 ? p.alpha * x : x),
  Elu: (x, p) => (x < 0 ? p.alpha * (Math.exp(x) - 1) : x),
  Selu: (x, p) => p.gamma * (x <= 0 ? p.alpha * (Math.exp(x) - 1) : x),
  ThresholdedRelu: (x, p) => (x > p.alpha ? x : 0),
  HardSigmoid: (x, p) => Math.min(1, Math.max(0, p.alpha * x + p.beta)),
  Heaviside: (x) => (Number.isNaN(x) ? NaN : x >= 0 ? 1 : 0),
  Clip: (x, p) => (x < p.min ? p.min : x > p.max ? p.max : x),
};
