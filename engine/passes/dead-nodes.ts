// Dead-node removal: drop every node none of whose outputs reaches a graph output.
import type { Graph, Node, Value } from '../graph/ir.js';

export function removeDeadNodes(graph: Graph): Graph {
  const g = graph.clone();
  const needed = new Set<Value>(g.outputs);
  const keep = new Set<Node>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => needed.has(o))) {
      keep.add(n);
      for (const v of n.inputs) if (v) needed.add(v);
    }
  }
  g.nodes = g.nodes.filter((n) => keep.has(n));
  return g;
}
