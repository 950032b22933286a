// Structured pruning: remove whole filters (Conv output channels, Gemm output neurons) with the
// smallest L1 or L2 norm, and rewrite the layers after them so the result is a smaller DENSE
// graph that runs anywhere — no sparse kernels needed. Layers whose channels flow into something
// that cannot be rewritten consistently (a residual Add, a Concat, a graph output) are skipped and
// reported. Layers are pruned in graph order, each on the already-rewritten graph.
import { EdgeRunError } from '../errors.js';
import type { Graph, Node } from '../graph/ir.js';
import { annotate, inferGraph } from '../graph/infer.js';
import { constantOf, ownWeight, setInputConstant, sliceAxis, traceChannels, type TraceContext } from './channel-trace.js';
import { checkSparsity, topKMask } from './prune-magnitude.js';
import { captureLayerInputs } from './layer-inputs.js';
import { Calibration, checkCalibration, layerBias, layerMatrix, layerStats, refitLayer, setNodeConstant } from './prune-refit.js';
import { Tensor } from '../tensor.js';
import { findLayer, findLayerWeights, selectLayers, type LayerWeight } from './weights.js';
import '../ops/all.js';

export type FilterNorm = 'l1' | 'l2';

export interface FilterPruneOptions {
  /** Fraction of filters to remove from every selected layer, in [0, 1). */
  sparsity?: number;
  /** Per-layer fractions by node (or weight) name; they override `sparsity`. */
  perLayer?: Record<string, number>;
  /** Restrict to these layers (default: every Conv and Gemm layer that can be rewritten). */
  layers?: readonly string[];
  /** Filter importance (default 'l1', as Li et al., "Pruning Filters for Efficient ConvNets"). */
  norm?: FilterNorm;
  /**
   * Unlabeled inputs: after a layer loses filters, re-fit the layers reading its channels (least
   * squares against the dense model's outputs, as He et al.'s channel pruning) so they make up
   * for the missing inputs.
   */
  calibration?: Tensor;
  /** Ridge term of the re-fit, relative to the mean input energy (default 0.01). */
  damping?: number;
}

export interface PrunedFilters {
  name: string;
  weight: string;
  op: string;
  filters: number;
  /** Indices (into the original filters) that remain, ascending. */
  kept: number[];
  target: number;
  /** Layers reading these channels that were re-fitted (with calibration). */
  refit: string[];
}

export interface FilterPruneReport {
  pattern: string;
  layers: PrunedFilters[];
  skipped: { name: string; reason: string }[];
  /** Elements of all layer weights before and after. */
  weightsBefore: number;
  weightsAfter: number;
}

