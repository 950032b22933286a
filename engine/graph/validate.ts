// Structural checks every imported or built graph passes before anything runs on it: each
// input is produced by exactly one node, a graph input or a constant; no cycles; nodes put in
// an order where every input is ready before its consumer (Kahn's algorithm, stable).
import { EdgeRunError } from '../errors.js';
import type { Graph, Node, Value } from './ir.js';

export function validateGraph(graph: Graph, model = graph.name): Graph {
  const producers = new Map<Value, Node>();
  const names = new Map<string, Value>();
  for (const v of graph.inputs) claimName(names, v, model, 'graph input');
  for (const n of graph.nodes) {
    for (const out of n.outputs) {
      if (producers.has(out) || graph.inputs.includes(out) || out.constant) {
        throw new EdgeRunError('InvalidModel', `model '${model}': ${n.label} writes '${out.name}', which is already defined`);
      }
      claimName(names, out, model, n.label);
      producers.set(out, n);
      out.producer = n;
    }
  }
  for (const n of graph.nodes) {
    n.inputs.forEach((v, i) => {
      if (!v) return;
      if (!v.constant && !producers.has(v) && !graph.inputs.includes(v)) {
        throw new EdgeRunError(
          'InvalidModel',
          `model '${model}': ${n.label} input ${i} '${v.name}' is not a graph input, an initializer or any node's output`,
        );
      }
    });
  }
  for (const v of graph.outputs) {
    if (!v.constant && !producers.has(v) && !graph.inputs.includes(v)) {
      throw new EdgeRunError('InvalidModel', `model '${model}': graph output '${v.name}' is never computed`);
    }
  }
  graph.nodes = topologicalOrder(graph, producers, model);
  return graph;
}

function claimName(names: Map<string, Value>, v: Value, model: string, by: string): void {
  const prev = names.get(v.name);
  if (prev && prev !== v) {
    throw new EdgeRunError('InvalidModel', `model '${model}': the name '${v.name}' (${by}) is defined twice`);
  }
  names.set(v.name, v);
}

function topologicalOrder(graph: Graph, producers: Map<Value, Node>, model: string): Node[] {
  const pending = new Map<Node, number>();
  const readers = new Map<Node, Node[]>();
  for (const n of graph.nodes) {
    const deps = new Set<Node>();
    for (const v of n.inputs) {
      const p = v ? producers.get(v) : undefined;
      if (p) deps.add(p);
    }
    pending.set(n, deps.size);
    for (const d of deps) {
      let r = readers.get(d);
      if (!r) readers.set(d, (r = []));
      r.push(n);
    }
  }
  // Among ready nodes always take the earliest in file order: a file that is already sorted keeps
  // its order, so schedules (and memory plans) follow what the exporter chose.
  const order: Node[] = [];
  const index = new Map(graph.nodes.map((n, i) => [n, i] as const));
  const ready = graph.nodes.filter((n) => pending.get(n) === 0); // sorted by index
  while (ready.length > 0) {
    const n = ready.shift()!;
    order.push(n);
    for (const r of readers.get(n) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) insertSorted(ready, r, index);
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.filter((n) => pending.get(n)! > 0).map((n) => n.label);
    throw new EdgeRunError(
      'InvalidModel',
      `model '${model}': the graph has a cycle through ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ` and ${stuck.length - 5} more` : ''}`,
    );
  }
  return order;
}

function insertSorted(list: Node[], n: Node, index: Map<Node, number>): void {
  const k = index.get(n)!;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.get(list[mid])! < k) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, n);
}
