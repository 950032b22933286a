// Build graphs in code:
//   const g = new GraphBuilder('mlp');
//   const x = g.input('input', 'float32', ['batch', 64]);
//   const h = g.relu(g.gemm(x, w1, b1, { transB: 1 }));
//   g.output(g.gemm(h, w2, b2, { transB: 1 }), 'logits');
//   const graph = g.build();
// Tensors passed where a Value is expected become constants (initializers).
import { EdgeRunError } from '../errors.js';
import { Tensor, type DType } from '../tensor.js';
import { Graph, Node, Value, type Attribute, type Dim } from './ir.js';
import { validateGraph } from './validate.js';

export type Operand = Value | Tensor;

/** Attribute values in plain JS. Whole numbers become INT unless the name is a float attribute or wrapped as { float }. */
export type AttrInput = number | string | number[] | string[] | Tensor | Graph | { float: number } | { floats: number[] } | { ints: number[] };

const FLOAT_ATTRS = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'momentum', 'bias', 'ratio', 'scale', 'min', 'max', 'lambd', 'threshold', 'value_float', 'spatial_scale']);

export function toAttribute(name: string, v: AttrInput): Attribute {
  if (v instanceof Tensor) return { type: 'tensor', value: v };
  if (v instanceof Graph) return { type: 'graph', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'number') return FLOAT_ATTRS.has(name) || !Number.isInteger(v) ? { type: 'float', value: v } : { type: 'int', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { type: 'strings', value: v as string[] };
    const nums = v as number[];
    return FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x)) ? { type: 'floats', value: nums } : { type: 'ints', value: nums };
  }
  if ('float' in v) return { type: 'float', value: v.float };
  if ('floats' in v) return { type: 'floats', value: v.floats };
  if ('ints' in v) return { type: 'ints', value: v.ints };
  throw new EdgeRunError('InvalidArgument', `attribute '${name}': unsupported value ${String(v)}`);
}

export class GraphBuilder {
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly nodes: Node[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<Tensor, Value>();
  private counter = 0;

  constructor(
    readonly name = 'graph',
    private readonly opset = 17,
  ) {}

  private fresh(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Dim[]): Value {
    if (this.names.has(name)) throw new EdgeRunError('InvalidArgument', `GraphBuilder: name '${name}' is already used`);
    const v = new Value(this.fresh(name), dtype, [...shape]);
    this.inputs.push(v);
    return v;
  }

  /** A constant (initializer). The same Tensor object always maps to the same Value. */
  constant(t: Tensor, name?: string): Value {
    const known = this.constants.get(t);
    if (known) return known;
    const v = new Value(this.fresh(name ?? 'const'), t.type, [...t.dims]);
    v.constant = t;
    this.constants.set(t, v);
    return v;
  }

  private operand(x: Operand | null | undefined): Value | null {
    if (x === null || x === undefined) return null;
    return x instanceof Tensor ? this.constant(x) : x;
  }

  /** Any operator; returns its outputs. */
  node(op: string, inputs: (Operand | null | undefined)[], attrs: Record<string, AttrInput | undefined> = {}, opts: { outputs?: number; name?: string; domain?: string } = {}): Value[] {
    const name = this.fresh(opts.name ?? op.toLowerCase());
    const outs = Array.from({ length: opts.outputs ?? 1 }, (_, i) => new Value(this.fresh(opts.outputs && opts.outputs > 1 ? `${name}_out${i}` : `${name}_out`)));
    const map = new Map<string, Attribute>();
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) map.set(k, toAttribute(k, v));
    const n = new Node(op, name, inputs.map((x) => this.operand(x)), outs, map, opts.domain ?? '');
    for (const o of outs) o.producer = n;
    this.nodes.push(n);
    return outs;
  }

  /** A single-output operator. */
  op(op: string, inputs: (Operand | null | undefined)[], attrs: Record<string, AttrInput | undefined> = {}, name?: string): Value {
    return this.node(op, inputs, attrs, { name })[0];
  }

