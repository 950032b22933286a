// Which nodes of a float graph run in int8, which tensors get quantized, and where their
// parameters come from. Walks the graph in execution order:
//  - compute nodes (Conv, Gemm, MatMul with a constant 2-D B, Add, AveragePool,
//    GlobalAveragePool, Concat, and unary activations as 256-entry tables) quantize their
//    activation inputs and their output;
//  - a Relu, or a Clip whose lower bound is 0, right after a compute node (its only reader) is
//    dropped: the output's range starts at 0, so its zero point is −128 and QuantizeLinear's
//    saturation does the clamp (onnxruntime's quantizer removes them the same way);
//  - data-movement nodes (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, MaxPool, Pad
//    with zeros, Slice, Gather) stay integer when their input is, with the input's parameters;
//  - LSTM/GRU/RNN keep float math but get int8 weights (weight-only);
//  - everything else stays float, listed with the reason.
import { EdgeRunError } from '../errors.js';
import type { Graph, Node, Value } from '../graph/ir.js';

export type ComputeKind = 'conv' | 'gemm' | 'matmul' | 'add' | 'avgpool' | 'gap' | 'concat' | 'lut';

export interface ComputeNode {
  kind: ComputeKind;
  /** The value the integer node writes: its own output, or the end of the dropped Relu/Clip chain. */
  output: Value;
  chain: Node[];
}

export type ParamSource = { kind: 'calibrate' } | { kind: 'inherit'; from: Value } | { kind: 'fixed'; scale: number; zeroPoint: number };

export interface FloatNode {
  node: Node;
  reason: string;
}

export interface Int8Plan {
  compute: Map<Node, ComputeNode>;
  passthrough: Set<Node>;
  weightOnly: Set<Node>;
  floatNodes: FloatNode[];
  tensors: Map<Value, ParamSource>;
}

const UNARY_LUT = new Set(['Sigmoid', 'Tanh', 'Relu', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Elu']);
export const PASSTHROUGH = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'MaxPool', 'Pad', 'Slice', 'Gather']);
const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);
/** Ops that only read shapes: never worth a warning. */
const SHAPE_ONLY = new Set(['Shape', 'Size', 'ConstantOfShape', 'Constant']);

/** TFLite's fixed output parameters: sigmoid in [0, 1), tanh in [−1, 1). */
const FIXED_OUTPUT: Record<string, { scale: number; zeroPoint: number }> = {
  Sigmoid: { scale: 1 / 256, zeroPoint: -128 },
  Tanh: { scale: 1 / 128, zeroPoint: 0 },
};

const isFloatActivation = (v: Value | null): v is Value => !!v && !v.constant && (v.dtype === 'float32' || v.dtype === null);
const isF32Const = (v: Value | null | undefined) => !!v?.constant && v.constant.type === 'float32';

/** Clip's constant bounds, or null when they are computed at run time. */
export function clipBounds(node: Node, opset: number): [number, number] | null {
  if (opset < 11) return [node.float('min', -Infinity), node.float('max', Infinity)];
  const [min, max] = [node.inputs[1], node.inputs[2]];
  if ((min && !min.constant) || (max && !max.constant)) return null;
  return [min ? min.constant!.toNumbers()[0] : -Infinity, max ? max.constant!.toNumbers()[0] : Infinity];
}

/** Why `node` cannot run in int8, or its kind. */
function computeKind(g: Graph, node: Node): ComputeKind | string {
  const ins = node.inputs;
  switch (node.op) {
    case 'Conv': {
      if (!isF32Const(ins[1])) return 'its weight is not a float32 constant';
      if (ins[2] && !isF32Const(ins[2])) return 'its bias is not a float32 constant';
      const rank = ins[1]!.constant!.dims.length;
      if (rank !== 3 && rank !== 4) return `${rank - 2}-D convolutions have no integer kernel (1-D and 2-D do)`;
      return 'conv';
    }
    case 'Gemm': {
      if (node.int('transA', 0) !== 0) return 'transA = 1 has no integer kernel';
      if (!isF32Const(ins[1]) || ins[1]!.constant!.dims.length !== 2) return 'B is not a constant float32 matrix';
      const n = ins[1]!.constant!.dims[node.int('transB', 0) ? 0 : 1];
      const c = ins[2];
      if (c && (!isF32Const(c) || !(c.constant!.size === n || c.constant!.size === 1) || (c.constant!.dims.length === 2 && c.constant!.dims[0] !== 1))) {
        return 'C is not a constant per-column bias';
      }
      return 'gemm';
    }
    case 'MatMul':
      if (!isF32Const(ins[1]) || ins[1]!.constant!.dims.length !== 2) return 'B is not a constant float32 matrix (activation × activation products stay float)';
      if (!ins[0]?.shape || ins[0].shape.length < 2) return 'A must have rank ≥ 2';
      return 'matmul';
    case 'Add':
      return ins.length === 2 && ins.every((v) => isFloatActivation(v) || isF32Const(v)) && ins.some((v) => !v!.constant) ? 'add' : 'its inputs are not float32';
    case 'AveragePool':
      return node.outputs.length === 1 ? 'avgpool' : 'it has an Indices output';
    case 'GlobalAveragePool':
      return 'gap';
    case 'Concat':
      return ins.every((v) => isFloatActivation(v) || isF32Const(v)) ? 'concat' : 'its inputs are not float32';
    default:
      if (UNARY_LUT.has(node.op)) {
        if (node.op === 'Clip' && !clipBounds(node, g.opset)) return 'its bounds are computed at run time';
        return 'lut';
      }
      return 'no integer kernel';
  }
}

