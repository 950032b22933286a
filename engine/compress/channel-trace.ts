// Following a layer's output channels forward through the graph, to plan what removing some of
// them changes downstream: channel-wise ops pass them on (activations, pooling, Pad without
// channel padding, BatchNorm — whose parameters get sliced), a depthwise Conv loses the same
// channels (and passes them on), and the next Conv / Gemm / MatMul loses the matching input
// channels — after a Flatten, the matching block of H·W input features per channel. Anything
// else (Add, Concat, Mul, a graph output, …) cannot be rewritten consistently: the trace fails
// with the reason, and nothing is edited (edits are planned first, applied only on success).
import type { Graph, Node, Value } from '../graph/ir.js';
import { Value as IrValue } from '../graph/ir.js';
import { forgetParams, type ValueInfo } from '../ops/registry.js';
import { Tensor } from '../tensor.js';

/** Channels kept of a value's axis 1 (indices into its original extent `total`). */
interface Channels {
  value: Value;
  kept: number[];
  total: number;
}

export type Edit = () => void;
/** On success: the edits to apply, and the layers that lose input channels (candidates for a re-fit). */
export type TraceResult = { ok: true; edits: Edit[]; consumers: Node[] } | { ok: false; reason: string };

/** Ops that map channel c of input 0 to channel c of output 0 and read no per-channel tensor. */
const CHANNELWISE = new Set([
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign',
  'Identity', 'Dropout', 'Abs', 'Neg', 'Exp', 'Sqrt', 'Clip', 'Heaviside',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool',
]);

export interface TraceContext {
  graph: Graph;
  consumers: Map<Value, Node[]>;
  infos: Map<Value, ValueInfo>;
  names: Set<string>;
}

/** A Value's constant: an initializer or the tensor of a Constant node. */
export function constantOf(v: Value | null): Tensor | null {
  if (!v) return null;
  if (v.constant) return v.constant;
  const p = v.producer;
  if (p && p.op === 'Constant' && p.domain === '' && p.has('value')) return p.tensor('value') ?? null;
  return null;
}

/** Copy of `t` keeping only indices `kept` of `axis`. */
export function sliceAxis(t: Tensor, axis: number, kept: readonly number[]): Tensor {
  const dims = t.dims;
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= dims[d];
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  const src = t.data as Float32Array;
  const out = new Float32Array(outer * kept.length * inner);
  for (let o = 0; o < outer; o++) {
    kept.forEach((k, j) => out.set(src.subarray((o * dims[axis] + k) * inner, (o * dims[axis] + k + 1) * inner), (o * kept.length + j) * inner));
  }
  const nd = [...dims];
  nd[axis] = kept.length;
  return new Tensor(t.type, out, nd);
}

/** The weight `node` reads at `index`, when only this node reads it (so it may be rewritten in place). */
export function ownWeight(ctx: TraceContext, node: Node, index: number): Value | null {
  const v = node.inputs[index];
  if (!v?.constant || v.constant.type !== 'float32' || ctx.graph.outputs.includes(v)) return null;
  const readers = ctx.consumers.get(v) ?? [];
  return readers.length === 1 && node.inputs.filter((x) => x === v).length === 1 ? v : null;
}

/** Replace input `index` of `node` with `t`: in place when the node owns the value, else as a new uniquely named constant. */
export function setInputConstant(ctx: TraceContext, node: Node, index: number, t: Tensor): void {
  const v = node.inputs[index]!;
  if (ownWeight(ctx, node, index)) {
    v.constant = t;
    v.shape = [...t.dims];
    return;
  }
  let name = `${v.name}_pruned`;
  for (let i = 1; ctx.names.has(name); i++) name = `${v.name}_pruned${i}`;
  ctx.names.add(name);
  const fresh = new IrValue(name, t.type, [...t.dims]);
  fresh.constant = t;
  node.inputs[index] = fresh;
}

