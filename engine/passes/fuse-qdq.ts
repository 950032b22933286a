// QDQ fusion: the quantized graph (standard ONNX: DequantizeLinear → float op → QuantizeLinear)
// becomes integer nodes the CPU backend runs on int8 kernels. Patterns, matched in order:
//   DQ → Conv / Gemm / MatMul (DQ'd constant weights, bias DQ'd or float) [→ Relu/Clip] → Q
//        ⇒ ai.edgerun QConv / QGemm  (TFLite fixed-point requantization; the Relu/Clip becomes
//          the integer clamp TFLite applies)
//   DQ → Add → Q ⇒ QAdd;   DQ → AveragePool / GlobalAveragePool → Q ⇒ QAveragePool / QGlobalAveragePool
//   DQ → Concat → Q ⇒ QConcat;   DQ → Sigmoid/Tanh/Relu/Clip/LeakyRelu/HardSigmoid/HardSwish/Elu → Q ⇒ QLut
//   DQ → Reshape/Flatten/Transpose/Squeeze/Unsqueeze/Identity/MaxPool/Pad/Slice/Gather → Q with
//        the same parameters ⇒ the same op on the int8 tensor (Pad pads with the zero point)
//   DQ(int8 constant weight) → Gemm / MatMul with a float A and no Q ⇒ DynamicQuantizeMatMul
//        (the hybrid kernel: A quantized per row at run time)
// Edgerun's own ops (domain ai.edgerun) rather than onnxruntime's QLinear ops: QGemm needs a bias
// and a clamp QLinearMatMul lacks, and the fused ops requantize the TFLite way (the int8 kernels'
// arithmetic) while the ONNX QLinear ops keep the ONNX reference's float requantization.
// Anything that does not match keeps running as QDQ in float, which is correct, only slower.
import { Graph, Node, Value, type Attribute } from '../graph/ir.js';
import { EDGERUN_DOMAIN, activationOfNode } from '../ops/fused-activation.js';
import { activate } from '../../kernels/reference/activation.js';
import { HYBRID_MAX_K } from '../../kernels/hybrid-gemm.js';
import { quantizeOne, rangeOf } from '../backends/cpu/ops/quant-arith.js';
import { removeDeadNodes } from './dead-nodes.js';
import { annotate, inferGraph } from '../graph/infer.js';
import { soleConsumer } from './graph-edit.js';
import { dequantized, dequantizedWeight, quantizedBy, realConstant, requantizedBias, tensorOf, type QTensor } from './qdq-match.js';
import { clipBounds, PASSTHROUGH } from '../compress/int8-plan.js';