/** Relu / Clip(0, hi) nodes after `node` that can be dropped into its output range. */
function removableChain(g: Graph, node: Node, consumers: Map<Value, Node[]>, keepFloat: Set<string>): Node[] {
  const chain: Node[] = [];
  let v = node.outputs[0];
  for (;;) {
    if (g.outputs.includes(v)) break;
    const readers = consumers.get(v) ?? [];
    if (readers.length !== 1) break;
    const r = readers[0];
    if (r.domain !== '' || keepFloat.has(r.name) || r.inputs[0] !== v) break;
    const ok = r.op === 'Relu' || (r.op === 'Clip' && clipBounds(r, g.opset)?.[0] === 0);
    if (!ok) break;
    chain.push(r);
    v = r.outputs[0];
  }
  return chain;
}

export function planInt8(g: Graph, opts: { keepFloat: Set<string>; io: 'float' | 'int8' | 'uint8' }): Int8Plan {
  const plan: Int8Plan = { compute: new Map(), passthrough: new Set(), weightOnly: new Set(), floatNodes: [], tensors: new Map() };
  const consumers = g.consumers();
  const absorbed = new Set<Node>();
  const quantize = (v: Value, src: ParamSource = { kind: 'calibrate' }) => {
    if (!plan.tensors.has(v)) plan.tensors.set(v, src);
  };
  if (opts.io !== 'float') {
    for (const v of g.inputs) {
      if (v.dtype !== 'float32') throw new EdgeRunError('UnsupportedFeature', `io '${opts.io}': input '${v.name}' is ${v.dtype}; only float32 inputs can become integer`);
      quantize(v);
    }
  }
  for (const node of g.nodes) {
    if (absorbed.has(node)) continue;
    if (opts.keepFloat.has(node.name)) {
      plan.floatNodes.push({ node, reason: 'kept float (keepFloat)' });
      continue;
    }
    if (node.domain !== '') {
      plan.floatNodes.push({ node, reason: `domain '${node.domain}' has no integer kernel` });
      continue;
    }
    if (PASSTHROUGH.has(node.op)) {
      const x = node.inputs[0];
      const padOk = node.op !== 'Pad' || (node.string('mode', 'constant') === 'constant' && (!node.inputs[2] || (node.inputs[2].constant?.toNumbers()[0] ?? NaN) === 0) && node.float('value', 0) === 0);
      if (x && plan.tensors.has(x) && padOk && node.outputs.length === 1) {
        plan.passthrough.add(node);
        quantize(node.outputs[0], { kind: 'inherit', from: x });
      }
      continue;
    }
    if (RECURRENT.has(node.op)) {
      if (isF32Const(node.inputs[1]) || isF32Const(node.inputs[2])) plan.weightOnly.add(node);
      plan.floatNodes.push({ node, reason: `no integer ${node.op} kernel: runs in float${plan.weightOnly.has(node) ? ' with int8 weights' : ''}` });
      continue;
    }
    const kind = computeKind(g, node);
    if (kind === 'conv' || kind === 'gemm' || kind === 'matmul' || kind === 'add' || kind === 'avgpool' || kind === 'gap' || kind === 'concat' || kind === 'lut') {
      const chain = kind === 'lut' ? [] : removableChain(g, node, consumers, opts.keepFloat);
      chain.forEach((n) => absorbed.add(n));
      const output = chain.length ? chain[chain.length - 1].outputs[0] : node.outputs[0];
      const activations = kind === 'conv' || kind === 'gemm' || kind === 'matmul' ? [node.inputs[0]!] : node.inputs.filter(isFloatActivation);
      for (const v of activations) quantize(v);
      const fixed = FIXED_OUTPUT[node.op];
      quantize(output, fixed ? { kind: 'fixed', ...fixed } : { kind: 'calibrate' });
      plan.compute.set(node, { kind, output, chain });
      continue;
    }
    const floatIn = node.inputs.some((v) => isFloatActivation(v));
    if (floatIn && !SHAPE_ONLY.has(node.op)) plan.floatNodes.push({ node, reason: kind });
  }
  if (opts.io !== 'float') {
    for (const v of g.outputs) {
      if (v.dtype !== 'float32') throw new EdgeRunError('UnsupportedFeature', `io '${opts.io}': output '${v.name}' is ${v.dtype}; only float32 outputs can become integer`);
      quantize(v);
    }
  }
  return plan;
}
