// Which initializers are the weights of which layer, and how their axes read: the one place the
// compression tools (pruning, clustering, quantization) learn that a Conv weight is [M, C/g, kH, kW]
// with filters on axis 0 while a Gemm weight with transB = 0 is [K, N] with its outputs on axis 1.
import { EdgeRunError } from '../errors.js';
import type { Graph, Node, Value } from '../graph/ir.js';
import type { Tensor } from '../tensor.js';

export interface LayerWeight {
  /** The layer's name: the first node reading the weight (what options and reports use). */
  name: string;
  /** Every node reading the weight (a weight shared by two layers is pruned once, for both). */
  nodes: Node[];
  op: string;
  /** The initializer (in the graph it was found in). */
  value: Value;
  tensor: Tensor;
  /** Axis of output channels (filters, neurons); null when the tensor has none (recurrent gate stacks, 1-D MatMul weights). */
  outAxis: number | null;
  /** Axis of input channels (features) — N:M groups run along it; null when none. */
  inAxis: number | null;
  /** Conv group count (1 for every other op). */
  group: number;
}

const CONV_OPS = new Set(['Conv', 'FusedConv']);
const GEMM_OPS = new Set(['Gemm', 'FusedGemm']);
const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

/** Axes of the weight read by `node` at input `index`, or null when that input is not a layer weight. */
function weightAxes(node: Node, index: number, t: Tensor): { outAxis: number | null; inAxis: number | null; group: number } | null {
  const rank = t.dims.length;
  if (CONV_OPS.has(node.op) && index === 1 && rank >= 3) return { outAxis: 0, inAxis: 1, group: node.int('group', 1) };
  if (node.op === 'ConvTranspose' && index === 1 && rank >= 3) {
    // [C, M/group, k…]: output channels on axis 1 only when there is one group.
    const group = node.int('group', 1);
    return { outAxis: group === 1 ? 1 : null, inAxis: 0, group };
  }
  if (GEMM_OPS.has(node.op) && index === 1 && rank === 2) {
    return node.int('transB', 0) !== 0 ? { outAxis: 0, inAxis: 1, group: 1 } : { outAxis: 1, inAxis: 0, group: 1 };
  }
  if (node.op === 'MatMul' && index === 1) return rank >= 2 ? { outAxis: rank - 1, inAxis: rank - 2, group: 1 } : { outAxis: null, inAxis: null, group: 1 };
  if (RECURRENT_OPS.has(node.op) && (index === 1 || index === 2)) return { outAxis: null, inAxis: null, group: 1 };
  return null;
}

/** Every float32 layer weight of the graph, in first-use order. */
export function findLayerWeights(graph: Graph): LayerWeight[] {
  const byValue = new Map<Value, LayerWeight>();
  for (const node of graph.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx' && !node.op.startsWith('Fused')) continue;
    node.inputs.forEach((v, index) => {
      if (!v?.constant || v.constant.type !== 'float32') return;
      const axes = weightAxes(node, index, v.constant);
      if (!axes) return;
      const known = byValue.get(v);
      if (known) {
        if (!known.nodes.includes(node)) known.nodes.push(node);
        return;
      }
      byValue.set(v, { name: node.name, nodes: [node], op: node.op, value: v, tensor: v.constant, ...axes });
    });
  }
  return [...byValue.values()];
}

/** The layers named in `names` (node names or initializer names); every other name is an error. */
export function selectLayers(all: LayerWeight[], names: readonly string[] | undefined, what: string): LayerWeight[] {
  if (names === undefined) return all;
  if (!Array.isArray(names)) throw new EdgeRunError('InvalidArgument', `${what}: layers must be an array of layer names`);
  const picked = new Set<LayerWeight>();
  for (const name of names) picked.add(findLayer(all, name, what));
  return all.filter((w) => picked.has(w));
}

export function findLayer(all: LayerWeight[], name: string, what: string): LayerWeight {
  const hit = all.find((w) => w.name === name || w.value.name === name || w.nodes.some((n) => n.name === name));
  if (!hit) {
    const known = all.map((w) => `'${w.name}'`).join(', ');
    throw new EdgeRunError('InvalidArgument', `${what}: no prunable layer named '${name}' (layers with weights: ${known || 'none'})`, { layer: name });
  }
  return hit;
}

/**
 * A tensor seen along one axis: element (o, a, i) of the [outer, n, inner] view sits at
 * o·n·inner + a·inner + i. Rows of the "weight matrix" are the a's; columns run over (o, i).
 */
export interface AxisView {
  outer: number;
  n: number;
  inner: number;
}

export function axisView(dims: readonly number[], axis: number): AxisView {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= dims[d];
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  return { outer, n: dims[axis], inner };
}

/** Flat index of row `a`, column `col` (col = o·inner + i) in an axis view. */
export function viewIndex(v: AxisView, a: number, col: number): number {
  const o = Math.floor(col / v.inner);
  const i = col - o * v.inner;
  return (o * v.n + a) * v.inner + i;
}