const fr = Math.fround;
const LUT_OPS = new Set(['Sigmoid', 'Tanh', 'Relu', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Elu']);
const CONV_ATTRS = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

export interface FuseQdqOptions {
  /** How QConv/QGemm requantize: 'tflite' (default, fixed point) or 'float' (as onnxruntime). */
  requantize?: 'tflite' | 'float';
}

class Fuser {
  private readonly consumers: Map<Value, Node[]>;
  private readonly replaced = new Map<Node, Node>();
  private readonly removed = new Set<Node>();
  private counter = 0;

  constructor(
    private readonly g: Graph,
    private readonly opts: FuseQdqOptions,
  ) {
    this.consumers = g.consumers();
  }

  run(): void {
    for (const node of [...this.g.nodes]) {
      if (this.removed.has(node) || node.domain !== '') continue;
      const fused = this.fuse(node);
      if (fused) this.replaced.set(node, fused);
    }
    this.g.nodes = this.g.nodes.filter((n) => !this.removed.has(n)).map((n) => this.replaced.get(n) ?? n);
  }

  private fuse(node: Node): Node | null {
    switch (node.op) {
      case 'Conv':
        return this.conv(node);
      case 'Gemm':
      case 'MatMul':
        return this.gemm(node) ?? this.hybrid(node);
      case 'Add':
        return this.add(node);
      case 'AveragePool':
      case 'GlobalAveragePool':
        return this.pool(node);
      case 'Concat':
        return this.concat(node);
      default:
        if (LUT_OPS.has(node.op)) return this.lut(node);
        if (PASSTHROUGH.has(node.op)) return this.passthrough(node);
        return null;
    }
  }

  private constant(base: string, t: ReturnType<typeof tensorOf>): Value {
    const v = new Value(`${base}__fused_${this.counter++}`, t.type, [...t.dims]);
    v.constant = t;
    return v;
  }

  private zp(t: QTensor, dtype: string): Value {
    return t.zp ?? this.constant('zero_point', tensorOf(dtype as 'int8', [0], []));
  }

  /** The output Q of `node`, through an optional chain of Relu/Clip; the clamp the chain means. */
  private outputQ(node: Node, allowChain: boolean): { q: QTensor & { node: Node }; chain: Node[]; clamp: [number | null, number | null] } | null {
    let v = node.outputs[0];
    const chain: Node[] = [];
    let lo: number | null = null;
    let hi: number | null = null;
    for (;;) {
      const q = quantizedBy(this.g, this.consumers, v);
      if (q) {
        const [qmin, qmax] = rangeOf(q.q.dtype!);
        // TFLite's CalculateActivationRangeQuantized: quantize(f) = zp + round(f / scale).
        const at = (f: number) => q.zpValue + Math.round(fr(f / q.scaleValue));
        const clamp: [number | null, number | null] = [lo === null ? null : Math.max(qmin, at(lo)), hi === null ? null : Math.min(qmax, at(hi))];
        return { q, chain, clamp };
      }
      if (!allowChain) return null;
      const r = soleConsumer(this.g, this.consumers, v);
      if (!r || r.domain !== '' || r.inputs[0] !== v) return null;
      if (r.op === 'Relu') lo = Math.max(lo ?? 0, 0);
      else if (r.op === 'Clip') {
        const b = clipBounds(r, this.g.opset);
        if (!b) return null;
        lo = Math.max(lo ?? -Infinity, b[0]);
        hi = Math.min(hi ?? Infinity, b[1]);
        if (!Number.isFinite(lo)) lo = null;
        if (!Number.isFinite(hi)) hi = null;
      } else return null;
      chain.push(r);
      v = r.outputs[0];
    }
  }

  private finish(node: Node, op: string, inputs: (Value | null)[], out: { q: { node: Node; q: Value }; chain: Node[] }, attrs: Map<string, Attribute>): Node {
    const fused = new Node(op, node.name, inputs, [out.q.q], attrs, EDGERUN_DOMAIN);
    out.q.q.producer = fused;
    this.removed.add(out.q.node);
    for (const c of out.chain) this.removed.add(c);
    return fused;
  }

  private requantAttrs(attrs: Map<string, Attribute>, clamp: [number | null, number | null]): void {
    if (this.opts.requantize === 'float') attrs.set('requantize', { type: 'string', value: 'float' });
    if (clamp[0] !== null) attrs.set('clamp_min', { type: 'int', value: clamp[0] });
    if (clamp[1] !== null) attrs.set('clamp_max', { type: 'int', value: clamp[1] });
  }

  private conv(node: Node): Node | null {
    const x = dequantized(node.inputs[0]);
    const w = dequantizedWeight(node.inputs[1], 0);
    if (!x || !w || w.q.constant!.dims.length > 4) return null;
    const out = this.outputQ(node, true);
    if (!out) return null;
    const m = w.q.constant!.dims[0];
    let bias: Value | null = null;
    if (node.inputs[2]) {
      const b = realConstant(node.inputs[2]);
      const bq = b && requantizedBias(b, m, x.scaleValue, w.scales);
      if (!bq) return null;
      bias = this.constant(`${node.name}_bias`, tensorOf('int32', bq, [m]));
    }
    const attrs = new Map([...node.attrs].filter(([k]) => CONV_ATTRS.includes(k)));
    this.requantAttrs(attrs, out.clamp);
    const wzp = w.zp ?? this.constant('w_zero_point', tensorOf(w.q.constant!.type as 'int8', [0], []));
    return this.finish(node, 'QConv', [x.q, x.scale, this.zp(x, x.q.dtype!), w.q, w.scale, wzp, out.q.scale, this.zp(out.q, out.q.q.dtype!), bias], out, attrs);
  }

  /** Gemm (transA 0, alpha 1) or MatMul with a constant 2-D B. */
  private gemmShape(node: Node): { transB: boolean; beta: number } | null {
    if (node.op === 'MatMul') return { transB: false, beta: 1 };
    if (node.int('transA', 0) !== 0 || node.float('alpha', 1) !== 1) return null;
    return { transB: node.int('transB', 0) !== 0, beta: node.float('beta', 1) };
  }

  private gemm(node: Node): Node | null {
    const shape = this.gemmShape(node);
    const a = dequantized(node.inputs[0]);
    if (!shape || !a) return null;
    const w = dequantizedWeight(node.inputs[1], shape.transB ? 0 : 1);
    if (!w || w.q.constant!.dims.length !== 2) return null;
    const out = this.outputQ(node, true);
    if (!out) return null;
    const n = w.q.constant!.dims[shape.transB ? 0 : 1];
    let bias: Value | null = null;
    if (node.inputs[2]) {
      const c = node.inputs[2].shape;
      if (c && c.length === 2 && c[0] !== 1) return null;
      const b = realConstant(node.inputs[2]);
      const bq = b && requantizedBias(Float32Array.from(b, (v) => v * shape.beta), n, a.scaleValue, w.scales);
      if (!bq) return null;
      bias = this.constant(`${node.name}_bias`, tensorOf('int32', bq, [n]));
    }
    const attrs = new Map<string, Attribute>([['transB', { type: 'int', value: shape.transB ? 1 : 0 }]]);
    this.requantAttrs(attrs, out.clamp);
    const wzp = w.zp ?? this.constant('b_zero_point', tensorOf(w.q.constant!.type as 'int8', [0], []));
    return this.finish(node, 'QGemm', [a.q, a.scale, this.zp(a, a.q.dtype!), w.q, w.scale, wzp, bias, out.q.scale, this.zp(out.q, out.q.q.dtype!)], out, attrs);
  }

  /** Float A, int8 weights: the hybrid kernel quantizes A per row at run time. */
  private hybrid(node: Node): Node | null {
    const shape = this.gemmShape(node);
    if (!shape || dequantized(node.inputs[0])) return null;
    const w = dequantizedWeight(node.inputs[1], shape.transB ? 0 : 1);
    if (!w || w.q.constant!.type !== 'int8' || w.zps.some((z) => z !== 0) || w.q.constant!.dims.length !== 2) return null;
    if ((w.q.constant!.data as Int8Array).includes(-128)) return null; // the hybrid kernel takes symmetric [-127, 127]
    const [k, n] = shape.transB ? [w.q.constant!.dims[1], w.q.constant!.dims[0]] : w.q.constant!.dims;
    if (k > HYBRID_MAX_K) return null;
    let bias: Value | null = null;
    if (node.inputs[2]) {
      const c = node.inputs[2].shape;
      const b = realConstant(node.inputs[2]);
      if (!b || (c && c.length === 2 && c[0] !== 1) || (b.length !== n && b.length !== 1)) return null;
      bias = this.constant(`${node.name}_bias`, tensorOf('float32', Array.from({ length: n }, (_, j) => fr(shape.beta * b[b.length === 1 ? 0 : j])), [n]));
    }
    const scales = this.constant(`${node.name}_scales`, tensorOf('float32', w.scales.length === 1 ? new Array(n).fill(w.scales[0]) : w.scales, [n]));
    const fused = new Node('DynamicQuantizeMatMul', node.name, [node.inputs[0], w.q, scales, null, bias], [node.outputs[0]], new Map([['transB', { type: 'int', value: shape.transB ? 1 : 0 }]]), EDGERUN_DOMAIN);
    node.outputs[0].producer = fused;
    return fused;
  }

  private add(node: Node): Node | null {
    const [a, b] = [dequantized(node.inputs[0]), dequantized(node.inputs[1])];
    const out = a && b ? this.outputQ(node, false) : null;
    if (!a || !b || !out) return null;
    return this.finish(node, 'QAdd', [a.q, a.scale, this.zp(a, a.q.dtype!), b.q, b.scale, this.zp(b, b.q.dtype!), out.q.scale, this.zp(out.q, out.q.q.dtype!)], out, new Map());
  }

  private pool(node: Node): Node | null {
    const x = dequantized(node.inputs[0]);
    const out = x && node.outputs.length === 1 ? this.outputQ(node, false) : null;
    if (!x || !out) return null;
    const attrs = new Map([...node.attrs].filter(([k]) => k !== 'storage_order'));
    return this.finish(node, node.op === 'AveragePool' ? 'QAveragePool' : 'QGlobalAveragePool', [x.q, x.scale, this.zp(x, x.q.dtype!), out.q.scale, this.zp(out.q, out.q.q.dtype!)], out, attrs);
  }

  private concat(node: Node): Node | null {
    const xs = node.inputs.map((v) => dequantized(v));
    const out = xs.every((x) => x) ? this.outputQ(node, false) : null;
    if (!out) return null;
    const inputs: Value[] = [out.q.scale, this.zp(out.q, out.q.q.dtype!)];
    for (const x of xs) inputs.push(x!.q, x!.scale, this.zp(x!, x!.q.dtype!));
    return this.finish(node, 'QConcat', inputs, out, new Map([['axis', node.attrs.get('axis')!]]));
  }

  /** The op applied to every one of the 256 input levels: a table lookup in integers. */
  private lut(node: Node): Node | null {
    const x = dequantized(node.inputs[0]);
    const out = x ? this.outputQ(node, false) : null;
    if (!x || !out) return null;
    const act = activationOfNode(node.op, node, node.op === 'Clip' ? (clipBounds(node, this.g.opset) ?? undefined) : undefined);
    if (!act) return null;
    const [xmin] = rangeOf(x.q.dtype!);
    const [lo, hi] = rangeOf(out.q.q.dtype!);
    const table = Array.from({ length: 256 }, (_, i) => {
      const real = fr(fr(xmin + i - x.zpValue) * x.scaleValue);
      return quantizeOne(fr(activate(real, act)), out.q.scaleValue, out.q.zpValue, lo, hi);
    });
    const t = this.constant(`${node.name}_table`, tensorOf(out.q.q.dtype as 'int8', table, [256]));
    return this.finish(node, 'QLut', [x.q, t], out, new Map());
  }

  /** Data movement on the integers themselves when input and output share their parameters. */
  private passthrough(node: Node): Node | null {
    const x = dequantized(node.inputs[0]);
    const out = x && node.outputs.length === 1 ? this.outputQ(node, false) : null;
    if (!x || !out || out.q.scaleValue !== x.scaleValue || out.q.zpValue !== x.zpValue || out.q.q.dtype !== x.q.dtype) return null;
    const inputs = [x.q, ...node.inputs.slice(1)];
    if (node.op === 'Pad') {
      if (node.string('mode', 'constant') !== 'constant' || node.float('value', 0) !== 0) return null;
      const v = node.inputs[2];
      if (v && (!v.constant || v.constant.toNumbers()[0] !== 0)) return null;
      if (this.g.opset >= 11) inputs[2] = this.constant(`${node.name}_pad_value`, tensorOf(x.q.dtype as 'int8', [x.zpValue], []));
      else if (x.zpValue !== 0) return null;
    }
    const moved = new Node(node.op, node.name, inputs, [out.q.q], new Map(node.attrs), '');
    out.q.q.producer = moved;
    this.removed.add(out.q.node);
    return moved;
  }
}

export function fuseQdq(graph: Graph, opts: FuseQdqOptions = {}): Graph {
  if (!graph.nodes.some((n) => n.op === 'DequantizeLinear')) return graph;
  const g = graph.clone();
  // Patterns check element types; imported graphs type only their inputs and outputs.
  annotate(g, inferGraph(g, { model: g.name, partial: true }));
  new Fuser(g, opts).run();
  if (g.nodes.some((n) => n.domain === EDGERUN_DOMAIN) && !g.opsets.some((o) => o.domain === EDGERUN_DOMAIN)) g.opsets.push({ domain: EDGERUN_DOMAIN, version: 1 });
  return removeDeadNodes(g);
}
