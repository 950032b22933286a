// Quantizing a clustered layer should quantize its CODEBOOK. The quantizer scales int8 weights
// per output channel (scale_c = max|w_c| / 127), which keeps ≤ 16 values per channel but makes
// them different in every channel: a per-tensor codebook of 16 floats would become a per-channel
// int8 codebook of 16·channels bytes — more than the 4-bit indices of a small layer. So for each
// layer clustered with one codebook, the pipeline re-quantizes its weight with ONE scale,
// s = max|c| / 127 over the centroids c (the scale vector keeps its per-channel shape, all entries
// s, so the QDQ structure is unchanged), and the int32 bias with it (scale input_scale · s). The
// int8 weight then holds the ≤ 16 values round(c / s) in every channel, zeros staying 0.
import type { Graph, Node, Value } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import { roundHalfEven } from '../backends/cpu/ops/quant-arith.js';

const fr = Math.fround;

export interface RequantizedCodebook {
  weight: string;
  node: string;
  scale: number;
  /** Distinct int8 values in the tensor. */
  values: number;
}

/** The DequantizeLinear producing `v` from constants, or null. */
function dequantizer(v: Value | null | undefined): Node | null {
  const dq = v?.producer;
  if (!dq || dq.op !== 'DequantizeLinear' || dq.domain !== '') return null;
  return dq.inputs[0]?.constant && dq.inputs[1]?.constant ? dq : null;
}

/**
 * Re-quantizes, in `quantized` (a graph the caller owns; modified in place), the int8 weights of
 * the layers named in `perTensor` (weight value names) with one scale per tensor. `floatWeights`
 * gives each weight's clustered float values (the graph before quantization).
 */
export function quantizeCodebooks(quantized: Graph, perTensor: readonly string[], floatWeights: Map<string, Float32Array>): RequantizedCodebook[] {
  const out: RequantizedCodebook[] = [];
  const wanted = new Set(perTensor);
  for (const node of quantized.nodes) {
    const wv = node.inputs[1];
    if (!wv || !wanted.has(wv.name)) continue;
    const dq = dequantizer(wv);
    const w = floatWeights.get(wv.name);
    if (!dq || !w || dq.inputs[0]!.constant!.type !== 'int8' || dq.inputs[0]!.constant!.size !== w.length) continue;
    let amax = 0;
    for (let i = 0; i < w.length; i++) amax = Math.max(amax, Math.abs(w[i]));
    const s = fr(amax / 127);
    if (!(s >= 2 ** -126)) continue;
    const q = Int8Array.from(w, (x) => Math.max(-127, Math.min(127, roundHalfEven(fr(x / s)))));
    const oldScale = dq.inputs[1]!.constant!;
    replaceConstant(dq, 0, new Tensor('int8', q, dq.inputs[0]!.constant!.dims));
    replaceConstant(dq, 1, new Tensor('float32', new Float32Array(oldScale.size).fill(s), oldScale.dims));
    requantizeBias(node, s);
    wanted.delete(wv.name);
    out.push({ weight: wv.name, node: node.name, scale: s, values: new Set(q).size });
  }
  return out;
}

/** The int32 bias of `node` (DequantizeLinear of constants) at the new scale input_scale · s. */
function requantizeBias(node: Node, s: number): void {
  const dq = dequantizer(node.inputs[2]);
  const xdq = dequantizer(node.inputs[0]);
  if (!dq || !xdq || dq.inputs[0]!.constant!.type !== 'int32' || xdq.inputs[1]!.constant!.size !== 1) return;
  const xs = (xdq.inputs[1]!.constant!.data as Float32Array)[0];
  const qb = dq.inputs[0]!.constant!.data as Int32Array;
  const old = dq.inputs[1]!.constant!;
  const olds = old.data as Float32Array;
  const ns = fr(xs * s);
  const nb = Int32Array.from(qb, (q, c) => {
    const real = fr(q * olds[olds.length === 1 ? 0 : c]);
    return Math.max(-2147483648, Math.min(2147483647, roundHalfEven(fr(real / ns))));
  });
  replaceConstant(dq, 0, new Tensor('int32', nb, dq.inputs[0]!.constant!.dims));
  replaceConstant(dq, 1, new Tensor('float32', new Float32Array(old.size).fill(ns), old.dims));
}

/** New tensor for a node's constant input (tensors are shared with the graph the quantizer started from: never write into them). */
function replaceConstant(node: Node, index: number, t: Tensor): void {
  node.inputs[index]!.constant = t;
}
