// ONNX TensorProto <-> Tensor. Reads raw_data and every typed field; refuses external data and
// segments with a clear error; checks that the element count matches the dims.
import { EdgeRunError } from '../errors.js';
import { DTYPE_ARRAY, DTYPE_BYTES, Tensor, type DType, type TypedData } from '../tensor.js';
import { onnx, type Int64 } from './proto.js';

const DT = onnx.TensorProto.DataType;

export const ONNX_TO_DTYPE: Partial<Record<number, DType>> = {
  [DT.FLOAT]: 'float32',
  [DT.UINT8]: 'uint8',
  [DT.INT8]: 'int8',
  [DT.UINT16]: 'uint16',
  [DT.INT16]: 'int16',
  [DT.INT32]: 'int32',
  [DT.INT64]: 'int64',
  [DT.STRING]: 'string',
  [DT.BOOL]: 'bool',
  [DT.FLOAT16]: 'float16',
  [DT.DOUBLE]: 'float64',
  [DT.UINT32]: 'uint32',
  [DT.UINT64]: 'uint64',
  [DT.BFLOAT16]: 'bfloat16',
};

export const DTYPE_TO_ONNX: Record<DType, number> = Object.fromEntries(
  Object.entries(ONNX_TO_DTYPE).map(([k, v]) => [v, Number(k)]),
) as Record<DType, number>;

export function dtypeFromOnnx(code: number, what: string): DType {
  const t = ONNX_TO_DTYPE[code];
  if (!t) {
    const name = (DT as unknown as Record<number, string>)[code] ?? `#${code}`;
    throw new EdgeRunError('UnsupportedFeature', `${what}: element type ${name} is not supported`);
  }
  return t;
}

/** Exact int64 from a protobufjs Long/number. */
export function int64ToBigInt(v: Int64): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

const MAX_ELEMENTS = 2 ** 32;

export function tensorFromProto(p: onnx.TensorProto, what = `tensor '${p.name}'`): Tensor {
  const dtype = dtypeFromOnnx(p.dataType, what);
  const dims = p.dims.map((d) => Number(int64ToBigInt(d as Int64)));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new EdgeRunError('InvalidModel', `${what}: dims [${dims.join(', ')}] are not valid`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_ELEMENTS) {
    throw new EdgeRunError('OutOfMemory', `${what}: dims [${dims.join(', ')}] hold ${count} elements, more than edgerun can address (2^32)`);
  }
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || p.externalData.length > 0) {
    const loc = p.externalData.find((e) => e.key === 'location')?.value ?? '?';
    throw new EdgeRunError(
      'UnsupportedFeature',
      `${what}: weights stored as external data ('${loc}') are not supported; edgerun reads single-file models up to the 2 GiB protobuf limit`,
    );
  }
  if (p.segment) throw new EdgeRunError('UnsupportedFeature', `${what}: segmented tensors are not supported`);

  const data = readData(p, dtype, count, what);
  if (data.length !== count) {
    throw new EdgeRunError('InvalidModel', `${what}: holds ${data.length} elements but dims [${dims.join(', ')}] need ${count}`);
  }
  return new Tensor(dtype, data, dims);
}

function readData(p: onnx.TensorProto, dtype: DType, count: number, what: string): TypedData | string[] {
  if (dtype === 'string') return p.stringData.map((b) => new TextDecoder().decode(b));
  const Ctor = DTYPE_ARRAY[dtype as Exclude<DType, 'string'>] as unknown as {
    new (n: number): TypedData;
    new (b: ArrayBuffer, o?: number, n?: number): TypedData;
  };
  if (p.rawData && p.rawData.length > 0) {
    const width = DTYPE_BYTES[dtype];
    if (p.rawData.length !== count * width) {
      throw new EdgeRunError('InvalidModel', `${what}: raw_data has ${p.rawData.length} bytes; ${count} ${dtype} elements need ${count * width}`);
    }
    // raw_data is little-endian and may sit unaligned inside the file: copy it out.
    const buf = new ArrayBuffer(p.rawData.length);
    new Uint8Array(buf).set(p.rawData);
    return new Ctor(buf);
  }
  switch (dtype) {
    case 'float32':
      return Float32Array.from(p.floatData);
    case 'float64':
      return Float64Array.from(p.doubleData);
    case 'int64':
      return BigInt64Array.from(p.int64Data, (v) => int64ToBigInt(v as Int64));
    case 'uint64':
      return BigUint64Array.from(p.uint64Data, (v) => BigInt.asUintN(64, int64ToBigInt(v as Int64)));
    case 'uint32':
      return Uint32Array.from(p.uint64Data, (v) => Number(int64ToBigInt(v as Int64)));
    default: {
      // int32_data carries int32, int16, int8, uint16, uint8, bool and the bits of float16/bfloat16.
      const out = new Ctor(p.int32Data.length);
      (out as Int32Array).set(p.int32Data);
      return out;
    }
  }
}

export function tensorToProto(t: Tensor, name: string): onnx.TensorProto {
  const proto = onnx.TensorProto.create({
    name,
    dataType: DTYPE_TO_ONNX[t.type],
    dims: t.dims.map((d) => d),
  });
  if (t.type === 'string') {
    proto.stringData = (t.data as string[]).map((s) => new TextEncoder().encode(s));
  } else {
    const d = t.data as TypedData;
    proto.rawData = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  }
  return proto;
}

/** Reads a serialized TensorProto (.pb of the ONNX test data sets) into a Tensor. */
export function tensorFromBytes(bytes: Uint8Array, what = 'tensor'): Tensor {
  let p: onnx.TensorProto;
  try {
    p = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new EdgeRunError('InvalidModel', `${what}: not a valid ONNX TensorProto (${(e as Error).message})`);
  }
  return tensorFromProto(p, what);
}

export function tensorToBytes(t: Tensor, name = ''): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(t, name)).finish();
}