export function pruneFilters(graph: Graph, options: FilterPruneOptions): { graph: Graph; report: FilterPruneReport } {
  const norm = options.norm ?? 'l1';
  if (norm !== 'l1' && norm !== 'l2') throw new EdgeRunError('InvalidArgument', `prune: filter norm '${String(norm)}' must be 'l1' or 'l2'`);
  if (options.sparsity === undefined && !options.perLayer) throw new EdgeRunError('InvalidArgument', 'prune: give a fraction of filters to remove (sparsity) or perLayer fractions');
  if (options.sparsity !== undefined) checkSparsity(options.sparsity, 'prune filters');
  const damping = options.damping ?? 0.01;
  if (typeof damping !== 'number' || !(damping > 0)) throw new EdgeRunError('InvalidArgument', `prune filters: damping ${String(damping)} must be a positive number`);
  const calibration = options.calibration === undefined ? null : new Calibration(graph, checkCalibration(options.calibration, 'prune filters'));
  const g = graph.clone();
  const all = findLayerWeights(g);
  const explicit = new Map<LayerWeight, number>();
  for (const [name, s] of Object.entries(options.perLayer ?? {})) explicit.set(findLayer(all, name, 'prune: perLayer'), checkSparsity(s, `prune filters: perLayer '${name}'`));
  const named = new Set([...explicit.keys(), ...(options.layers ? selectLayers(all, options.layers, 'prune: layers') : [])]);
  const chosen = options.sparsity === undefined ? all.filter((l) => explicit.has(l)) : options.layers ? all.filter((l) => named.has(l)) : all;

  const layers: PrunedFilters[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const weightsBefore = all.reduce((s, l) => s + l.tensor.size, 0);
  for (const layer of chosen) {
    const target = explicit.get(layer) ?? options.sparsity!;
    const node = layer.nodes[0];
    const filters = filterCount(layer);
    const keep = Math.round(filters * (1 - target));
    const reason = producerProblem(layer);
    if (reason) {
      if (named.has(layer)) throw new EdgeRunError('UnsupportedFeature', `prune filters: layer '${layer.name}': ${reason}`, { layer: layer.name });
      skipped.push({ name: layer.name, reason });
      continue;
    }
    if (keep < 1) {
      throw new EdgeRunError('InvalidArgument', `prune filters: layer '${layer.name}' has ${filters} filters; removing ${target} of them would leave none (a zero-width tensor)`, { layer: layer.name });
    }
    if (keep === filters) continue;
    const ctx = traceContext(g);
    const w = node.inputs[1]!.constant!; // current: earlier layers may have sliced its input channels
    const kept = keptFilters(w, layer.outAxis!, keep, norm);
    const trace = traceChannels(ctx, node.outputs[0], kept, filters);
    const bias = node.inputs[2] ? constantOf(node.inputs[2]) : null;
    const biasProblem = node.inputs[2] && (!bias || (bias.size !== filters && bias.size !== 1)) ? 'its bias is not a per-filter constant' : null;
    if (!ownWeight(ctx, node, 1) || !trace.ok || biasProblem) {
      const why = biasProblem ?? (!trace.ok ? trace.reason : 'its weight is shared with another layer');
      if (named.has(layer)) throw new EdgeRunError('UnsupportedFeature', `prune filters: layer '${layer.name}' cannot be pruned: ${why}`, { layer: layer.name });
      skipped.push({ name: layer.name, reason: why });
      continue;
    }
    setInputConstant(ctx, node, 1, sliceAxis(w, layer.outAxis!, kept));
    if (bias && bias.size === filters) setInputConstant(ctx, node, 2, sliceAxis(bias, bias.dims.length - 1, kept));
    for (const edit of trace.edits) edit();
    const refit = calibration ? trace.consumers.filter((c) => refitConsumer(graph, g, c, calibration, damping)).map((c) => c.name) : [];
    layers.push({ name: layer.name, weight: layer.value.name, op: layer.op, filters, kept, target, refit });
  }
  refreshShapes(g);
  const weightsAfter = findLayerWeights(g).reduce((s, l) => s + l.tensor.size, 0);
  return { graph: g, report: { pattern: `filters (${norm})`, layers, skipped, weightsBefore, weightsAfter } };
}

/**
 * Re-fits `node` (in the pruned graph `g`, with fewer input channels) to reproduce what its dense
 * twin in `dense` computes; false when the layer is not a plain Conv / Gemm / MatMul.
 */
function refitConsumer(dense: Graph, g: Graph, node: Node, calibration: Calibration, damping: number): boolean {
  const denseLayers = findLayerWeights(dense);
  const original = denseLayers.find((l) => l.nodes[0].name === node.name);
  const current = findLayerWeights(g).find((l) => l.nodes[0] === node);
  const mD = original && layerMatrix(original);
  const mP = current && layerMatrix(current);
  if (!original || !current || !mD || !mP) return false;
  const denseBias = layerBias(original, mD.outs);
  const prunedBias = layerBias(current, mP.outs);
  const input = captureLayerInputs(g, [node], calibration.x).get(node)!;
  const stats = layerStats(original, calibration.denseInput(original, denseLayers), input, current);
  const fitted = refitLayer({ w: original.tensor.data as Float32Array, bias: denseBias ? (denseBias.constant!.data as Float32Array) : null, m: mD }, null, mP, stats, damping);
  setNodeConstant(g, node, 1, new Tensor('float32', fitted.w, current.tensor.dims));
  if (fitted.bias && prunedBias) setNodeConstant(g, node, 2, new Tensor('float32', fitted.bias, prunedBias.constant!.dims));
  return true;
}

function filterCount(layer: LayerWeight): number {
  return layer.outAxis === null ? 0 : layer.tensor.dims[layer.outAxis];
}

/** Why this layer's filters cannot be removed at all (before looking downstream). */
function producerProblem(layer: LayerWeight): string | null {
  const node = layer.nodes[0];
  if (layer.nodes.length > 1) return 'its weight is shared by several layers';
  if (layer.op === 'Conv' || layer.op === 'FusedConv') {
    if (layer.group === 1) return null;
    return layer.tensor.dims[1] === 1
      ? 'a depthwise convolution: its filters follow its input channels (prune the layer feeding it)'
      : `a grouped convolution (group ${layer.group})`;
  }
  if (layer.op === 'Gemm' || layer.op === 'FusedGemm') return node.int('transA', 0) !== 0 ? 'transA = 1' : null;
  return `${layer.op} layers are not pruned by filters`;
}

/** The `keep` filters with the largest norms along `axis`, ascending. */
function keptFilters(w: { data: unknown; dims: readonly number[] }, axis: number, keep: number, norm: FilterNorm): number[] {
  const data = w.data as Float32Array;
  const dims = w.dims;
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= dims[d];
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  const n = dims[axis];
  const norms = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < n; a++) {
      for (let i = 0; i < inner; i++) {
        const x = data[(o * n + a) * inner + i];
        norms[a] += norm === 'l1' ? Math.abs(x) : x * x;
      }
    }
  }
  const mask = topKMask(norms, keep);
  const kept: number[] = [];
  for (let a = 0; a < n; a++) if (mask[a]) kept.push(a);
  return kept;
}

function traceContext(g: Graph): TraceContext {
  return { graph: g, consumers: g.consumers(), infos: inferGraph(g, { partial: true }), names: new Set(g.values().keys()) };
}

/** Channel counts changed along the rewritten paths: recompute every intermediate shape. */
function refreshShapes(g: Graph): void {
  const fixed = new Set(g.inputs);
  const stale = (n: Node) => n.outputs.filter((v) => !fixed.has(v) && !v.constant);
  for (const n of g.nodes) for (const v of stale(n)) v.shape = null;
  annotate(g, inferGraph(g, { partial: true }));
}
