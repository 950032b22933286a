// Weight clustering (weight sharing, Deep Compression ch. 3; tfmot.clustering): every layer
// weight keeps at most `clusters` distinct values — per tensor, or per output channel — found by
// 1-D k-means. The result is a NEW graph whose weights are the reconstructed dense tensors (so it
// runs on any backend) plus, per weight, the codebook and packed indices a codebook kernel or a
// file format stores instead:
//   const { graph: clustered, report } = cluster(graph, { clusters: 16 });
//   report.layers[0].codebook, .indices (packed), .bits
import { attachReport } from './report.js';
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import { CENTROID_INITS, countUnique, kmeans1d, nearestCentroid, type CentroidInit } from './kmeans.js';
import { packIndices } from './codebook.js';
import { axisView, findLayerWeights, selectLayers, type LayerWeight } from './weights.js';

export interface ClusterOptions {
  /** Distinct values per tensor (or per channel), 2 … 256. */
  clusters: number;
  /** Initial centroids (default 'kmeans++', as tfmot). */
  init?: CentroidInit;
  /** One codebook per output channel (default false). */
  perChannel?: boolean;
  /** Keep exact zeros (pruned weights) out of k-means, pinned at 0: codebook[0] is 0 (default false). */
  preserveSparsity?: boolean;
  /** Seed of kmeans++ / random init (default 9, as tfmot). */
  seed?: number;
  /** Layers to cluster by node or initializer name (default: every layer weight). */
  layers?: readonly string[];
  maxIterations?: number;
}

/**
 * A clustered weight, in the form a codebook kernel or file format takes:
 *   value(i) = codebook[channel(i) · clusters + index(i)]   (channel(i) = 0 per tensor)
 * where channel(i) is i's position along `axis`, and index(i) is read from `indices`: `bits`
 * (2, 4 or 8) per element, element i in byte ⌊i·bits/8⌋ starting at bit (i·bits) mod 8 —
 * little-endian within a byte (for 4 bits: element 2j in the low nibble of byte j).
 * Indices follow the tensor's storage order.
 */
export interface ClusteredWeight {
  name: string;
  weight: string;
  op: string;
  shape: number[];
  clusters: number;
  bits: 2 | 4 | 8;
  perChannel: boolean;
  /** The output-channel axis of a per-channel codebook; null per tensor. */
  axis: number | null;
  /** [channels × clusters] (channels = 1 per tensor); per channel ascending, except with preserveSparsity where entry 0 is the zero. */
  codebook: Float32Array;
  indices: Uint8Array;
  preserveSparsity: boolean;
  /** Mean squared difference from the original weight. */
  mse: number;
  /** Most Lloyd iterations any (channel's) k-means took. */
  iterations: number;
}

export interface ClusterReport {
  layers: ClusteredWeight[];
  skipped: { name: string; reason: string }[];
  /** Bytes of the clustered weights as float32, and as codebooks + packed indices. */
  denseBytes: number;
  codebookBytes: number;
}

export function bitsFor(clusters: number): 2 | 4 | 8 {
  return clusters <= 4 ? 2 : clusters <= 16 ? 4 : 8;
}

export function clusterWithReport(graph: Graph, options: ClusterOptions): { graph: Graph; report: ClusterReport } {
  if (typeof options !== 'object' || options === null) throw new EdgeRunError('InvalidArgument', 'cluster: options must be an object');
  const { clusters } = options;
  if (!Number.isInteger(clusters) || clusters < 2 || clusters > 256) throw new EdgeRunError('InvalidArgument', `cluster: clusters ${String(clusters)} must be an integer in [2, 256]`);
  const init = options.init ?? 'kmeans++';
  if (!CENTROID_INITS.includes(init)) throw new EdgeRunError('InvalidArgument', `cluster: unknown init '${String(init)}' (one of ${CENTROID_INITS.join(', ')})`);
  const perChannel = options.perChannel ?? false;
  const preserveSparsity = options.preserveSparsity ?? false;
  const seed = options.seed ?? 9;
  if (!Number.isInteger(seed)) throw new EdgeRunError('InvalidArgument', `cluster: seed ${String(seed)} must be an integer`);
  const all = findLayerWeights(graph);
  const chosen = selectLayers(all, options.layers, 'cluster: layers');
  const named = new Set(options.layers ? chosen : []);
  const g = graph.clone();
  const cloned = findLayerWeights(g);
  const layers: ClusteredWeight[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const layer of chosen) {
    if (perChannel && layer.outAxis === null) {
      const reason = `a per-channel codebook needs output channels; ${layer.op} weight [${layer.tensor.dims}] has none`;
      if (named.has(layer)) throw new EdgeRunError('InvalidArgument', `cluster: layer '${layer.name}': ${reason}`, { layer: layer.name });
      skipped.push({ name: layer.name, reason });
      continue;
    }
    const result = clusterWeight(layer, { clusters, init, perChannel, preserveSparsity, seed, maxIterations: options.maxIterations });
    cloned.find((c) => c.value.name === layer.value.name)!.value.constant = new Tensor('float32', result.dense, layer.tensor.dims);
    layers.push(result.info);
  }
  const denseBytes = layers.reduce((s, l) => s + 4 * l.shape.reduce((a, d) => a * d, 1), 0);
  const codebookBytes = layers.reduce((s, l) => s + 4 * l.codebook.length + l.indices.length, 0);
  return { graph: g, report: { layers, skipped, denseBytes, codebookBytes } };
}

