// Graph edits the quantizer makes, on a graph it owns (a fresh clone): new constants, nodes
// inserted next to the node they belong to, and "interposing" a node on a value so that every
// reader (and the graph output list) sees the new node's output without being rewired.
import { Graph, Node, Value, type Attribute } from '../graph/ir.js';
import type { Tensor } from '../tensor.js';

export class Surgery {
  private readonly names = new Set<string>();

  constructor(readonly graph: Graph) {
    for (const v of graph.values().values()) this.names.add(v.name);
    for (const n of graph.nodes) this.names.add(n.name);
  }

  /** A name not used by any value or node yet. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  constant(base: string, t: Tensor): Value {
    const v = new Value(this.fresh(base), t.type, [...t.dims]);
    v.constant = t;
    return v;
  }

  node(op: string, base: string, inputs: (Value | null)[], outputs: Value[], attrs: Record<string, Attribute> = {}, domain = ''): Node {
    const n = new Node(op, this.fresh(base), inputs, outputs, new Map(Object.entries(attrs)), domain);
    for (const o of outputs) o.producer = n;
    return n;
  }

  /** Inserts `nodes` right after `anchor` (at the start for null: graph inputs, constants). */
  insertAfter(anchor: Node | null, nodes: Node[]): void {
    const at = anchor ? this.graph.nodes.indexOf(anchor) + 1 : 0;
    this.graph.nodes.splice(at, 0, ...nodes);
  }

  insertBefore(anchor: Node, nodes: Node[]): void {
    this.graph.nodes.splice(this.graph.nodes.indexOf(anchor), 0, ...nodes);
  }

  remove(nodes: Iterable<Node>): void {
    const drop = new Set(nodes);
    this.graph.nodes = this.graph.nodes.filter((n) => !drop.has(n));
  }

  /**
   * Puts a chain of new nodes between `v` and everything that reads it: the producer of `v` (or
   * the graph input `v`) now writes a new value `raw`, `build(raw)` makes the nodes, and the last
   * one writes `v` itself, so readers and graph outputs need no rewiring. For a graph input the
   * input keeps its Value and the readers are rewired instead.
   */
  interpose(v: Value, build: (raw: Value) => { nodes: Node[]; out: Value }): Node[] {
    if (this.graph.inputs.includes(v)) {
      const { nodes, out } = build(v);
      for (const n of this.graph.nodes) n.inputs = n.inputs.map((x) => (x === v ? out : x));
      this.graph.outputs = this.graph.outputs.map((x) => (x === v ? out : x));
      this.insertAfter(null, nodes);
      return nodes;
    }
    const producer = v.producer!;
    const raw = new Value(this.fresh(`${v.name}_float`), v.dtype, v.shape ? [...v.shape] : null);
    raw.producer = producer;
    producer.outputs = producer.outputs.map((o) => (o === v ? raw : o));
    const { nodes, out } = build(raw);
    // The last node writes v: swap its output for v.
    const last = nodes[nodes.length - 1];
    last.outputs = last.outputs.map((o) => (o === out ? v : o));
    v.producer = last;
    this.insertAfter(producer, nodes);
    return nodes;
  }
}
