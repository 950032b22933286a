// Weights and biases as ONNX QDQ: an int8 (int32 for biases) initializer read through
// DequantizeLinear, which writes the Value the float op already reads — so the op keeps its
// input and any runtime sees a valid float graph. Symmetric weights need no zero-point
// initializer: DequantizeLinear's zero point defaults to 0.
import type { Attribute, Node, Value } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import type { Surgery } from './graph-surgery.js';
import { quantizeBias, quantizeWeights } from './qparams.js';

export interface WeightRecord {
  tensor: string;
  node: string;
  dtype: 'int8' | 'int32' | 'float16';
  shape: number[];
  /** Channel axis of the scales (−1: one per tensor). */
  axis: number;
  scaleMin?: number;
  scaleMax?: number;
  note?: string;
}

/** A DequantizeLinear producing `target` from new quantized/scale constants; returns the node. */
function dequantizeInto(s: Surgery, target: Value, q: Tensor, scales: Float32Array, axis: number, perAxis: boolean): Node {
  const base = target.name;
  const qv = s.constant(`${base}_quantized`, q);
  const scale = s.constant(`${base}_scale`, perAxis ? new Tensor('float32', scales, [scales.length]) : new Tensor('float32', scales.subarray(0, 1), []));
  const attrs: Record<string, Attribute> = perAxis ? { axis: { type: 'int', value: axis } } : {};
  target.constant = null;
  target.dtype = 'float32';
  target.shape = [...q.dims];
  return s.node('DequantizeLinear', `${base}_DequantizeLinear`, [qv, scale], [target], attrs);
}

/**
 * How the weights meet the input, for bias correction: the per-channel mean of the input over
 * the calibration data, and the weight layout ('conv': [M, C/group, k...]; 'kn': B as [K, N];
 * 'nk': B as [N, K]).
 */
export interface BiasCorrection {
  mean: Float64Array;
  layout: 'conv' | 'kn' | 'nk';
  group?: number;
}

/**
 * The mean output shift the weight rounding causes, per output channel: Σ_k (ŵ − w)·E[x_k]
 * (empirical bias correction, Nagel et al. 2019, "Data-Free Quantization", §4.2 — with the mean
 * measured on the calibration data). Subtracting it from the bias removes the systematic part of
 * the error; for convolutions the zero padding at the borders is ignored.
 */
export function biasShift(w: Float32Array, q: Int8Array, scales: Float32Array, dims: readonly number[], c: BiasCorrection): Float64Array {
  const fr = Math.fround;
  const err = (i: number, ch: number) => fr(q[i] * scales[scales.length === 1 ? 0 : ch]) - w[i];
  if (c.layout === 'conv') {
    const m = dims[0];
    const cg = dims[1];
    const taps = w.length / (m * cg);
    const mg = m / (c.group ?? 1);
    const out = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      const grp = Math.floor(o / mg);
      for (let ci = 0; ci < cg; ci++) for (let t = 0; t < taps; t++) {
        const i = (o * cg + ci) * taps + t;
        out[o] += err(i, o) * c.mean[grp * cg + ci];
      }
    }
    return out;
  }
  const [K, N] = c.layout === 'kn' ? [dims[0], dims[1]] : [dims[1], dims[0]];
  const out = new Float64Array(N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const i = c.layout === 'kn' ? k * N + n : n * K + k;
      out[n] += err(i, n) * c.mean[k];
    }
  }
  return out;
}

/**
 * Replaces the float32 constant `w` (read by `node`) with int8 per-channel weights along `axis`
 * (or per tensor when `axis` is −1). `scaleBy` multiplies the weights first (Gemm's alpha).
 * Returns the scales (the bias of the same node needs them) and, given the input's channel
 * means, the bias shift that corrects the rounding's mean error.
 */
export function quantizeWeightInput(s: Surgery, node: Node, index: number, axis: number, records: WeightRecord[], scaleBy = 1, correction?: BiasCorrection, qmax = 127): { scales: Float32Array; shift: Float64Array | null } {
  const w = node.inputs[index]!;
  const t = w.constant!;
  let data = t.data as Float32Array;
  if (scaleBy !== 1) data = Float32Array.from(data, (x) => x * scaleBy);
  const q = quantizeWeights(data, t.dims, axis, `${node.label} weight '${w.name}'`, qmax);
  const shift = correction ? biasShift(data, q.data, q.scales, t.dims, correction) : null;
  // A weight shared by several nodes is quantized once, by the first: later readers get its DQ.
  const target = exclusiveValue(s, node, index);
  s.insertBefore(node, [dequantizeInto(s, target, new Tensor('int8', q.data, t.dims), q.scales, axis, axis >= 0)]);
  records.push({
    tensor: w.name, node: node.name, dtype: 'int8', shape: [...t.dims], axis,
    scaleMin: Math.min(...q.scales), scaleMax: Math.max(...q.scales),
    note: [q.zeroChannels ? `${q.zeroChannels} all-zero channel(s) (scale 1)` : '', shift ? 'bias corrected' : ''].filter(Boolean).join('; ') || undefined,
  });
  return { scales: q.scales, shift };
}

/** int32 bias at input_scale × weight_scale, per channel. */
export function quantizeBiasInput(s: Surgery, node: Node, index: number, bias: Float32Array, inputScale: number, weightScales: Float32Array, records: WeightRecord[], warnings: string[]): void {
  const b = node.inputs[index]!;
  const q = quantizeBias(bias, inputScale, weightScales);
  if (q.saturated) warnings.push(`${node.label}: ${q.saturated} bias value(s) do not fit int32 at scale input×weight and were saturated`);
  const target = exclusiveValue(s, node, index);
  s.insertBefore(node, [dequantizeInto(s, target, new Tensor('int32', q.data, [bias.length]), q.scales, 0, true)]);
  records.push({ tensor: b.name, node: node.name, dtype: 'int32', shape: [bias.length], axis: 0, scaleMin: Math.min(...q.scales), scaleMax: Math.max(...q.scales) });
}

/**
 * The Value `node` reads at `index`, made private to it: a constant shared with other readers is
 * left alone for them and this node gets a fresh Value (a bias scale depends on the reader's input).
 */
function exclusiveValue(s: Surgery, node: Node, index: number): Value {
  const v = node.inputs[index]!;
  const shared = s.graph.nodes.some((n) => n !== node && n.inputs.includes(v)) || s.graph.outputs.includes(v);
  if (!shared) return v;
  const own = s.constant(v.name, v.constant!);
  node.inputs[index] = own;
  return own;
}

/** The node's bias input `index`, created as zeros (n of them) when the node has none. */
export function ensureBias(s: Surgery, node: Node, index: number, n: number): Value {
  const have = node.inputs[index];
  if (have) return have;
  while (node.inputs.length < index) node.inputs.push(null);
  const v = s.constant(`${node.name}_bias`, new Tensor('float32', new Float32Array(n), [n]));
  node.inputs[index] = v;
  return v;
}

/** Gives `node` its own float32 bias constant with these values (the shared original is untouched). */
export function replaceFloatBias(s: Surgery, node: Node, index: number, values: Float32Array): void {
  const old = node.inputs[index]!;
  node.inputs[index] = s.constant(old.name, new Tensor('float32', values, [values.length]));
}
