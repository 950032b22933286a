// One-shot pruning without fine-tuning loses a lot (digits LeNet falls from 99 % to 62 % at 50 %
// magnitude sparsity), because the zeroed weights' contributions simply vanish. Two post-training
// fixes, both needing only unlabeled calibration inputs:
//  - activation-aware scores (Wanda, Sun et al. 2023): |w_ij|·‖x_j‖ instead of |w_ij|, so a large
//    weight on an input that is always ~0 (a digit's border pixel) goes first;
//  - least-squares re-fit of the surviving weights and the bias, layer by layer in graph order
//    (the layer-wise reconstruction of OBS / SparseGPT): for every output o with kept inputs S,
//      w_S = argmin ‖X̃p w_S − X̃d w̃_o‖² + λ‖w_S‖²  (X̃ = [X, 1], the ones column carries the bias)
//    where Xd is what the layer saw in the dense model and Xp what it sees in the model pruned so
//    far — so each layer also absorbs the error of the layers before it.
import { EdgeRunError } from '../errors.js';
import type { Graph, Node } from '../graph/ir.js';
import { Value } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import { captureLayerInputs, gemmRows, layerBias, layerMatrix, type LayerMatrix } from './layer-inputs.js';
import type { LayerWeight } from './weights.js';

/**
 * Second moments of a layer's GEMM inputs: H = X̃pᵀX̃p ((Kp+1)²) and C = X̃pᵀX̃d ((Kp+1) × (Kd+1));
 * the last index of each side is the ones column. Kp < Kd after filter pruning removed inputs.
 */
export interface LayerStats {
  cols: number;
  denseCols: number;
  h: Float64Array;
  c: Float64Array;
  /** ‖x_j‖ of each dense input column (for activation-aware scores). */
  norms: Float64Array;
}

/** Stats of one layer from its dense input (and, when it differs, its input in the pruned graph through `prunedLayer`'s weight shape). */
export function layerStats(layer: LayerWeight, dense: Tensor, pruned: Tensor | null, prunedLayer: LayerWeight = layer): LayerStats {
  const d = gemmRows(layer, dense);
  const p = pruned ? gemmRows(prunedLayer, pruned) : d;
  const kd = d.data.length / Math.max(1, d.rows);
  const kp = p.data.length / Math.max(1, p.rows);
  const [np, nd] = [kp + 1, kd + 1];
  const h = new Float64Array(np * np);
  const c = p === d ? h : new Float64Array(np * nd);
  const rowP = new Float64Array(np);
  const rowD = new Float64Array(nd);
  for (let r = 0; r < d.rows; r++) {
    for (let j = 0; j < kp; j++) rowP[j] = p.data[r * kp + j];
    for (let j = 0; j < kd; j++) rowD[j] = d.data[r * kd + j];
    rowP[kp] = rowD[kd] = 1;
    for (let i = 0; i < np; i++) {
      const a = rowP[i];
      if (a === 0) continue;
      for (let j = i; j < np; j++) h[i * np + j] += a * rowP[j];
      if (p === d) continue;
      for (let j = 0; j < nd; j++) c[i * nd + j] += a * rowD[j];
    }
  }
  for (let i = 0; i < np; i++) for (let j = 0; j < i; j++) h[i * np + j] = h[j * np + i];
  const norms = new Float64Array(kd);
  for (let j = 0; j < kd; j++) norms[j] = Math.sqrt(p === d ? h[j * np + j] : columnSquares(d.data, d.rows, kd, j));
  return { cols: kp, denseCols: kd, h, c, norms };
}

function columnSquares(x: Float32Array, rows: number, k: number, j: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++) s += x[r * k + j] * x[r * k + j];
  return s;
}

/** |w|·‖x_col‖ per weight element, in storage order. */
export function activationScores(w: Float32Array, m: LayerMatrix, norms: Float64Array): Float32Array {
  const s = new Float32Array(w.length);
  for (let o = 0; o < m.outs; o++) {
    for (let c = 0; c < m.cols; c++) {
      const i = m.index(o, c);
      s[i] = Math.abs(w[i]) * norms[c];
    }
  }
  return s;
}

/** A layer's dense weights (as a GEMM matrix) and bias: what the re-fit reproduces. */
export interface DenseLayer {
  w: Float32Array;
  bias: Float32Array | null;
  m: LayerMatrix;
}

/**
 * Re-fits one layer, shaped like `m` (the dense layer's shape with fewer inputs after filter
 * pruning, or the same), so that it reproduces `dense` on the calibration inputs. Only weights
 * with keep = 1 (all when keep is null) and the bias are solved for; the rest stay exactly zero.
 */
