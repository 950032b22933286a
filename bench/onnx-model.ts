// Builds small float32 ONNX models from a plain description, so benchmark cases can hand the
// exact computation they time on edgerun to onnxruntime-web.
//
//   buildOnnxModel({
//     inputs: [{ name: 'x', dims: [1, 64] }], outputs: [{ name: 'y', dims: [1, 32] }],
//     initializers: [{ name: 'w', dims: [64, 32], data: w }],
//     nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
//   })
//
// Attribute values map to ONNX types by their JavaScript form: an integer → INT, another
// number → FLOAT, a number[] → INTS if every entry is an integer else FLOATS, a string →
// STRING, a Float32Array → a 1-D float TENSOR. A float attribute that happens to be a whole
// number (Clip min 0, LeakyRelu alpha 1) must be spelled { float: 1 } / { floats: [0, 1] }.
import { EdgeRunError } from '../engine/errors.js';
import { onnx } from '../engine/onnx/proto.js';

export type OnnxAttrValue =
  | number
  | number[]
  | string
  | Float32Array
  | { float: number }
  | { floats: number[] }
  | { int: number }
  | { ints: number[] }
  | { tensor: Float32Array; dims: number[] };

export interface OnnxModelSpec {
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  initializers?: { name: string; dims: number[]; data: Float32Array }[];
  nodes: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, OnnxAttrValue>; name?: string }[];
  /** Default-domain opset; 17 unless given. */
  opset?: number;
}

const IR_VERSION = 8;
const DEFAULT_OPSET = 17;
const { AttributeType } = onnx.AttributeProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export function buildOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const graph: onnx.GraphProto.$Shape = {
    name: 'edgerun_bench',
    input: spec.inputs.map((v) => valueInfo(v.name, v.dims)),
    output: spec.outputs.map((v) => valueInfo(v.name, v.dims)),
    initializer: (spec.initializers ?? []).map((t) => floatTensor(t.name, t.dims, t.data)),
    node: spec.nodes.map((n, i) => ({
      name: n.name ?? `${n.op}_${i}`,
      opType: n.op,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([name, value]) => attribute(name, value, n.name ?? `${n.op}_${i}`)),
    })),
  };
  const opset = spec.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < 1) throw new EdgeRunError('InvalidArgument', `opset must be a positive integer, got ${opset}`);
  const model = onnx.ModelProto.create({ irVersion: IR_VERSION, producerName: 'edgerun-bench', opsetImport: [{ domain: '', version: opset }], graph });
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(name: string, dims: number[]): onnx.ValueInfoProto.$Shape {
  checkDims(dims, `value '${name}'`);
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.TensorProto.$Shape {
  checkDims(dims, `tensor '${name}'`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (!(data instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `tensor '${name}': data must be a Float32Array`);
  if (data.length !== count) {
    throw new EdgeRunError('ShapeMismatch', `tensor '${name}': ${data.length} values for dims [${dims.join(', ')}] (${count} elements)`);
  }
  return { name, dims, dataType: FLOAT, rawData: littleEndianBytes(data) };
}

/** raw_data is little-endian by definition; copy so a view into a larger buffer is not leaked. */
function littleEndianBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

function checkDims(dims: number[], what: string): void {
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new EdgeRunError('InvalidArgument', `${what}: dims must be non-negative integers, got [${String(dims)}]`);
  }
}

function attribute(name: string, value: OnnxAttrValue, node: string): onnx.AttributeProto.$Shape {
  const where = `node '${node}' attribute '${name}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new EdgeRunError('InvalidArgument', `${where}: ${value} is not finite`);
    return Number.isInteger(value) ? intAttr(name, value, where) : { name, type: AttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (value instanceof Float32Array) return { name, type: AttributeType.TENSOR, t: floatTensor(name, [value.length], value) };
  if (Array.isArray(value)) {
    return value.every((v) => Number.isInteger(v)) ? intsAttr(name, value, where) : { name, type: AttributeType.FLOATS, floats: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  if ('int' in value) return intAttr(name, value.int, where);
  if ('ints' in value) return intsAttr(name, value.ints, where);
  if ('tensor' in value) return { name, type: AttributeType.TENSOR, t: floatTensor(name, value.dims, value.tensor) };
  throw new EdgeRunError('InvalidArgument', `${where}: unsupported value ${JSON.stringify(value)}`);
}

function intAttr(name: string, v: number, where: string): onnx.AttributeProto.$Shape {
  if (!Number.isSafeInteger(v)) throw new EdgeRunError('InvalidArgument', `${where}: ${v} is not a safe integer`);
  return { name, type: AttributeType.INT, i: v };
}

function intsAttr(name: string, vs: number[], where: string): onnx.AttributeProto.$Shape {
  const bad = vs.find((v) => !Number.isSafeInteger(v));
  if (bad !== undefined) throw new EdgeRunError('InvalidArgument', `${where}: ${bad} is not a safe integer`);
  return { name, type: AttributeType.INTS, ints: vs };
}
