// CPU kernel of Cast/CastLike. The ONNX spec leaves out-of-range float → integer casts undefined;
// edgerun does what onnxruntime-web (its peer, a WebAssembly build) does, checked in the tests:
//   - floats truncate toward zero, NaN → 0;
//   - a signed target of ≤ 32 bits saturates to int32 first, then keeps the low bits
//     (300.7 → int8 44, 1e10 → int8 -1); an unsigned one saturates to uint32 first (-5 → uint8 0);
//   - int64/uint64 saturate to their own range;
//   - bool is x ≠ 0 (NaN → true); float16/bfloat16 round to nearest even.
// Integer → integer keeps the low bits (two's complement), as C casts do.
import type { DType, TypedData } from '../../../tensor.js';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';
import { StridedCopy, elementBytes } from './strided-copy.js';

const FLOATS = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);
const WIDE = new Set<DType>(['int64', 'uint64']);

const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** float → int32 as wasm's i32.trunc_sat_f32_s. */
export function satInt32(x: number): number {
  if (x !== x) return 0;
  if (x >= TWO_31) return TWO_31 - 1;
  if (x <= -TWO_31) return -TWO_31;
  return Math.trunc(x);
}

/** float → uint32 as i32.trunc_sat_f32_u. */
export function satUint32(x: number): number {
  if (x !== x || x <= 0) return 0;
  if (x >= TWO_32) return TWO_32 - 1;
  return Math.trunc(x);
}

export function satInt64(x: number): bigint {
  if (x !== x) return 0n;
  if (x >= TWO_63) return INT64_MAX;
  if (x <= -TWO_63) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

export function satUint64(x: number): bigint {
  if (x !== x || x <= 0) return 0n;
  if (x >= TWO_64) return UINT64_MAX;
  return BigInt(Math.trunc(x));
}

let halfTable: Float32Array | null = null;

/** float16 bits → float32 through a 64K-entry table (made once). */
function decodeHalf(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  const t = halfTable;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
  return out;
}

/** Elements as JS numbers (64-bit integers rounded to the nearest double). */
export function numbersOf(dtype: DType, v: TypedData): ArrayLike<number> {
  if (dtype === 'float16') return decodeHalf(v as Uint16Array);
  if (dtype === 'int64' || dtype === 'uint64') return Float64Array.from(v as BigInt64Array, Number);
  if (dtype === 'bfloat16') return Float32Array.from(v as Uint16Array, bf16ToFloat);
  return v as ArrayLike<number>;
}

/** Writes numbers `x` (from a float source when `fromFloat`) into `out` of dtype `to`. */
export function writeNumbers(to: DType, out: TypedData, x: ArrayLike<number>, fromFloat: boolean): void {
  const n = x.length;
  switch (to) {
    case 'float32':
    case 'float64':
      (out as Float32Array).set(x);
      return;
    case 'float16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = floatToHalf(x[i]);
      return;
    }
    case 'bfloat16': {
      const o = out as Uint16Array;
      for (let i = 0; i < n; i++) o[i] = floatToBf16(x[i]);
      return;
    }
    case 'bool': {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = x[i] !== 0 ? 1 : 0;
      return;
    }
    case 'int64': {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) o[i] = fromFloat ? satInt64(x[i]) : BigInt(x[i]);
      return;
    }
    case 'uint64': {
      const o = out as BigUint64Array;
      for (let i = 0; i < n; i++) o[i] = fromFloat ? satUint64(x[i]) : BigInt.asUintN(64, BigInt(x[i]));
      return;
    }
    case 'int8':
    case 'int16':
    case 'int32': {
      // Typed-array stores keep the low bits: the wrap after saturating to int32.
      const o = out as Int32Array;
      if (fromFloat) for (let i = 0; i < n; i++) o[i] = satInt32(x[i]);
      else o.set(x);
      return;
    }
    case 'uint8':
    case 'uint16':
    case 'uint32': {
      const o = out as Uint32Array;
      if (fromFloat) for (let i = 0; i < n; i++) o[i] = satUint32(x[i]);
      else o.set(x);
      return;
    }
    default:
      throw new Error(`cast to ${to}`);
  }
}

/** 64-bit integer sources: keep exactness where the target can hold it. */
function writeBigInts(to: DType, out: TypedData, x: BigInt64Array | BigUint64Array): void {
  const n = x.length;
  if (to === 'int64' || to === 'uint64') {
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) o[i] = x[i]; // wraps modulo 2^64
    return;
  }
  if (to === 'bool') {
    const o = out as Uint8Array;
    for (let i = 0; i < n; i++) o[i] = x[i] !== 0n ? 1 : 0;
    return;
  }
  if (FLOATS.has(to)) {
    writeNumbers(to, out, Float64Array.from(x, Number), false);
    return;
  }
  // Narrow integers: the low 32 bits, then the typed store keeps what fits.
  writeNumbers(to, out, Float64Array.from(x, (b) => Number(BigInt.asIntN(32, b))), false);
}

function prepareCast(ctx: CpuPrepareContext<unknown>): () => void {
  const x = ctx.inputs[0]!;
  const y = ctx.outputs[0];
  if (x.dtype === 'string' || y.dtype === 'string') throw ctx.error('UnsupportedFeature', `cannot cast ${x.dtype} to ${y.dtype}: edgerun does not convert strings`);
  if (x.dtype === y.dtype) {
    const copy = new StridedCopy(elementBytes(x.dtype), [x.size], [1], [1]);
    const arena = ctx.rt.arena;
    return () => copy.run(arena.buffer, x.ptr, y.ptr);
  }
  const from = x.dtype;
  const to = y.dtype;
  const fromFloat = FLOATS.has(from);
  return () => {
    const src = ctx.view(x);
    const out = ctx.view(y);
    if (WIDE.has(from)) writeBigInts(to, out, src as BigInt64Array);
    else writeNumbers(to, out, numbersOf(from, src), fromFloat);
  };
}

defineCpuKernel({ type: 'Cast', prepare: prepareCast });
defineCpuKernel({ type: 'CastLike', prepare: prepareCast });
