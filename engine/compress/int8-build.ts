// Builds the int8 QDQ graph from a plan (int8-plan.ts) and calibrated ranges: every quantized
// activation goes through QuantizeLinear → DequantizeLinear right after its producer, weights and
// biases become int8/int32 initializers read through DequantizeLinear, dropped Relu/Clip chains
// disappear. The result is a standard ONNX QDQ model: any runtime can run it in float, and
// onnxruntime (or edgerun's fuse-qdq pass) turns the DQ → op → Q patterns into integer kernels.
import { EdgeRunError } from '../errors.js';
import { Value, type Graph, type Node } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import type { TensorRange } from './calibrate.js';
import { Surgery } from './graph-surgery.js';
import type { Int8Plan } from './int8-plan.js';
import { activationParams, type ActivationParams } from './qparams.js';
import { ensureBias, quantizeBiasInput, quantizeWeightInput, type WeightRecord } from './quant-weights.js';
import { quantizeOne } from '../backends/cpu/ops/quant-arith.js';

export type IoMode = 'float' | 'int8' | 'uint8';

export interface ActivationRecord {
  tensor: string;
  /** min/max seen in calibration (null: parameters not calibrated). */
  observed: [number, number] | null;
  /** The range the parameters cover. */
  range: [number, number];
  scale: number;
  zeroPoint: number;
  source: 'calibrated' | 'inherited' | 'fixed' | 'fallback';
}

export interface IoRecord {
  name: string;
  dtype: 'int8' | 'uint8';
  scale: number;
  zeroPoint: number;
}

export interface Int8Build {
  activations: ActivationRecord[];
  weights: WeightRecord[];
  warnings: string[];
  inputs: IoRecord[];
  outputs: IoRecord[];
}

type Params = ActivationParams & { source: ActivationRecord['source']; observed: [number, number] | null };

function resolveParams(plan: Int8Plan, ranges: Map<string, TensorRange>, chainOutputs: Set<Value>): Map<Value, Params> {
  const out = new Map<Value, Params>();
  const resolve = (v: Value): Params => {
    const known = out.get(v);
    if (known) return known;
    const src = plan.tensors.get(v);
    let p: Params;
    if (!src) throw new EdgeRunError('Internal', `quantize: tensor '${v.name}' has no quantization parameters`);
    if (src.kind === 'inherit') {
      p = { ...resolve(src.from), source: 'inherited', observed: null };
    } else if (src.kind === 'fixed') {
      const min = src.scale * (-128 - src.zeroPoint);
      p = { scale: src.scale, zeroPoint: src.zeroPoint, min, max: src.scale * (127 - src.zeroPoint), fallback: false, source: 'fixed', observed: ranges.get(v.name)?.observed ?? null };
    } else {
      const r = ranges.get(v.name);
      if (!r) throw new EdgeRunError('Internal', `quantize: tensor '${v.name}' was not calibrated`);
      const a = activationParams(r.range[0], r.range[1]);
      p = { ...a, source: a.fallback ? 'fallback' : 'calibrated', observed: r.observed };
      // A dropped Relu/Clip(0, ·) relies on zero point −128 to clamp at 0, the fallback included.
      if (chainOutputs.has(v) && p.zeroPoint !== -128) p = { ...p, zeroPoint: -128, min: 0, max: 255 * p.scale };
    }
    out.set(v, p);
    return p;
  };
  for (const v of plan.tensors.keys()) resolve(v);
  return out;
}

