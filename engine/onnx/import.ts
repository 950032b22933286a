// ONNX ModelProto → Graph. The importer only translates: it checks structure (validate.ts) but
// runs nothing. Graph inputs that are also initializers (old IR) become constants.
import { EdgeRunError } from '../errors.js';
import { Graph, Node, Value, type Attribute, type Dim, type OpsetImport } from '../graph/ir.js';
import { validateGraph } from '../graph/validate.js';
import { readFileBytes } from '../platform.js';
import type { DType, Tensor } from '../tensor.js';
import { decodeModelProto, int64ToNumber, onnx, type Int64 } from './proto.js';
import { dtypeFromOnnx, tensorFromProto } from './tensor-proto.js';
import { sparseToDense } from './sparse.js';

/** Protobuf messages cannot exceed 2 GiB; ONNX puts bigger weights in external data files. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export async function loadModel(source: Uint8Array | ArrayBuffer | string | Graph, name?: string): Promise<Graph> {
  if (source instanceof Graph) return source;
  if (typeof source === 'string') {
    const bytes = await readFileBytes(source);
    return importModel(bytes, name ?? source.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''));
  }
  if (source instanceof ArrayBuffer) return importModel(new Uint8Array(source), name);
  if (source instanceof Uint8Array) return importModel(source, name);
  throw new EdgeRunError('InvalidArgument', 'loadModel takes ONNX bytes (Uint8Array/ArrayBuffer), a file path or a Graph');
}

export function importModel(bytes: Uint8Array, name?: string): Graph {
  const label = name ?? 'model';
  if (bytes.length > PROTOBUF_LIMIT) {
    throw new EdgeRunError('UnsupportedFeature', `model '${label}': ${bytes.length} bytes exceeds the 2 GiB protobuf limit; models this large need external data, which edgerun does not read`);
  }
  if (bytes.length === 0) throw new EdgeRunError('InvalidModel', `model '${label}': the file is empty`);
  const proto = decodeModelProto(bytes, `model '${label}'`);
  if (!proto.graph) throw new EdgeRunError('InvalidModel', `model '${label}': no graph in the file`);
  const model = name ?? (proto.graph.name || 'model');
  const opsets: OpsetImport[] = proto.opsetImport.map((o) => ({ domain: o.domain === 'ai.onnx' ? '' : o.domain, version: int64ToNumber(o.version as Int64) }));
  if (!opsets.some((o) => o.domain === '')) opsets.push({ domain: '', version: 1 });
  const graph = importGraph(proto.graph, model, opsets);
  graph.name = model;
  graph.metadata = {
    producerName: proto.producerName || undefined,
    producerVersion: proto.producerVersion || undefined,
    docString: proto.docString || undefined,
    irVersion: int64ToNumber(proto.irVersion as Int64) || undefined,
    modelVersion: int64ToNumber(proto.modelVersion as Int64) || undefined,
    props: proto.metadataProps.length ? Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value])) : undefined,
  };
  return validateGraph(graph, model);
}

function importGraph(g: onnx.GraphProto, model: string, opsets: OpsetImport[]): Graph {
  const values = new Map<string, Value>();
  const value = (name: string): Value => {
    let v = values.get(name);
    if (!v) values.set(name, (v = new Value(name)));
    return v;
  };
  for (const t of g.initializer) {
    if (!t.name) throw new EdgeRunError('InvalidModel', `model '${model}': an initializer has no name`);
    const v = value(t.name);
    v.constant = tensorFromProto(t, `model '${model}': initializer '${t.name}'`);
    v.dtype = v.constant.type;
    v.shape = [...v.constant.dims];
  }
  for (const s of g.sparseInitializer) {
    const t = sparseToDense(s, `model '${model}': sparse initializer`);
    const v = value(t.name);
    v.constant = t.tensor;
    v.dtype = t.tensor.type;
    v.shape = [...t.tensor.dims];
  }
  const typed = (info: onnx.ValueInfoProto, what: string): Value => {
    const v = value(info.name);
    const t = info.type?.tensorType;
    if (t && !v.constant) {
      if (t.elemType) v.dtype = dtypeFromOnnx(t.elemType, `model '${model}': ${what} '${info.name}'`);
      if (t.shape) v.shape = t.shape.dim.map(dimOf);
    }
    return v;
  };
  const inputs = g.input.map((i) => typed(i, 'input')).filter((v) => !v.constant);
  for (const v of inputs) {
    if (!v.dtype) throw new EdgeRunError('InvalidModel', `model '${model}': graph input '${v.name}' has no tensor type`);
  }
  for (const vi of g.valueInfo) typed(vi, 'value');

  let unnamed = 0;
  const nodes = g.node.map((n, index) => {
    const nodeName = n.name || `${n.opType}_${index}`;
    if (!n.opType) throw new EdgeRunError('InvalidModel', `model '${model}': node ${index} has no op_type`);
    const ins = n.input.map((s) => (s === '' ? null : value(s)));
    const outs = n.output.map((s) => (s === '' ? value(`__unused_${nodeName}_${unnamed++}`) : value(s)));
    const attrs = new Map<string, Attribute>();
    for (const a of n.attribute) attrs.set(a.name, attributeOf(a, model, nodeName, opsets));
    return new Node(n.opType, nodeName, ins, outs, attrs, n.domain === 'ai.onnx' ? '' : n.domain);
  });
  const outputs = g.output.map((o) => typed(o, 'output'));
  return new Graph({ name: g.name || model, inputs, outputs, nodes, opsets });
}

function dimOf(d: onnx.TensorShapeProto.Dimension): Dim {
  if (d.dimParam) return d.dimParam;
  // `value` names the member of the oneof that is set; an unset dim is unknown.
  const which = (d as { value?: string }).value;
  const n = int64ToNumber(d.dimValue as Int64);
  return which === 'dimValue' || n > 0 ? n : null;
}

const AT = onnx.AttributeProto.AttributeType;

function attributeOf(a: onnx.AttributeProto, model: string, node: string, opsets: OpsetImport[]): Attribute {
  const where = `model '${model}': node '${node}' attribute '${a.name}'`;
  // Very old files leave `type` unset; the populated field tells.
  const type = a.type || guessType(a);
  switch (type) {
    case AT.FLOAT:
      return { type: 'float', value: a.f };
    case AT.INT:
      return { type: 'int', value: int64ToNumber(a.i as Int64) };
    case AT.STRING:
      return { type: 'string', value: new TextDecoder().decode(a.s) };
    case AT.TENSOR:
      if (!a.t) throw new EdgeRunError('InvalidModel', `${where}: TENSOR attribute without a tensor`);
      return { type: 'tensor', value: tensorFromProto(a.t, where) };
    case AT.SPARSE_TENSOR:
      if (!a.sparseTensor) throw new EdgeRunError('InvalidModel', `${where}: SPARSE_TENSOR attribute without a tensor`);
      return { type: 'tensor', value: sparseToDense(a.sparseTensor, where).tensor };
    case AT.GRAPH:
      if (!a.g) throw new EdgeRunError('InvalidModel', `${where}: GRAPH attribute without a graph`);
      return { type: 'graph', value: importGraph(a.g, model, opsets) };
    case AT.FLOATS:
      return { type: 'floats', value: [...a.floats] };
    case AT.INTS:
      return { type: 'ints', value: a.ints.map((i) => int64ToNumber(i as Int64)) };
    case AT.STRINGS:
      return { type: 'strings', value: a.strings.map((s) => new TextDecoder().decode(s)) };
    case AT.TENSORS:
      return { type: 'tensors', value: a.tensors.map((t) => tensorFromProto(t, where)) as Tensor[] };
    case AT.GRAPHS:
      return { type: 'graphs', value: a.graphs.map((g) => importGraph(g, model, opsets)) };
    default:
      throw new EdgeRunError('InvalidModel', `${where}: attribute type ${type} is not supported`);
  }
}

function guessType(a: onnx.AttributeProto): number {
  if (a.floats.length) return AT.FLOATS;
  if (a.ints.length) return AT.INTS;
  if (a.strings.length) return AT.STRINGS;
  if (a.tensors.length) return AT.TENSORS;
  if (a.graphs.length) return AT.GRAPHS;
  if (a.t) return AT.TENSOR;
  if (a.g) return AT.GRAPH;
  if (a.s && a.s.length) return AT.STRING;
  if (a.i) return AT.INT;
  return AT.FLOAT;
}

export type { DType };