  output(v: Value, name?: string): Value {
    if (name && name !== v.name) {
      // Rename the value (graph outputs keep the names users asked for).
      if (this.names.has(name)) throw new EdgeRunError('InvalidArgument', `GraphBuilder: output name '${name}' is already used`);
      this.names.delete(v.name);
      v.name = name;
      this.names.add(name);
    }
    this.outputs.push(v);
    return v;
  }

  build(): Graph {
    const g = new Graph({ name: this.name, inputs: [...this.inputs], outputs: [...this.outputs], nodes: [...this.nodes], opsets: [{ domain: '', version: this.opset }] });
    return validateGraph(g, this.name);
  }

  // Sugar for the common operators (anything else: node()/op()).
  add(a: Operand, b: Operand): Value { return this.op('Add', [a, b]); }
  sub(a: Operand, b: Operand): Value { return this.op('Sub', [a, b]); }
  mul(a: Operand, b: Operand): Value { return this.op('Mul', [a, b]); }
  div(a: Operand, b: Operand): Value { return this.op('Div', [a, b]); }
  matmul(a: Operand, b: Operand): Value { return this.op('MatMul', [a, b]); }
  gemm(a: Operand, b: Operand, c?: Operand, attrs: { transA?: number; transB?: number; alpha?: number; beta?: number } = {}): Value {
    return this.op('Gemm', [a, b, c], attrs);
  }
  relu(x: Operand): Value { return this.op('Relu', [x]); }
  sigmoid(x: Operand): Value { return this.op('Sigmoid', [x]); }
  tanh(x: Operand): Value { return this.op('Tanh', [x]); }
  clip(x: Operand, min: number, max: number): Value {
    return this.op('Clip', [x, new Tensor('float32', [min], []), new Tensor('float32', [max], [])]);
  }
  softmax(x: Operand, axis = -1): Value { return this.op('Softmax', [x], { axis }); }
  conv(x: Operand, w: Operand, b?: Operand, attrs: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number; kernel_shape?: number[]; auto_pad?: string } = {}): Value {
    return this.op('Conv', [x, w, b], attrs);
  }
  batchNorm(x: Operand, scale: Operand, bias: Operand, mean: Operand, variance: Operand, epsilon = 1e-5): Value {
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon });
  }
  maxPool(x: Operand, kernel: number[], attrs: { strides?: number[]; pads?: number[]; ceil_mode?: number } = {}): Value {
    return this.op('MaxPool', [x], { kernel_shape: kernel, ...attrs });
  }
  averagePool(x: Operand, kernel: number[], attrs: { strides?: number[]; pads?: number[]; ceil_mode?: number; count_include_pad?: number } = {}): Value {
    return this.op('AveragePool', [x], { kernel_shape: kernel, ...attrs });
  }
  globalAveragePool(x: Operand): Value { return this.op('GlobalAveragePool', [x]); }
  flatten(x: Operand, axis = 1): Value { return this.op('Flatten', [x], { axis }); }
  reshape(x: Operand, shape: number[]): Value {
    return this.op('Reshape', [x, new Tensor('int64', shape.map(BigInt), [shape.length])]);
  }
  transpose(x: Operand, perm: number[]): Value { return this.op('Transpose', [x], { perm }); }
  concat(xs: Operand[], axis: number): Value { return this.op('Concat', xs, { axis }); }
  /** ONNX LSTM; returns [Y, Y_h, Y_c]. */
  lstm(x: Operand, w: Operand, r: Operand, b: Operand | undefined, hiddenSize: number, attrs: { direction?: string } = {}): Value[] {
    return this.node('LSTM', [x, w, r, b], { hidden_size: hiddenSize, ...attrs }, { outputs: 3 });
  }
  /** ONNX GRU; returns [Y, Y_h]. */
  gru(x: Operand, w: Operand, r: Operand, b: Operand | undefined, hiddenSize: number, attrs: { direction?: string; linear_before_reset?: number } = {}): Value[] {
    return this.node('GRU', [x, w, r, b], { hidden_size: hiddenSize, ...attrs }, { outputs: 2 });
  }
}
