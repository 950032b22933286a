// Small helpers the rewriting passes share.
import type { Graph, Node, Value } from '../graph/ir.js';

/** The single node reading `v`, when exactly one node does and `v` is not a graph output. */
export function soleConsumer(graph: Graph, consumers: Map<Value, Node[]>, v: Value): Node | null {
  if (graph.outputs.includes(v)) return null;
  const readers = consumers.get(v);
  if (!readers || readers.length !== 1) return null;
  // Reading the same value twice (x + x) counts as one consumer but is not a simple chain.
  return readers[0].inputs.filter((i) => i === v).length === 1 ? readers[0] : null;
}

/** Every output of `node` beyond the first is unused. */
export function onlyFirstOutputUsed(graph: Graph, consumers: Map<Value, Node[]>, node: Node): boolean {
  return node.outputs.slice(1).every((o) => !consumers.has(o) && !graph.outputs.includes(o));
}
