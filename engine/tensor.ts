// Tensor: the value users feed and get back, modelled on onnxruntime-web's Tensor
// (`new Tensor(type, data, dims)`, `.data`, `.dims`, `.type`, `.size`).
import { EdgeRunError } from './errors.js';

export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'bfloat16'
  | 'string';

export type TypedData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type TensorData = TypedData | string[];

/** Element storage per dtype. float16/bfloat16 are raw bits in Uint16Array; bool is 0/1 in Uint8Array. */
export const DTYPE_ARRAY = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
} as const;

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
  string: 0,
};

export const DTYPES = Object.keys(DTYPE_BYTES) as DType[];

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && s in DTYPE_BYTES;
}

/** Per-tensor or per-axis affine quantization: real = scale · (q − zeroPoint). */
export interface QuantParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Axis of per-channel parameters; undefined for per-tensor. */
  axis?: number;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function checkDims(dims: readonly number[], what: string): void {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new EdgeRunError('ShapeMismatch', `${what}: dims [${dims.join(', ')}] must be non-negative integers`);
    }
  }
}

export class Tensor {
  readonly type: DType;
  readonly data: TensorData;
  readonly dims: readonly number[];
  /** Set on quantized tensors (int8/uint8/int32 storage). */
  quant?: QuantParams;

  constructor(type: DType, data: TensorData | readonly number[] | readonly bigint[], dims?: readonly number[]) {
    if (!isDType(type)) throw new EdgeRunError('DTypeMismatch', `unknown tensor type '${String(type)}'`);
    const arr = toStorage(type, data);
    const d = dims ?? [arr.length];
    checkDims(d, 'Tensor');
    if (sizeOf(d) !== arr.length) {
      throw new EdgeRunError(
        'ShapeMismatch',
        `Tensor: ${arr.length} ${type} elements do not fill dims [${d.join(', ')}] (${sizeOf(d)} elements)`,
      );
    }
    this.type = type;
    this.data = arr;
    this.dims = Object.freeze([...d]);
  }

  get size(): number {
    return this.data.length;
  }

  get byteLength(): number {
    return this.type === 'string' ? 0 : (this.data as TypedData).byteLength;
  }

  /** Numbers for any numeric dtype (int64 converted; float16 bits decoded). */
  toNumbers(): number[] {
    if (this.type === 'string') throw new EdgeRunError('DTypeMismatch', 'toNumbers() on a string tensor');
    if (this.type === 'float16') return Array.from(this.data as Uint16Array, halfToFloat);
    if (this.type === 'bfloat16') return Array.from(this.data as Uint16Array, (b) => bf16ToFloat(b));
    return Array.from(this.data as ArrayLike<number | bigint>, Number);
  }

  reshape(dims: readonly number[]): Tensor {
    const t = new Tensor(this.type, this.data, dims);
    t.quant = this.quant;
    return t;
  }
}

function toStorage(type: DType, data: TensorData | readonly number[] | readonly bigint[]): TensorData {
  if (type === 'string') {
    if (!Array.isArray(data) || data.some((s) => typeof s !== 'string')) {
      throw new EdgeRunError('DTypeMismatch', 'Tensor: string tensors take an array of strings');
    }
    return data as string[];
  }
  const Ctor = DTYPE_ARRAY[type];
  if (data instanceof Ctor) return data as TypedData;
  if (Array.isArray(data)) {
    if (Ctor === BigInt64Array || Ctor === BigUint64Array) {
      return (Ctor as typeof BigInt64Array).from(data as unknown as (number | bigint)[], (x) => BigInt(x));
    }
    return (Ctor as typeof Float32Array).from(data as unknown as number[], Number);
  }
  // A typed array of another kind: accept the common cases onnxruntime accepts (e.g. Uint8Array for bool).
  if (type === 'float32' && data instanceof Float64Array) return Float32Array.from(data);
  throw new EdgeRunError(
    'DTypeMismatch',
    `Tensor: ${type} data must be a ${Ctor.name}, got ${(data as object)?.constructor?.name ?? typeof data}`,
  );
}

// IEEE half <-> float conversions for host-side code (the kernels have their own in WASM).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round to nearest even, subnormals and overflow to infinity handled. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half; // a carry into the exponent is the correct rounding (up to inf)
}

export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40; // quiet NaN
  const rounded = b + 0x7fff + ((b >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