interface WeightClusterOptions {
  clusters: number;
  init: CentroidInit;
  perChannel: boolean;
  preserveSparsity: boolean;
  seed: number;
  maxIterations?: number;
}

function clusterWeight(layer: LayerWeight, o: WeightClusterOptions): { dense: Float32Array; info: ClusteredWeight } {
  const w = layer.tensor.data as Float32Array;
  const view = o.perChannel ? axisView(layer.tensor.dims, layer.outAxis!) : { outer: 1, n: 1, inner: w.length };
  const channels = view.n;
  const codebook = new Float32Array(channels * o.clusters);
  const index = new Uint8Array(w.length);
  const dense = new Float32Array(w.length);
  let iterations = 0;
  for (let ch = 0; ch < channels; ch++) {
    const at = channelPositions(view, ch);
    const values = Float32Array.from(at, (i) => w[i]);
    const free = o.preserveSparsity ? values.filter((v) => v !== 0) : values;
    const k = o.preserveSparsity ? o.clusters - 1 : o.clusters;
    const unique = countUnique(free);
    const where = `cluster: layer '${layer.name}'${o.perChannel ? ` channel ${ch}` : ''}`;
    if (unique < k) {
      throw new EdgeRunError('InvalidArgument', `${where} has ${unique} distinct${o.preserveSparsity ? ' nonzero' : ''} weights, fewer than the ${k} clusters asked for${o.preserveSparsity ? ' (besides the zero)' : ''}`, { layer: layer.name });
    }
    const km = kmeans1d(free, k, { init: o.init, seed: o.seed + ch, maxIterations: o.maxIterations });
    iterations = Math.max(iterations, km.iterations);
    const offset = o.preserveSparsity ? 1 : 0; // with preserveSparsity entry 0 is the pinned zero
    const book = codebook.subarray(ch * o.clusters, (ch + 1) * o.clusters);
    km.centroids.forEach((c, j) => (book[j + offset] = c));
    for (const i of at) {
      const idx = o.preserveSparsity && w[i] === 0 ? 0 : nearestCentroid(km.centroids, w[i]) + offset;
      index[i] = idx;
      dense[i] = book[idx];
    }
  }
  let se = 0;
  for (let i = 0; i < w.length; i++) se += (dense[i] - w[i]) ** 2;
  const bits = bitsFor(o.clusters);
  return {
    dense,
    info: {
      name: layer.name,
      weight: layer.value.name,
      op: layer.op,
      shape: [...layer.tensor.dims],
      clusters: o.clusters,
      bits,
      perChannel: o.perChannel,
      axis: o.perChannel ? layer.outAxis : null,
      codebook,
      indices: packIndices(index, bits),
      preserveSparsity: o.preserveSparsity,
      mse: se / Math.max(1, w.length),
      iterations,
    },
  };
}

/** Flat positions of channel `ch` in an axis view (all positions for a 1-channel view). */
function channelPositions(view: { outer: number; n: number; inner: number }, ch: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < view.outer; o++) for (let i = 0; i < view.inner; i++) out.push((o * view.n + ch) * view.inner + i);
  return out;
}

/** Clusters and returns the new Graph; compressionReport(graph) gives codebooks and indices. */
export function cluster(graph: Graph, options: ClusterOptions): Graph {
  const r = clusterWithReport(graph, options);
  return attachReport(r.graph, r.report);
}
