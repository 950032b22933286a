// Builds small ONNX models with int8 / uint8 / int32 / float tensors, for the int8 benchmark
// cases (bench/onnx-model.ts speaks float32 only). Attributes: integers and integer lists.
import { EdgeRunError } from '../engine/errors.js';
import { onnx } from '../engine/onnx/proto.js';

export type OnnxElem = 'float32' | 'int8' | 'uint8' | 'int32';

const { DataType } = onnx.TensorProto;
const ELEM: Record<OnnxElem, number> = { float32: DataType.FLOAT, int8: DataType.INT8, uint8: DataType.UINT8, int32: DataType.INT32 };

export interface Int8TensorSpec {
  name: string;
  dims: number[];
  type: OnnxElem;
  data: Float32Array | Int8Array | Uint8Array | Int32Array;
}

export interface Int8ModelSpec {
  inputs: { name: string; dims: number[]; type: OnnxElem }[];
  outputs: { name: string; dims: number[]; type: OnnxElem }[];
  initializers?: Int8TensorSpec[];
  nodes: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number | number[]>; domain?: string }[];
  opset?: number;
}

export function buildInt8OnnxModel(spec: Int8ModelSpec): Uint8Array {
  const graph: onnx.GraphProto.$Shape = {
    name: 'edgerun_bench_int8',
    input: spec.inputs.map((v) => valueInfo(v.name, v.dims, v.type)),
    output: spec.outputs.map((v) => valueInfo(v.name, v.dims, v.type)),
    initializer: (spec.initializers ?? []).map(tensor),
    node: spec.nodes.map((n, i) => ({
      name: `${n.op}_${i}`,
      opType: n.op,
      domain: n.domain ?? '',
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([name, v]) =>
        Array.isArray(v) ? { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v } : { name, type: onnx.AttributeProto.AttributeType.INT, i: v }),
    })),
  };
  const opsetImport = [{ domain: '', version: spec.opset ?? 17 }];
  if (spec.nodes.some((n) => n.domain === 'com.microsoft')) opsetImport.push({ domain: 'com.microsoft', version: 1 });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'edgerun-bench', opsetImport, graph });
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(name: string, dims: number[], type: OnnxElem): onnx.ValueInfoProto.$Shape {
  return { name, type: { tensorType: { elemType: ELEM[type], shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function tensor(t: Int8TensorSpec): onnx.TensorProto.$Shape {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) throw new EdgeRunError('ShapeMismatch', `tensor '${t.name}': ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  // raw_data is little-endian; every engine this runs on is too, so the bytes copy as they are.
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name: t.name, dims: t.dims, dataType: ELEM[t.type], rawData: bytes };
}