export function traceChannels(ctx: TraceContext, start: Value, kept: number[], total: number): TraceResult {
  const edits: Edit[] = [];
  const consumers: Node[] = [];
  const work: Channels[] = [{ value: start, kept, total }];
  const seen = new Set<Value>();
  while (work.length) {
    const ch = work.pop()!;
    if (seen.has(ch.value)) continue;
    seen.add(ch.value);
    if (ctx.graph.outputs.includes(ch.value)) return { ok: false, reason: `its channels reach the graph output '${ch.value.name}'` };
    for (const node of ctx.consumers.get(ch.value) ?? []) {
      const step = followNode(ctx, node, ch, edits, consumers);
      if (typeof step === 'string') return { ok: false, reason: `its channels reach ${node.label}: ${step}` };
      work.push(...step);
    }
  }
  return { ok: true, edits, consumers };
}

/** Plans the edits `node` needs when input channels change; returns the values whose channels change in turn, or why it cannot. */
function followNode(ctx: TraceContext, node: Node, ch: Channels, edits: Edit[], consumers: Node[]): Channels[] | string {
  const at = node.inputs.map((v, i) => (v === ch.value ? i : -1)).filter((i) => i >= 0);
  if (at.length !== 1) return 'it reads the value more than once';
  const index = at[0];
  const usedOutputs = node.outputs.filter((o, k) => k === 0 || ctx.consumers.has(o) || ctx.graph.outputs.includes(o));
  if (node.domain !== '' && !node.op.startsWith('Fused')) return 'an operator outside the ONNX domain';
  const pass = (): Channels[] => [{ value: node.outputs[0], kept: ch.kept, total: ch.total }];
  const op = node.op;
  if (CHANNELWISE.has(op)) {
    if (index !== 0 || usedOutputs.length > 1) return 'only its first input and output may carry the channels';
    if (op === 'Clip' && [1, 2].some((i) => node.inputs[i] && (constantOf(node.inputs[i]!)?.size ?? 0) !== 1)) return 'Clip bounds that are not known scalars';
    return pass();
  }
  if (op === 'Pad') return followPad(ctx, node, index) ?? pass();
  if (op === 'BatchNormalization') return followBatchNorm(ctx, node, index, ch, edits, usedOutputs.length) ?? pass();
  if (op === 'Conv' || op === 'FusedConv') return followConv(ctx, node, index, ch, edits, consumers);
  if (op === 'Gemm' || op === 'FusedGemm' || op === 'MatMul') return followDense(ctx, node, index, ch, edits, consumers);
  if (op === 'Flatten' || op === 'Reshape') return followFlatten(ctx, node, index, ch, edits);
  return 'this operator cannot be rewritten for fewer channels';
}

function followPad(ctx: TraceContext, node: Node, index: number): string | null {
  if (index !== 0 || node.inputs[3]) return 'Pad with axes';
  const rank = ctx.infos.get(node.inputs[0]!)?.shape?.length;
  const padsTensor = constantOf(node.inputs[1] ?? null);
  const pads = padsTensor ? padsTensor.toNumbers() : node.has('pads') ? node.ints('pads') : null;
  if (!pads || !rank || pads.length !== 2 * rank) return 'Pad whose pads are unknown';
  return pads[1] === 0 && pads[rank + 1] === 0 ? null : 'Pad that pads the channel axis';
}

function followBatchNorm(ctx: TraceContext, node: Node, index: number, ch: Channels, edits: Edit[], used: number): string | null {
  if (index !== 0 || used > 1) return 'BatchNormalization in training mode';
  const params = [1, 2, 3, 4].map((i) => constantOf(node.inputs[i] ?? null));
  if (params.some((t) => !t || t.size !== ch.total || t.type !== 'float32')) return 'BatchNormalization whose parameters are not constants';
  edits.push(() => params.forEach((t, k) => setInputConstant(ctx, node, k + 1, sliceAxis(t!, 0, ch.kept))));
  return null;
}

