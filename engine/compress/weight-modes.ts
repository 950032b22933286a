// The two modes that touch weights only (TFLite's "dynamic range" and "float16" PTQ):
//  - dynamic: Gemm/MatMul weights become int8 per-channel through DequantizeLinear, with no
//    activation Q/DQ; edgerun's fuse-qdq pass runs them on the hybrid kernel (activations
//    quantized per row at run time). Conv and recurrent weights are int8 too, computed in float.
//  - float16: every float32 initializer becomes float16 read through Cast(to float), ONNX's
//    standard form; runtimes widen once (edgerun folds the Cast at load).
import type { Graph, Node, Value } from '../graph/ir.js';
import { Tensor, floatToHalf } from '../tensor.js';
import { Surgery } from './graph-surgery.js';
import type { FloatNode } from './int8-plan.js';
import { corrected } from './int8-build.js';
import { ensureBias, quantizeWeightInput, replaceFloatBias, type WeightRecord } from './quant-weights.js';

export interface WeightModeResult {
  weights: WeightRecord[];
  floatNodes: FloatNode[];
  warnings: string[];
}

const isF32Const = (v: Value | null | undefined) => !!v?.constant && v.constant.type === 'float32';

/** The layers whose weights dynamic mode quantizes, and the input whose channel means correct their bias. */
export function dynamicMeanRequests(g: Graph, keepFloat: Set<string>): { name: string; axis: number }[] {
  const out: { name: string; axis: number }[] = [];
  for (const node of g.nodes) {
    if (keepFloat.has(node.name) || node.domain !== '' || !node.inputs[0] || !isF32Const(node.inputs[1])) continue;
    if (node.op === 'Conv') out.push({ name: node.inputs[0].name, axis: 1 });
    else if (node.op === 'Gemm' && node.int('transA', 0) === 0) out.push({ name: node.inputs[0].name, axis: -1 });
  }
  return out;
}

/** Dynamic mode; with calibration `means` (input name → per-channel mean) the biases are corrected. */
export function buildDynamic(g: Graph, keepFloat: Set<string>, perChannel: boolean, means = new Map<string, Float64Array>(), qmax = 127): WeightModeResult {
  const s = new Surgery(g);
  const out: WeightModeResult = { weights: [], floatNodes: [], warnings: [] };
  const axis = (a: number) => (perChannel ? a : -1);
  for (const node of [...g.nodes]) {
    if (keepFloat.has(node.name)) {
      out.floatNodes.push({ node, reason: 'kept float (keepFloat)' });
      continue;
    }
    if (node.domain !== '') continue;
    const w = node.inputs[1];
    const mean = node.inputs[0] ? means.get(node.inputs[0].name) : undefined;
    if (node.op === 'Gemm' && node.int('transA', 0) === 0 && isF32Const(w) && w!.constant!.dims.length === 2) {
      const transB = node.int('transB', 0) !== 0;
      const n = w!.constant!.dims[transB ? 0 : 1];
      const { shift } = quantizeWeightInput(s, node, 1, axis(transB ? 0 : 1), out.weights, node.float('alpha', 1), mean && { mean, layout: transB ? 'nk' : 'kn' }, qmax);
      node.attrs.set('alpha', { type: 'float', value: 1 });
      if (shift) {
        const c = ensureBias(s, node, 2, n);
        replaceFloatBias(s, node, 2, corrected(c.constant!.data as Float32Array, node.float('beta', 1), n, shift));
        node.attrs.set('beta', { type: 'float', value: 1 });
      }
    } else if (node.op === 'MatMul' && isF32Const(w) && w!.constant!.dims.length === 2) {
      quantizeWeightInput(s, node, 1, axis(1), out.weights, 1, undefined, qmax);
    } else if (node.op === 'Conv' && isF32Const(w)) {
      const m = w!.constant!.dims[0];
      const { shift } = quantizeWeightInput(s, node, 1, axis(0), out.weights, 1, mean && { mean, layout: 'conv', group: node.int('group', 1) }, qmax);
      if (shift) {
        const b = ensureBias(s, node, 2, m);
        replaceFloatBias(s, node, 2, corrected(b.constant!.data as Float32Array, 1, m, shift));
      }
      out.floatNodes.push({ node, reason: 'no hybrid Conv kernel: runs in float with int8 weights' });
    } else if (['LSTM', 'GRU', 'RNN'].includes(node.op)) {
      for (const i of [1, 2]) if (isF32Const(node.inputs[i])) quantizeWeightInput(s, node, i, axis(1), out.weights, 1, undefined, qmax);
      out.floatNodes.push({ node, reason: `no hybrid ${node.op} kernel: runs in float with int8 weights` });
    }
  }
  return out;
}

const HALF_MAX = 65504;

export function buildFloat16(g: Graph, keepFloat: Set<string>): WeightModeResult {
  const s = new Surgery(g);
  const out: WeightModeResult = { weights: [], floatNodes: [], warnings: [] };
  const readers = new Map<Value, Node[]>();
  for (const n of g.nodes) for (const v of n.inputs) if (v && isF32Const(v)) readers.set(v, [...(readers.get(v) ?? []), n]);
  for (const [v, nodes] of readers) {
    const kept = nodes.filter((n) => keepFloat.has(n.name));
    if (kept.length === nodes.length) continue;
    const t = v.constant!;
    const data = t.data as Float32Array;
    const big = data.findIndex((x) => Math.abs(x) > HALF_MAX);
    if (big >= 0) {
      out.warnings.push(`'${v.name}' stays float32: element ${big} (${data[big]}) is beyond float16's ±${HALF_MAX}`);
      continue;
    }
    const halves = Uint16Array.from(data, floatToHalf);
    // Readers kept float keep a float32 copy; the others read the widened halves.
    const target = kept.length ? s.constant(v.name, t) : v;
    if (kept.length) for (const n of nodes) if (!keepFloat.has(n.name)) n.inputs = n.inputs.map((x) => (x === v ? target : x));
    const hv = s.constant(`${v.name}_fp16`, new Tensor('float16', halves, t.dims));
    target.constant = null;
    target.dtype = 'float32';
    target.shape = [...t.dims];
    const first = nodes.find((n) => !keepFloat.has(n.name))!;
    s.insertBefore(first, [s.node('Cast', `${v.name}_Cast`, [hv], [target], { to: { type: 'int', value: 1 } })]);
    out.weights.push({ tensor: v.name, node: first.name, dtype: 'float16', shape: [...t.dims], axis: -1 });
  }
  for (const n of g.nodes) if (keepFloat.has(n.name)) out.floatNodes.push({ node: n, reason: 'kept float (keepFloat)' });
  return out;
}
