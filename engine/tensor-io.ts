// Reading and writing tensors in the formats users have at hand: ONNX TensorProto (.pb, what the
// ONNX test data sets use), NumPy .npy, and JSON ({ "type", "dims", "data" } or nested arrays).
import { EdgeRunError } from './errors.js';
import { DTYPE_ARRAY, Tensor, type DType, type TypedData } from './tensor.js';
import { tensorFromBytes, tensorToBytes } from './onnx/tensor-proto.js';

export type TensorFormat = 'pb' | 'npy' | 'json';

export function formatOf(path: string): TensorFormat {
  const ext = path.toLowerCase().replace(/^.*\./, '');
  if (ext === 'pb' || ext === 'npy' || ext === 'json') return ext;
  throw new EdgeRunError('InvalidArgument', `'${path}': unknown tensor file type (use .pb, .npy or .json)`);
}

export function decodeTensor(bytes: Uint8Array, format: TensorFormat, what: string): Tensor {
  if (format === 'pb') return tensorFromBytes(bytes, what);
  if (format === 'npy') return decodeNpy(bytes, what);
  return decodeJson(new TextDecoder().decode(bytes), what);
}

export function encodeTensor(t: Tensor, format: TensorFormat, name = ''): Uint8Array {
  if (format === 'pb') return tensorToBytes(t, name);
  if (format === 'npy') return encodeNpy(t);
  return new TextEncoder().encode(JSON.stringify({ type: t.type, dims: t.dims, data: jsonData(t) }));
}

function jsonData(t: Tensor): (number | string)[] {
  if (t.type === 'string') return t.data as string[];
  if (t.type === 'int64' || t.type === 'uint64') return Array.from(t.data as BigInt64Array, (x) => Number(x));
  return t.toNumbers();
}

const NPY_TYPES: Record<string, DType> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '|i1': 'int8', '|u1': 'uint8', '<i2': 'int16', '<u2': 'uint16',
  '<i4': 'int32', '<u4': 'uint32', '<i8': 'int64', '<u8': 'uint64', '|b1': 'bool',
};

function decodeNpy(bytes: Uint8Array, what: string): Tensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new EdgeRunError('InvalidArgument', `${what}: not a .npy file`);
  const major = bytes[6];
  const headerLen = major === 1 ? bytes[8] | (bytes[9] << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new EdgeRunError('InvalidArgument', `${what}: malformed .npy header`);
  if (fortran) throw new EdgeRunError('UnsupportedFeature', `${what}: Fortran-ordered .npy arrays are not supported`);
  const dtype = NPY_TYPES[descr.replace('=', '<')];
  if (!dtype) throw new EdgeRunError('UnsupportedFeature', `${what}: .npy dtype '${descr}' is not supported`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = bytes.slice(start + headerLen);
  const Ctor = DTYPE_ARRAY[dtype as Exclude<DType, 'string'>] as unknown as new (b: ArrayBuffer, o: number, n: number) => TypedData;
  const n = dims.reduce((a, b) => a * b, 1);
  const width = body.length / Math.max(1, n);
  if (n > 0 && body.length < n * Math.floor(width)) throw new EdgeRunError('InvalidArgument', `${what}: .npy data is truncated`);
  return new Tensor(dtype, new Ctor(body.buffer, 0, n), dims);
}

function encodeNpy(t: Tensor): Uint8Array {
  const descr = Object.entries(NPY_TYPES).find(([, d]) => d === t.type)?.[0];
  if (!descr) throw new EdgeRunError('UnsupportedFeature', `.npy cannot hold ${t.type}`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = t.data as TypedData;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

function decodeJson(text: string, what: string): Tensor {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new EdgeRunError('InvalidArgument', `${what}: invalid JSON (${(e as Error).message})`);
  }
  if (Array.isArray(v)) {
    const dims: number[] = [];
    for (let x: unknown = v; Array.isArray(x); x = x[0]) dims.push(x.length);
    const flat = (v as unknown[]).flat(Infinity) as number[];
    if (flat.length !== dims.reduce((a, b) => a * b, 1)) throw new EdgeRunError('InvalidArgument', `${what}: nested arrays are ragged`);
    return new Tensor('float32', Float32Array.from(flat), dims);
  }
  const o = v as { type?: DType; dims?: number[]; data?: (number | string)[] };
  if (!o || !Array.isArray(o.data)) throw new EdgeRunError('InvalidArgument', `${what}: JSON tensors are nested arrays or { "type", "dims", "data" }`);
  const type = o.type ?? 'float32';
  const data = type === 'int64' || type === 'uint64' ? (o.data as number[]).map((x) => BigInt(x)) : o.data;
  return new Tensor(type, data as number[], o.dims ?? [o.data.length]);
}