export function refitLayer(dense: DenseLayer, keep: Uint8Array | null, m: LayerMatrix, stats: LayerStats, damping: number): { w: Float32Array; bias: Float32Array | null } {
  const k = stats.cols;
  const n = k + 1;
  const kd = stats.denseCols;
  const nd = kd + 1;
  let diag = 0;
  for (let j = 0; j < k; j++) diag += stats.h[j * n + j];
  const lambda = (damping * diag) / Math.max(1, k);
  const outW = new Float32Array(m.outs * m.cols);
  const outB = dense.bias ? new Float32Array(dense.bias.length) : null;
  const full = new Float64Array(nd);
  for (let o = 0; o < m.outs; o++) {
    for (let c = 0; c < kd; c++) full[c] = dense.w[dense.m.index(o, c)];
    full[kd] = dense.bias ? dense.bias[o] : 0;
    const s: number[] = [];
    for (let c = 0; c < k; c++) if (!keep || keep[m.index(o, c)]) s.push(c);
    if (dense.bias) s.push(k);
    // b = (C w̃)_S: what the dense layer produced, seen through the pruned inputs.
    const size = s.length;
    const a = new Float64Array(size * size);
    const b = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let acc = 0;
      for (let j = 0; j < nd; j++) acc += stats.c[s[i] * nd + j] * full[j];
      b[i] = acc;
      for (let j = 0; j < size; j++) a[i * size + j] = stats.h[s[i] * n + s[j]];
      a[i * size + i] += lambda;
    }
    const x = lambda > 0 ? choleskySolve(a, b, size) : null;
    // Without a solution (no input energy at all) keep the weights as they were, if shapes allow.
    for (let i = 0; i < size; i++) {
      const value = x ? x[i] : s[i] === k ? full[kd] : k === kd ? full[s[i]] : 0;
      if (s[i] === k) outB![o] = value;
      else outW[m.index(o, s[i])] = value;
    }
  }
  return { w: outW, bias: outB };
}

/** Solves A x = b for symmetric positive definite A (n × n, row-major); null if A is not. */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= l[i * n + p] * y[p];
    y[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let p = i + 1; p < n; p++) s -= l[p * n + i] * y[p];
    y[i] = s / l[i * n + i];
  }
  return y;
}

/** Dense-model inputs of every layer, captured once and shared by all pruning trials on one graph. */
export class Calibration {
  private dense: Map<Node, Tensor> | null = null;
  private readonly statsCache = new Map<string, LayerStats>();

  constructor(
    readonly graph: Graph,
    readonly x: Tensor,
  ) {}

  denseInput(layer: LayerWeight, all: readonly LayerWeight[]): Tensor {
    if (!this.dense) {
      const nodes = all.filter((l) => layerMatrix(l)).map((l) => l.nodes[0]);
      this.dense = captureLayerInputs(this.graph, nodes, this.x);
    }
    const t = [...this.dense].find(([n]) => n.name === layer.nodes[0].name)?.[1];
    if (!t) throw new Error(`Calibration: no captured input for '${layer.name}'`);
    return t;
  }

  /** Stats of a layer when every layer before it is still dense (cached: sensitivity analysis asks often). */
  denseStats(layer: LayerWeight, all: readonly LayerWeight[]): LayerStats {
    let s = this.statsCache.get(layer.name);
    if (!s) this.statsCache.set(layer.name, (s = layerStats(layer, this.denseInput(layer, all), null)));
    return s;
  }
}

export function checkCalibration(x: unknown, what: string): Tensor {
  if (!(x instanceof Tensor) || x.type !== 'float32' || x.dims.length < 1 || x.dims[0] < 1) {
    throw new EdgeRunError('InvalidArgument', `${what}: calibration must be a float32 Tensor batched on axis 0 (or a Calibration)`);
  }
  return x;
}

/** Replaces input `index` of `node` with a constant, never touching a Value other nodes read. */
export function setNodeConstant(graph: Graph, node: Node, index: number, t: Tensor): void {
  const old = node.inputs[index]!;
  const readers = graph.nodes.filter((n) => n.inputs.includes(old));
  if (readers.length === 1 && !graph.outputs.includes(old)) {
    old.constant = t;
    return;
  }
  const names = new Set(graph.values().keys());
  let name = `${old.name}_refit`;
  for (let i = 1; names.has(name); i++) name = `${old.name}_refit${i}`;
  const v = new Value(name, t.type, [...t.dims]);
  v.constant = t;
  node.inputs[index] = v;
}

export { layerBias, layerMatrix };
