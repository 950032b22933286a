// Clustering without retraining loses accuracy on a pruned layer (digits LeNet pruned to 80 %
// falls ~3 points with 16 clusters), so the pipeline re-fits what clustering leaves free: the
// centroids and the bias. A clustered layer's outputs are LINEAR in its centroids —
//   y_o = Σ_k x_k · c[idx(k, o)] + b_o = Σ_j c_j · (Σ_{k: idx(k,o) = j} x_k) + b_o
// — so the centroids (shared by every output of a per-tensor codebook) and the biases that best
// reproduce the dense layer on calibration inputs are one small least-squares problem (Deep
// Compression fine-tunes the centroids by gradient descent; this is the closed form of that
// step). As the pruning re-fit, layers go in graph order and each sees the inputs the compressed
// layers before it produce, so it absorbs their error too. A pinned zero (preserveSparsity)
// stays zero; a ridge term keeps centroids near their k-means values when the data say little.
import type { Graph } from '../graph/ir.js';
import { Tensor as T } from '../tensor.js';
import type { ClusteredWeight } from './cluster.js';
import { unpackIndices } from './codebook.js';
import { captureLayerInputs, layerBias, layerMatrix } from './layer-inputs.js';
import { choleskySolve, layerStats, setNodeConstant, type Calibration } from './prune-refit.js';
import { findLayerWeights } from './weights.js';

export interface CentroidRefitResult {
  graph: Graph;
  /** The clustered weights with their re-fitted codebooks. */
  layers: ClusteredWeight[];
  /** Names of the layers re-fitted (others: no GEMM view, or shared weights). */
  refitted: string[];
}

/**
 * Re-fits the centroids and biases of the clustered layers of `graph` (a clustered graph, NOT
 * modified) so each layer reproduces the dense graph of `calibration` on its inputs.
 */
export function refitCentroids(graph: Graph, clustered: readonly ClusteredWeight[], calibration: Calibration, damping = 1e-3): CentroidRefitResult {
  const g = graph.clone();
  const denseLayers = findLayerWeights(calibration.graph);
  const refitted: string[] = [];
  const layers: ClusteredWeight[] = [];
  for (const cw of clustered) {
    const layer = findLayerWeights(g).find((l) => l.value.name === cw.weight);
    const dense = denseLayers.find((l) => l.value.name === cw.weight || l.name === cw.name);
    const m = layer && layerMatrix(layer);
    if (!layer || !dense || !m || !layerMatrix(dense) || layerMatrix(dense)!.cols !== m.cols) {
      layers.push(cw);
      continue;
    }
    const input = captureLayerInputs(g, [layer.nodes[0]], calibration.x).get(layer.nodes[0])!;
    const stats = layerStats(dense, calibration.denseInput(dense, denseLayers), input, layer);
    const denseBias = layerBias(dense, m.outs);
    const target = { w: dense.tensor.data as Float32Array, bias: denseBias ? (denseBias.constant!.data as Float32Array) : null };
    const biasValue = layerBias(layer, m.outs);
    const fit = solve(cw, m, stats, target, biasValue !== null, damping);
    if (!fit) {
      layers.push(cw);
      continue;
    }
    setNodeConstant(g, layer.nodes[0], layer.nodes[0].inputs.indexOf(layer.value), new T('float32', fit.w, layer.tensor.dims));
    if (biasValue && fit.bias) setNodeConstant(g, layer.nodes[0], 2, new T('float32', fit.bias, biasValue.constant!.dims));
    layers.push({ ...cw, codebook: fit.codebook });
    refitted.push(cw.name);
  }
  return { graph: g, layers, refitted };
}

interface Stats {
  cols: number;
  denseCols: number;
  h: Float64Array;
  c: Float64Array;
}

function solve(
  cw: ClusteredWeight,
  m: { outs: number; cols: number; index(o: number, c: number): number },
  stats: Stats,
  dense: { w: Float32Array; bias: Float32Array | null },
  hasBias: boolean,
  damping: number,
): { w: Float32Array; bias: Float32Array | null; codebook: Float32Array } | null {
  const size = m.outs * m.cols;
  const idx = unpackIndices(cw.indices, cw.bits, size);
  const J = cw.clusters;
  const groups = cw.axis === null ? 1 : m.outs;
  // Variables: the free centroids (group g, entry j) then one bias per output.
  const varOf = new Int32Array(groups * J).fill(-1);
  let nv = 0;
  for (let gi = 0; gi < groups; gi++) {
    for (let j = 0; j < J; j++) {
      if (cw.preserveSparsity && j === 0) continue;
      varOf[gi * J + j] = nv++;
    }
  }
  const nc = nv;
  const biasVar = (o: number) => nc + o;
  if (hasBias) nv += m.outs;
  const K = stats.cols;
  const n = K + 1;
  const nd = stats.denseCols + 1;
  const a = new Float64Array(nv * nv);
  const b = new Float64Array(nv);
  const full = new Float64Array(nd);
  const cw_ = new Float64Array(n);
  const vars = new Int32Array(K);
  for (let o = 0; o < m.outs; o++) {
    const gi = groups === 1 ? 0 : o;
    for (let c = 0; c < stats.denseCols; c++) full[c] = dense.w[m.index(o, c)];
    full[nd - 1] = dense.bias ? dense.bias[o] : 0;
    // (C w̃_o): what the dense layer produced, seen through the compressed layer's inputs.
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < nd; j++) s += stats.c[i * nd + j] * full[j];
      cw_[i] = s;
    }
    for (let k = 0; k < K; k++) vars[k] = varOf[gi * J + idx[m.index(o, k)]];
    for (let k = 0; k < K; k++) {
      const vk = vars[k];
      if (vk < 0) continue;
      b[vk] += cw_[k];
      for (let k2 = 0; k2 < K; k2++) {
        const v2 = vars[k2];
        if (v2 >= 0) a[vk * nv + v2] += stats.h[k * n + k2];
      }
      if (hasBias) {
        a[vk * nv + biasVar(o)] += stats.h[k * n + K];
        a[biasVar(o) * nv + vk] += stats.h[K * n + k];
      }
    }
    if (hasBias) {
      a[biasVar(o) * nv + biasVar(o)] += stats.h[K * n + K];
      b[biasVar(o)] += cw_[K];
    }
  }
  // Ridge toward the k-means centroids (and 0 for nothing else): λ scaled by the mean diagonal.
  let diag = 0;
  for (let i = 0; i < nv; i++) diag += a[i * nv + i];
  const lambda = (damping * diag) / Math.max(1, nv);
  for (let gi = 0; gi < groups; gi++) {
    for (let j = 0; j < J; j++) {
      const v = varOf[gi * J + j];
      if (v < 0) continue;
      a[v * nv + v] += lambda;
      b[v] += lambda * cw.codebook[gi * J + j];
    }
  }
  for (let o = 0; hasBias && o < m.outs; o++) a[biasVar(o) * nv + biasVar(o)] += lambda;
  const x = choleskySolve(a, b, nv);
  if (!x) return null;
  const codebook = Float32Array.from(cw.codebook);
  for (let i = 0; i < groups * J; i++) if (varOf[i] >= 0) codebook[i] = x[varOf[i]];
  const w = new Float32Array(size);
  for (let o = 0; o < m.outs; o++) {
    const gi = groups === 1 ? 0 : o;
    for (let k = 0; k < K; k++) w[m.index(o, k)] = codebook[gi * J + idx[m.index(o, k)]];
  }
  const bias = hasBias ? Float32Array.from({ length: m.outs }, (_, o) => x[biasVar(o)]) : null;
  return { w, bias, codebook };
}