export function buildInt8(g: Graph, plan: Int8Plan, ranges: Map<string, TensorRange>, opts: { io: IoMode; perChannel: boolean; means: Map<string, Float64Array>; qmax: number }): Int8Build {
  const s = new Surgery(g);
  const result: Int8Build = { activations: [], weights: [], warnings: [], inputs: [], outputs: [] };
  const chainOutputs = new Set([...plan.compute.values()].filter((c) => c.chain.length).map((c) => c.output));
  const params = resolveParams(plan, ranges, chainOutputs);

  // 1. Drop the Relu/Clip chains: the compute node writes the chain's last value.
  for (const [node, c] of plan.compute) {
    if (!c.chain.length) continue;
    node.outputs[0] = c.output;
    c.output.producer = node;
    s.remove(c.chain);
  }

  // 2. Weights and biases.
  for (const [node, c] of plan.compute) quantizeConstants(s, node, c.kind, params, opts, result);
  for (const node of plan.weightOnly) {
    for (const i of [1, 2]) {
      const w = node.inputs[i];
      if (w?.constant?.type === 'float32') quantizeWeightInput(s, node, i, opts.perChannel ? 1 : -1, result.weights, 1, undefined, opts.qmax);
    }
  }

  // 3. Activations: QuantizeLinear → DequantizeLinear after each producer (or the integer edges).
  for (const [v, p] of params) {
    result.activations.push({ tensor: v.name, observed: p.observed, range: [p.min, p.max], scale: p.scale, zeroPoint: p.zeroPoint, source: p.source });
    const qparams = (dtype: 'int8' | 'uint8') => {
      const zp = dtype === 'uint8' ? p.zeroPoint + 128 : p.zeroPoint;
      return [s.constant(`${v.name}_scale`, new Tensor('float32', [p.scale], [])), s.constant(`${v.name}_zero_point`, new Tensor(dtype, [zp], []))];
    };
    if (opts.io !== 'float' && g.inputs.includes(v)) {
      result.inputs.push(integerInput(s, v, qparams(opts.io), opts.io));
      continue;
    }
    if (opts.io !== 'float' && g.outputs.includes(v)) {
      result.outputs.push(integerOutput(s, v, qparams(opts.io), opts.io));
      continue;
    }
    const [scale, zp] = qparams('int8');
    s.interpose(v, (raw) => {
      const q = new Value(s.fresh(`${v.name}_quantized`), 'int8', v.shape ? [...v.shape] : null);
      const out = new Value(s.fresh(`${v.name}_dequantized`), 'float32', v.shape ? [...v.shape] : null);
      return {
        nodes: [s.node('QuantizeLinear', `${v.name}_QuantizeLinear`, [raw, scale, zp], [q]), s.node('DequantizeLinear', `${v.name}_DequantizeLinear`, [q, scale, zp], [out])],
        out,
      };
    });
  }
  return result;
}

function quantizeConstants(s: Surgery, node: Node, kind: string, params: Map<Value, Params>, opts: { perChannel: boolean; means: Map<string, Float64Array>; qmax: number }, result: Int8Build): void {
  const inputScale = () => params.get(node.inputs[0]!)!.scale;
  const mean = opts.means.get(node.inputs[0]!.name);
  const perChannel = opts.perChannel;
  if (kind === 'conv') {
    const m = node.inputs[1]!.constant!.dims[0];
    const { scales, shift } = quantizeWeightInput(s, node, 1, perChannel ? 0 : -1, result.weights, 1, mean && { mean, layout: 'conv', group: node.int('group', 1) }, opts.qmax);
    const b = shift ? ensureBias(s, node, 2, m) : node.inputs[2];
    if (b) quantizeBiasInput(s, node, 2, corrected(b.constant!.data as Float32Array, 1, m, shift), inputScale(), scales, result.weights, result.warnings);
  } else if (kind === 'gemm') {
    const transB = node.int('transB', 0) !== 0;
    const alpha = node.float('alpha', 1);
    const beta = node.float('beta', 1);
    const n = node.inputs[1]!.constant!.dims[transB ? 0 : 1];
    const { scales, shift } = quantizeWeightInput(s, node, 1, perChannel ? (transB ? 0 : 1) : -1, result.weights, alpha, mean && { mean, layout: transB ? 'nk' : 'kn' }, opts.qmax);
    node.attrs.set('alpha', { type: 'float', value: 1 });
    const c = shift ? ensureBias(s, node, 2, n) : node.inputs[2];
    if (c) {
      quantizeBiasInput(s, node, 2, corrected(c.constant!.data as Float32Array, beta, n, shift), inputScale(), scales, result.weights, result.warnings);
      node.attrs.set('beta', { type: 'float', value: 1 });
    }
  } else if (kind === 'matmul') {
    quantizeWeightInput(s, node, 1, perChannel ? 1 : -1, result.weights, 1, undefined, opts.qmax);
  } else if (kind === 'add' || kind === 'concat') {
    node.inputs.forEach((v, i) => {
      if (v?.constant) quantizeConstantOperand(s, node, i, result);
    });
  }
}

