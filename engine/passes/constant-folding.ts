// Constant folding: every node whose inputs are all constants is computed once, at load, and
// replaced by its result. This is what turns PyTorch's Shape → Gather → Unsqueeze → Concat →
// Reshape chains into a plain Reshape with a constant shape (where the shapes are static).
import type { Graph, Value } from '../graph/ir.js';
import { inferGraph, type NodeEvaluator } from '../graph/infer.js';
import type { Node } from '../graph/ir.js';
import { removeDeadNodes } from './dead-nodes.js';

/** Ops whose outputs are kept symbolic even when computable: they would undo compression. */
const KEEP = new Set(['DequantizeLinear', 'QuantizeLinear', 'DynamicQuantizeLinear']);

export function foldConstants(graph: Graph, evaluate: NodeEvaluator, opts: { model?: string } = {}): Graph {
  const g = graph.clone();
  const guarded: NodeEvaluator = (node: Node, inputs, ctx) => {
    if (KEEP.has(node.op)) return [];
    return evaluate(node, inputs, ctx);
  };
  const infos = inferGraph(g, { model: opts.model ?? g.name, evaluate: guarded, partial: true });
  const graphInputs = new Set<Value>(g.inputs);
  const folded = new Set<Node>();
  for (const node of g.nodes) {
    const values = node.outputs.map((o) => infos.get(o)?.value ?? null);
    if (values.every((v) => v !== null) && !node.outputs.some((o) => graphInputs.has(o))) {
      node.outputs.forEach((o, k) => {
        o.constant = values[k];
        o.dtype = values[k]!.type;
        o.shape = [...values[k]!.dims];
        o.producer = null;
      });
      folded.add(node);
    }
  }
  g.nodes = g.nodes.filter((n) => !folded.has(n));
  return removeDeadNodes(g);
}