function followConv(ctx: TraceContext, node: Node, index: number, ch: Channels, edits: Edit[], consumers: Node[]): Channels[] | string {
  if (index !== 0) return 'the channels feed its weight';
  const w = ownWeight(ctx, node, 1);
  if (!w) return 'its weight is not a float32 initializer of its own';
  const wt = w.constant!;
  const group = node.int('group', 1);
  if (group === 1) {
    if (wt.dims[1] !== ch.total) return `its weight has ${wt.dims[1]} input channels, expected ${ch.total}`;
    edits.push(() => setInputConstant(ctx, node, 1, sliceAxis(wt, 1, ch.kept)));
    consumers.push(node);
    return [];
  }
  if (group !== ch.total || wt.dims[1] !== 1) return `a grouped convolution (group ${group}) that is not depthwise`;
  // Depthwise: filter c·mult … c·mult + mult − 1 reads channel c; they go with it.
  const mult = wt.dims[0] / group;
  const keptOut = ch.kept.flatMap((c) => Array.from({ length: mult }, (_, j) => c * mult + j));
  const bias = node.inputs[2] ? constantOf(node.inputs[2]) : null;
  if (node.inputs[2] && !bias) return 'its bias is not a constant';
  edits.push(() => {
    setInputConstant(ctx, node, 1, sliceAxis(wt, 0, keptOut));
    if (bias) setInputConstant(ctx, node, 2, sliceAxis(bias, 0, keptOut));
    node.attrs.set('group', { type: 'int', value: ch.kept.length });
    forgetParams(node); // op params are cached per node: the old group would stick
  });
  return [{ value: node.outputs[0], kept: keptOut, total: ch.total * mult }];
}

function followDense(ctx: TraceContext, node: Node, index: number, ch: Channels, edits: Edit[], consumers: Node[]): Channels[] | string {
  if (index !== 0) return 'the channels feed its weight';
  const rank = ctx.infos.get(node.inputs[0]!)?.shape?.length;
  if (rank !== 2) return 'its input is not a known [rows, features] matrix';
  if (node.op !== 'MatMul' && node.int('transA', 0) !== 0) return 'transA = 1';
  const w = ownWeight(ctx, node, 1);
  if (!w || w.constant!.dims.length !== 2) return 'its weight is not a 2-D float32 initializer of its own';
  const kAxis = node.op !== 'MatMul' && node.int('transB', 0) !== 0 ? 1 : 0;
  const wt = w.constant!;
  if (wt.dims[kAxis] !== ch.total) return `its weight has ${wt.dims[kAxis]} input features, expected ${ch.total}`;
  edits.push(() => setInputConstant(ctx, node, 1, sliceAxis(wt, kAxis, ch.kept)));
  consumers.push(node);
  return [];
}

/** Flatten (axis 1) or a Reshape to [rows, features] of an NC… tensor: channel c becomes features c·per … c·per + per − 1. */
function followFlatten(ctx: TraceContext, node: Node, index: number, ch: Channels, edits: Edit[]): Channels[] | string {
  if (index !== 0) return 'the channels feed its shape';
  const shape = ctx.infos.get(node.inputs[0]!)?.shape;
  if (!shape || shape.length < 2 || shape.slice(2).some((d) => typeof d !== 'number')) return 'the input shape is not known';
  const per = (shape.slice(2) as number[]).reduce((a, d) => a * d, 1);
  if (node.op === 'Flatten' && node.int('axis', 1) !== 1) return 'Flatten on an axis other than 1';
  let newShape: Tensor | null = null;
  if (node.op === 'Reshape') {
    const target = constantOf(node.inputs[1] ?? null);
    const t = target?.toNumbers();
    if (!t || t.length !== 2 || !(t[0] === 0 || t[0] === -1 || t[0] === shape[0]) || !(t[1] === -1 || t[1] === ch.total * per)) {
      return 'a Reshape that is not to [rows, channels·spatial]';
    }
    newShape = new Tensor('int64', [BigInt(t[0]), BigInt(t[1] === -1 ? -1 : ch.kept.length * per)], [2]);
  }
  if (newShape) edits.push(() => setInputConstant(ctx, node, 1, newShape!));
  const kept = ch.kept.flatMap((c) => Array.from({ length: per }, (_, j) => c * per + j));
  return [{ value: node.outputs[0], kept, total: ch.total * per }];
}
