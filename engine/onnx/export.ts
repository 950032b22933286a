// Graph → ONNX ModelProto bytes. Constants become initializers; graph inputs and outputs carry
// their types (symbolic dims as dim_param) so other runtimes can load the file.
import { EdgeRunError } from '../errors.js';
import type { Attribute, Dim, Graph, Value } from '../graph/ir.js';
import type { DType } from '../tensor.js';
import { onnx } from './proto.js';
import { DTYPE_TO_ONNX, tensorToProto } from './tensor-proto.js';
import { annotate, inferGraph } from '../graph/infer.js';
import { compactGraph, sparseTensorProto, type CompactOptions, type StoredWeight } from './sparse-export.js';
import '../ops/all.js';

export interface SaveOptions extends CompactOptions {
  /** ir_version to write (default 8, which covers opsets up to 17). */
  irVersion?: number;
  producerName?: string;
}

/**
 * Graph → ONNX bytes. With `sparse` and/or `codebook` (see sparse-export.ts), pruned and
 * clustered weights are stored compactly: `sparse` alone keeps the file standard ONNX.
 */
export function saveModel(graph: Graph, opts: SaveOptions = {}): Uint8Array {
  return saveModelWithReport(graph, opts).bytes;
}

/** saveModel plus how each weight was stored (form and bytes). */
export function saveModelWithReport(graph: Graph, opts: SaveOptions = {}): { bytes: Uint8Array; weights: StoredWeight[] } {
  let sparse = new Set<string>();
  let weights: StoredWeight[] = [];
  if ((opts.sparse !== undefined && opts.sparse !== false) || opts.codebook) {
    ({ graph, sparse, weights } = compactGraph(graph, opts));
  }
  if (graph.outputs.some((v) => !v.dtype)) {
    // Built graphs carry types only on their inputs: infer the rest (on a copy) for value_info.
    graph = graph.clone();
    annotate(graph, inferGraph(graph));
  }
  const model = onnx.ModelProto.create({
    irVersion: opts.irVersion ?? graph.metadata.irVersion ?? 8,
    producerName: opts.producerName ?? 'edgerun',
    producerVersion: '0.1.0',
    docString: graph.metadata.docString ?? '',
    modelVersion: graph.metadata.modelVersion ?? 0,
    opsetImport: opsetsOf(graph).map((o) => onnx.OperatorSetIdProto.create({ domain: o.domain, version: o.version })),
    metadataProps: Object.entries(graph.metadata.props ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
    graph: graphToProto(graph, sparse),
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), weights };
}

function opsetsOf(graph: Graph): { domain: string; version: number }[] {
  const out = graph.opsets.map((o) => ({ ...o }));
  const domains = new Set(graph.nodes.map((n) => n.domain));
  for (const d of domains) {
    if (!out.some((o) => o.domain === d)) out.push({ domain: d, version: 1 });
  }
  return out;
}

function graphToProto(graph: Graph, sparse: ReadonlySet<string> = new Set()): onnx.GraphProto {
  const constants = new Map<Value, string>();
  const used = new Set<string>();
  for (const v of graph.values().values()) used.add(v.name);
  for (const v of graph.constants()) constants.set(v, v.name);
  for (const v of graph.outputs) if (v.constant) constants.set(v, v.name);
  return onnx.GraphProto.create({
    name: graph.name,
    input: graph.inputs.map((v) => valueInfo(v, 'input')),
    output: graph.outputs.map((v) => valueInfo(v, 'output')),
    initializer: [...constants].filter(([, name]) => !sparse.has(name)).map(([v, name]) => tensorToProto(v.constant!, name)),
    sparseInitializer: [...constants].filter(([, name]) => sparse.has(name)).map(([v, name]) => sparseTensorProto(v.constant!, name)),
    node: graph.nodes.map((n) =>
      onnx.NodeProto.create({
        name: n.name,
        opType: n.op,
        domain: n.domain,
        input: n.inputs.map((v) => v?.name ?? ''),
        output: n.outputs.map((v) => (v.name.startsWith('__unused_') ? '' : v.name)),
        attribute: [...n.attrs].map(([name, a]) => attributeProto(name, a)),
      }),
    ),
  });
}

function valueInfo(v: Value, what: string): onnx.ValueInfoProto {
  if (!v.dtype) throw new EdgeRunError('InvalidArgument', `saveModel: graph ${what} '${v.name}' has no dtype`);
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DTYPE_TO_ONNX[v.dtype as DType],
        shape: v.shape ? onnx.TensorShapeProto.create({ dim: v.shape.map(dimProto) }) : undefined,
      }),
    }),
  });
}

function dimProto(d: Dim): onnx.TensorShapeProto.Dimension {
  if (typeof d === 'number') return onnx.TensorShapeProto.Dimension.create({ dimValue: d });
  if (typeof d === 'string') return onnx.TensorShapeProto.Dimension.create({ dimParam: d });
  return onnx.TensorShapeProto.Dimension.create({});
}

const AT = onnx.AttributeProto.AttributeType;
const encoder = new TextEncoder();

function attributeProto(name: string, a: Attribute): onnx.AttributeProto {
  const p = onnx.AttributeProto.create({ name });
  switch (a.type) {
    case 'float': p.type = AT.FLOAT; p.f = a.value; break;
    case 'int': p.type = AT.INT; p.i = a.value; break;
    case 'string': p.type = AT.STRING; p.s = encoder.encode(a.value); break;
    case 'tensor': p.type = AT.TENSOR; p.t = tensorToProto(a.value, ''); break;
    case 'graph': p.type = AT.GRAPH; p.g = graphToProto(a.value) as onnx.GraphProto & onnx.GraphProto.$Shape; break;
    case 'floats': p.type = AT.FLOATS; p.floats = [...a.value]; break;
    case 'ints': p.type = AT.INTS; p.ints = [...a.value]; break;
    case 'strings': p.type = AT.STRINGS; p.strings = a.value.map((s) => encoder.encode(s)); break;
    case 'tensors': p.type = AT.TENSORS; p.tensors = a.value.map((t) => tensorToProto(t, '')); break;
    case 'graphs': p.type = AT.GRAPHS; p.graphs = a.value.map((sub) => graphToProto(sub)) as onnx.GraphProto[] & onnx.GraphProto.$Shape[]; break;
  }
  return p;
}
