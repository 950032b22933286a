// BatchNorm folding: Conv (or Gemm) followed by an inference-mode BatchNormalization becomes one
// Conv (Gemm) with scaled weights and a shifted bias:
//   s = scale / sqrt(var + eps);  W' = W · s (per output channel);  b' = (b − mean) · s + B
import { Tensor } from '../tensor.js';
import type { Graph, Node, Value } from '../graph/ir.js';
import { onlyFirstOutputUsed, soleConsumer } from './graph-edit.js';
import { Value as IrValue } from '../graph/ir.js';

export function foldBatchNorm(graph: Graph): Graph {
  const g = graph.clone();
  const consumers = g.consumers();
  const removed = new Set<Node>();
  for (const node of g.nodes) {
    if (removed.has(node) || !(node.op === 'Conv' || node.op === 'Gemm') || node.domain !== '') continue;
    const bn = soleConsumer(g, consumers, node.outputs[0]);
    if (!bn || bn.op !== 'BatchNormalization' || bn.inputs[0] !== node.outputs[0]) continue;
    if (bn.int('training_mode', 0) !== 0 || !onlyFirstOutputUsed(g, consumers, bn)) continue;
    const [, scale, shift, mean, variance] = bn.inputs.map((v) => v?.constant ?? null);
    const w = node.inputs[1]?.constant;
    const b = node.inputs[2] ? node.inputs[2].constant : null;
    if (!scale || !shift || !mean || !variance || !w || w.type !== 'float32' || (node.inputs[2] && !b)) continue;
    const eps = bn.float('epsilon', 1e-5);
    const folded = node.op === 'Conv' ? foldConv(w, b, scale, shift, mean, variance, eps) : foldGemm(node, w, b, scale, shift, mean, variance, eps);
    if (!folded) continue;
    node.inputs = [node.inputs[0], constantValue(`${node.name}_W_bnfolded`, folded.w), constantValue(`${node.name}_B_bnfolded`, folded.b)];
    if (node.op === 'Gemm') node.attrs.set('beta', { type: 'float', value: 1 });
    // The conv now writes what the BatchNorm wrote.
    node.outputs = [bn.outputs[0]];
    bn.outputs[0].producer = node;
    removed.add(bn);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  return g;
}

function constantValue(name: string, t: Tensor): Value {
  const v = new IrValue(name, t.type, [...t.dims]);
  v.constant = t;
  return v;
}

function channelFactors(scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, eps: number) {
  const sc = scale.toNumbers();
  const sh = shift.toNumbers();
  const mu = mean.toNumbers();
  const va = variance.toNumbers();
  const s = sc.map((x, i) => x / Math.sqrt(va[i] + eps));
  return { s, sh, mu };
}

function foldConv(w: Tensor, b: Tensor | null, ...bn: [Tensor, Tensor, Tensor, Tensor, number]) {
  const m = w.dims[0];
  const { s, sh, mu } = channelFactors(...bn);
  if (s.length !== m) return null;
  const per = w.size / m;
  const wd = w.data as Float32Array;
  const out = new Float32Array(w.size);
  for (let o = 0; o < m; o++) for (let k = 0; k < per; k++) out[o * per + k] = wd[o * per + k] * s[o];
  const bias = b ? b.toNumbers() : new Array(m).fill(0);
  const nb = Float32Array.from(bias, (x, o) => (x - mu[o]) * s[o] + sh[o]);
  return { w: new Tensor('float32', out, w.dims), b: new Tensor('float32', nb, [m]) };
}

function foldGemm(node: Node, w: Tensor, b: Tensor | null, ...bn: [Tensor, Tensor, Tensor, Tensor, number]) {
  if (node.int('transA', 0) !== 0 || w.dims.length !== 2) return null;
  const transB = node.int('transB', 0) !== 0;
  const alpha = node.float('alpha', 1);
  const beta = node.float('beta', 1);
  const [k, n] = transB ? [w.dims[1], w.dims[0]] : w.dims;
  const { s, sh, mu } = channelFactors(...bn);
  if (s.length !== n) return null;
  // A bias that is not a per-column vector (a full [M, N] C) cannot be folded.
  if (b && !(b.size === n && (b.dims.length === 1 || (b.dims.length === 2 && b.dims[0] === 1)))) return null;
  const wd = w.data as Float32Array;
  const out = new Float32Array(w.size);
  for (let kk = 0; kk < k; kk++) {
    for (let j = 0; j < n; j++) {
      const at = transB ? j * k + kk : kk * n + j;
      out[at] = wd[at] * s[j] * alpha;
    }
  }
  node.attrs.set('alpha', { type: 'float', value: 1 });
  const bias = b ? b.toNumbers().map((x) => x * beta) : new Array(n).fill(0);
  const nb = Float32Array.from(bias, (x, j) => (x - mu[j]) * s[j] + sh[j]);
  return { w: new Tensor('float32', out, w.dims), b: new Tensor('float32', nb, [n]) };
}
