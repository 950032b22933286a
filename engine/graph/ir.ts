// The IR: a Graph of Nodes connected by Values. Small on purpose (tinygrad/tract style): easy to
// print, easy to rewrite. Passes treat graphs as immutable and return new ones (Graph.clone
// shares the constant tensors, which nobody mutates).
import { EdgeRunError } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';

/** A dimension: a number, a symbol ('batch', 'N') or unknown (null). */
export type Dim = number | string | null;

export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] };

export class Value {
  name: string;
  dtype: DType | null;
  /** null: rank unknown. */
  shape: Dim[] | null;
  /** Set for initializers and folded constants. */
  constant: Tensor | null = null;
  /** The node computing this value; null for graph inputs and constants. */
  producer: Node | null = null;

  constructor(name: string, dtype: DType | null = null, shape: Dim[] | null = null) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
  }

  get isConstant(): boolean {
    return this.constant !== null;
  }
}

export class Node {
  name: string;
  op: string;
  /** '' is the default ONNX domain (ai.onnx). */
  domain: string;
  /** null marks an omitted optional input. */
  inputs: (Value | null)[];
  outputs: Value[];
  attrs: Map<string, Attribute>;

  constructor(op: string, name: string, inputs: (Value | null)[], outputs: Value[], attrs?: Map<string, Attribute>, domain = '') {
    this.op = op;
    this.name = name;
    this.inputs = inputs;
    this.outputs = outputs;
    this.attrs = attrs ?? new Map();
    this.domain = domain;
  }

  /** "Conv 'conv2'" — how error messages name a node. */
  get label(): string {
    return `${this.op} '${this.name}'`;
  }

  input(i: number): Value | null {
    return this.inputs[i] ?? null;
  }

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  int(name: string, fallback?: number): number {
    const a = this.attrs.get(name);
    if (a === undefined) return this.required(name, fallback);
    if (a.type !== 'int') throw this.badAttr(name, 'an int', a.type);
    return a.value;
  }

  float(name: string, fallback?: number): number {
    const a = this.attrs.get(name);
    if (a === undefined) return this.required(name, fallback);
    if (a.type === 'float' || a.type === 'int') return a.value;
    throw this.badAttr(name, 'a float', a.type);
  }

  string(name: string, fallback?: string): string {
    const a = this.attrs.get(name);
    if (a === undefined) return this.required(name, fallback);
    if (a.type !== 'string') throw this.badAttr(name, 'a string', a.type);
    return a.value;
  }

  ints(name: string, fallback?: number[]): number[] {
    const a = this.attrs.get(name);
    if (a === undefined) return this.required(name, fallback);
    if (a.type === 'ints') return a.value;
    if (a.type === 'int') return [a.value];
    throw this.badAttr(name, 'a list of ints', a.type);
  }

  floats(name: string, fallback?: number[]): number[] {
    const a = this.attrs.get(name);
    if (a === undefined) return this.required(name, fallback);
    if (a.type === 'floats' || a.type === 'ints') return a.value;
    throw this.badAttr(name, 'a list of floats', a.type);
  }

  strings(name: string, fallback?: string[]): string[] {
    const a = this.attrs.get(name);
    if (a === undefined) return this.required(name, fallback);
    if (a.type !== 'strings') throw this.badAttr(name, 'a list of strings', a.type);
    return a.value;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.attrs.get(name);
    if (a === undefined) return undefined;
    if (a.type !== 'tensor') throw this.badAttr(name, 'a tensor', a.type);
    return a.value;
  }

  private required<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) throw new EdgeRunError('InvalidModel', `${this.label}: required attribute '${name}' is missing`);
    return fallback;
  }

  private badAttr(name: string, want: string, got: string): EdgeRunError {
    return new EdgeRunError('InvalidModel', `${this.label}: attribute '${name}' must be ${want}, got ${got}`);
  }
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface GraphMetadata {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  irVersion?: number;
  modelVersion?: number;
  /** metadata_props of the model. */
  props?: Record<string, string>;
}

export class Graph {
  name: string;
  inputs: Value[];
  outputs: Value[];
  /** In execution order once the graph is validated (see validate.ts). */
  nodes: Node[];
  opsets: OpsetImport[];
  metadata: GraphMetadata;

  constructor(init: { name?: string; inputs?: Value[]; outputs?: Value[]; nodes?: Node[]; opsets?: OpsetImport[]; metadata?: GraphMetadata }) {
    this.name = init.name ?? 'graph';
    this.inputs = init.inputs ?? [];
    this.outputs = init.outputs ?? [];
    this.nodes = init.nodes ?? [];
    this.opsets = init.opsets ?? [{ domain: '', version: 17 }];
    this.metadata = init.metadata ?? {};
  }

  /** The ai.onnx opset the model was written for. */
  get opset(): number {
    return this.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 17;
  }

  /** Every value reachable from inputs, nodes and outputs, by name. */
  values(): Map<string, Value> {
    const m = new Map<string, Value>();
    for (const v of this.inputs) m.set(v.name, v);
    for (const n of this.nodes) {
      for (const v of n.inputs) if (v) m.set(v.name, v);
      for (const v of n.outputs) m.set(v.name, v);
    }
    for (const v of this.outputs) m.set(v.name, v);
    return m;
  }

  /** Constant values (initializers and folded constants) in first-use order. */
  constants(): Value[] {
    const seen = new Set<Value>();
    const out: Value[] = [];
    const visit = (v: Value | null) => {
      if (v && v.constant && !seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    };
    for (const n of this.nodes) n.inputs.forEach(visit);
    this.outputs.forEach(visit);
    return out;
  }

  /** Nodes reading each value. */
  consumers(): Map<Value, Node[]> {
    const m = new Map<Value, Node[]>();
    for (const n of this.nodes) {
      for (const v of n.inputs) {
        if (!v) continue;
        let list = m.get(v);
        if (!list) m.set(v, (list = []));
        if (!list.includes(n)) list.push(n);
      }
    }
    return m;
  }

  /**
   * A structural copy: new Graph, Nodes and Values; constant tensors (and subgraph attributes)
   * are shared. Passes start from a clone so their input stays untouched.
   */
  clone(): Graph {
    const map = new Map<Value, Value>();
    const cv = (v: Value): Value => {
      let c = map.get(v);
      if (!c) {
        c = new Value(v.name, v.dtype, v.shape ? [...v.shape] : null);
        c.constant = v.constant;
        map.set(v, c);
      }
      return c;
    };
    const nodes = this.nodes.map((n) => {
      const copy = new Node(n.op, n.name, n.inputs.map((v) => (v ? cv(v) : null)), n.outputs.map(cv), new Map(n.attrs), n.domain);
      for (const o of copy.outputs) o.producer = copy;
      return copy;
    });
    return new Graph({
      name: this.name,
      inputs: this.inputs.map(cv),
      outputs: this.outputs.map(cv),
      nodes,
      opsets: this.opsets.map((o) => ({ ...o })),
      metadata: { ...this.metadata, props: this.metadata.props ? { ...this.metadata.props } : undefined },
    });
  }
}

export function formatShape(shape: Dim[] | null): string {
  if (shape === null) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
