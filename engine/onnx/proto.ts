// Typed entry to the ONNX protobuf code generated at build time (scripts/build-proto.mjs) from
// onnx.proto. Field names are camelCase (op_type → opType). Decoded messages are class instances
// whose repeated fields are always arrays. To encode, build messages with X.create({...})
// (typed; nested messages created the same way) or X.fromObject(plain) (untyped, converts).
// bytes fields (raw_data) of a decoded message are views into the input buffer, possibly
// unaligned: copy or read them with a DataView, do not wrap them in a Float32Array directly. 64-bit integers decode as `Long`
// when the `long` package is present (it is a dependency of protobufjs) and as plain numbers
// otherwise; int64ToNumber reads either.
import { EdgeRunError } from '../errors.js';
import { onnx } from './onnx.generated.js';

export { onnx };

/** A decoded 64-bit integer as protobufjs hands it out (a Long or a number), or a bigint. */
export type Int64 = number | bigint | { low: number; high: number; unsigned: boolean; toNumber(): number };

/**
 * The nearest double to an int64 field's value. Exact within ±2^53; beyond that (ONNX uses
 * INT64_MAX as "to the end" in Slice) the rounding is harmless for such sentinels.
 */
export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return v.toNumber();
}

/** Decodes a serialized ModelProto; a malformed or truncated buffer is an InvalidModel error. */
export function decodeModelProto(bytes: Uint8Array, what = 'model'): onnx.ModelProto {
  return decodeOrThrow(() => onnx.ModelProto.decode(bytes), what, 'ModelProto');
}

/** Decodes a serialized TensorProto (the .pb files of the ONNX test data sets). */
export function decodeTensorProto(bytes: Uint8Array, what = 'tensor'): onnx.TensorProto {
  return decodeOrThrow(() => onnx.TensorProto.decode(bytes), what, 'TensorProto');
}

/** Encodes a decoded model or a plain object of the same shape (nested messages may be plain). */
export function encodeModelProto(model: onnx.ModelProto | onnx.ModelProto.$Shape): Uint8Array {
  return onnx.ModelProto.encode(model instanceof onnx.ModelProto ? model : onnx.ModelProto.create(model)).finish();
}

function decodeOrThrow<T>(decode: () => T, what: string, type: string): T {
  try {
    return decode();
  } catch (e) {
    throw new EdgeRunError('InvalidModel', `${what}: not a valid ONNX ${type} (${(e as Error).message})`);
  }
}
