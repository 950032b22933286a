// A model's structure in a form two exports of the same architecture can be compared by: the
// nodes that compute tensors (in order, with their attributes and output shapes), the learnable
// parameter count and the Conv/Gemm multiply-accumulates. Used by
// scripts/gen-reference-structure.ts on the torchvision files and by test/bench-models.test.ts on
// the models built here.
import type { Graph, Node, Value } from '../../engine/graph/ir.js';
import type { Tensor } from '../../engine/tensor.js';

/**
 * The nodes that compute tensors. Left out: Constant nodes and the shape arithmetic PyTorch emits
 * for dynamic sizes (Shape → Gather → Add → Div → Mul feeding Slice bounds): any node whose
 * inputs are all constants or come from such nodes. Those are values, not work, and a graph
 * that writes the same numbers as initializers is the same model.
 */
export function computeNodes(graph: Graph): Node[] {
  const shapeOnly = new Set<Node>();
  const isShapeValue = (v: Value | null) => v === null || v.isConstant || (v.producer !== null && shapeOnly.has(v.producer));
  for (const n of graph.nodes) {
    if (n.op === 'Constant' || n.op === 'Shape' || n.inputs.every(isShapeValue)) shapeOnly.add(n);
  }
  return graph.nodes.filter((n) => !shapeOnly.has(n));
}

/** A constant input's value: an initializer, or the output of a Constant node. */
export function constantOf(v: Value | null): Tensor | null {
  if (!v) return null;
  if (v.constant) return v.constant;
  if (v.producer?.op === 'Constant') return v.producer.tensor('value') ?? null;
  return null;
}

const SHORT_ATTR: Record<string, string> = { dilations: 'd', group: 'g', kernel_shape: 'k', pads: 'p', strides: 's' };

/**
 * One line per node: op, attributes (sorted), Clip bounds, output shape. E.g.
 * "Conv d=1,1 g=32 k=3,3 p=1,1,1,1 s=1,1 -> 1x32x112x112", "Clip min=0 max=6 -> 1x32x112x112".
 */
export function describeNode(node: Node, shape?: readonly number[]): string {
  const parts = [node.op];
  for (const [name, a] of [...node.attrs].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const v = a.type === 'ints' || a.type === 'floats' ? a.value.join(',') : a.type === 'int' || a.type === 'float' || a.type === 'string' ? String(a.value) : a.type;
    parts.push(`${SHORT_ATTR[name] ?? name}=${v}`);
  }
  if (node.op === 'Clip') {
    // ReLU6 is Clip(0, 6) only if the bounds are those numbers.
    const [lo, hi] = [1, 2].map((i) => constantOf(node.input(i)));
    parts.push(`min=${lo ? lo.toNumbers().join(',') : '?'}`, `max=${hi ? hi.toNumbers().join(',') : '?'}`);
  }
  if (shape) parts.push('->', shape.join('x'));
  return parts.join(' ');
}

/** Which inputs of an op are learnable parameters (BatchNorm's running mean/var are buffers). */
const LEARNABLE_INPUTS: Record<string, number[]> = { Conv: [1, 2], Gemm: [1, 2], BatchNormalization: [1, 2] };

/** Learnable parameters as PyTorch counts them (after folding, a Conv's bias replaces its BN's scale and bias). */
export function learnableParams(graph: Graph): number {
  const seen = new Set<Tensor>();
  let total = 0;
  for (const n of graph.nodes) {
    for (const i of LEARNABLE_INPUTS[n.op] ?? []) {
      const t = constantOf(n.input(i));
      if (t && !seen.has(t)) {
        seen.add(t);
        total += t.size;
      }
    }
  }
  return total;
}

/**
 * Multiply-accumulates of Conv and Gemm nodes from their output shapes and weight dims:
 * Conv: |Y| · (C_in/group) · kh · kw (weights are [C_out, C_in/group, kh, kw]); Gemm: |Y| · K.
 */
export function convGemmMacs(graph: Graph, shapeOf: (v: Value) => readonly number[] | undefined): number {
  let total = 0;
  for (const n of graph.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm') continue;
    const y = shapeOf(n.outputs[0]);
    const w = constantOf(n.input(1));
    if (!y || !w) throw new Error(`${n.label}: output shape or weight unknown`);
    const outputs = y.reduce((a, d) => a * d, 1);
    if (n.op === 'Conv') total += outputs * w.dims.slice(1).reduce((a, d) => a * d, 1);
    else total += outputs * w.dims[n.int('transB', 0) ? 1 : 0];
  }
  return total;
}

/** What the reference files are reduced to (test/fixtures/reference-structure/*.json). */
export interface ModelStructure {
  model: string;
  source: string;
  generatedBy: string;
  /** Learnable parameters of the file as exported (BatchNorm folded). */
  params: number;
  macs: number;
  output: number[];
  nodes: string[];
}