/** beta · bias (broadcast to n) minus the bias-correction shift. */
export function corrected(bias: Float32Array, beta: number, n: number, shift: Float64Array | null): Float32Array {
  return Float32Array.from({ length: n }, (_, j) => beta * bias[bias.length === 1 ? 0 : j] - (shift ? shift[j] : 0));
}

/** A constant operand of Add/Concat: per-tensor asymmetric int8 like an activation. */
function quantizeConstantOperand(s: Surgery, node: Node, index: number, result: Int8Build): void {
  const v = node.inputs[index]!;
  const data = v.constant!.data as Float32Array;
  let lo = 0;
  let hi = 0;
  for (const x of data) {
    if (!Number.isFinite(x)) throw new EdgeRunError('InvalidArgument', `${node.label}: constant '${v.name}' holds ${x}; it cannot be quantized`);
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  const p = activationParams(lo, hi);
  const q = Int8Array.from(data, (x) => quantizeOne(x, p.scale, p.zeroPoint, -128, 127));
  const own = s.constant(v.name, v.constant!);
  node.inputs[index] = own;
  const qv = s.constant(`${v.name}_quantized`, new Tensor('int8', q, v.constant!.dims));
  const scale = s.constant(`${v.name}_scale`, new Tensor('float32', [p.scale], []));
  const zp = s.constant(`${v.name}_zero_point`, new Tensor('int8', [p.zeroPoint], []));
  own.constant = null;
  s.insertBefore(node, [s.node('DequantizeLinear', `${v.name}_DequantizeLinear`, [qv, scale, zp], [own])]);
  result.weights.push({ tensor: v.name, node: node.name, dtype: 'int8', shape: [...v.constant!.dims], axis: -1, scaleMin: p.scale, scaleMax: p.scale });
}

/** The float input `v` becomes an integer graph input of the same name, dequantized for its readers. */
function integerInput(s: Surgery, v: Value, [scale, zp]: Value[], dtype: 'int8' | 'uint8'): IoRecord {
  const g = s.graph;
  const name = v.name;
  v.name = s.fresh(`${name}_dequantized`);
  const input = new Value(name, dtype, v.shape ? [...v.shape] : null);
  g.inputs[g.inputs.indexOf(v)] = input;
  s.insertAfter(null, [s.node('DequantizeLinear', `${name}_DequantizeLinear`, [input, scale, zp], [v])]);
  return { name, dtype, scale: scale.constant!.toNumbers()[0], zeroPoint: zp.constant!.toNumbers()[0] };
}

/** The float output `v` becomes an integer graph output of the same name; readers inside the graph get its dequantized value. */
function integerOutput(s: Surgery, v: Value, [scale, zp]: Value[], dtype: 'int8' | 'uint8'): IoRecord {
  const g = s.graph;
  const readers = g.nodes.filter((n) => n.inputs.includes(v));
  s.interpose(v, (raw) => {
    const q = new Value(s.fresh(`${v.name}_quantized`), dtype, v.shape ? [...v.shape] : null);
    return { nodes: [s.node('QuantizeLinear', `${v.name}_QuantizeLinear`, [raw, scale, zp], [q])], out: q };
  });
  v.dtype = dtype;
  if (readers.length) {
    const deq = new Value(s.fresh(`${v.name}_dequantized`), 'float32', v.shape ? [...v.shape] : null);
    const dq = s.node('DequantizeLinear', `${v.name}_DequantizeLinear`, [v, scale, zp], [deq]);
    for (const r of readers) r.inputs = r.inputs.map((x) => (x === v ? deq : x));
    s.insertAfter(v.producer, [dq]);
  }
  return { name: v.name, dtype, scale: scale.constant!.toNumbers()[0], zeroPoint: zp.constant!.toNumbers()[0] };
}
