// One-shot post-training pruning of a graph's layer weights:
//   const { graph: sparse, report } = prune(graph, { sparsity: 0.8 });
//   prune(graph, { perLayer: { '/f1/Gemm': 0.9, '/f2/Gemm': 0.7 } });
//   prune(graph, { sparsity: 0.8, scope: 'global' });                       // one threshold for all
//   prune(graph, { sparsity: 0.75, pattern: { kind: 'block', block: [1, 4], pooling: 'max' } });
//   prune(graph, { pattern: { kind: 'nm', n: 2, m: 4 } });                   // 2:4 on input channels
//   prune(graph, { sparsity: 0.5, pattern: { kind: 'filters', norm: 'l1' } }); // smaller dense graph
// Returns a NEW graph (the input is untouched: its constant tensors are shared by clones, so the
// pruned weights are new tensors) whose pruned weights are exact zeros, and a report holding the
// mask of every pruned weight so later steps (clustering with preserveSparsity, quantization)
// keep the zeros.
import { attachReport } from './report.js';
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import { applyMask, blockMask, checkSparsity, countZeros, globalMagnitudeMasks, magnitudeMask, nmMask, nmMaskFlatK, type BlockPooling } from './prune-magnitude.js';
import { pruneFilters, type FilterNorm, type FilterPruneReport } from './prune-structured.js';
import { findLayer, findLayerWeights, selectLayers, type LayerWeight } from './weights.js';
import { captureLayerInputs } from './layer-inputs.js';
import { activationScores, Calibration, checkCalibration, layerBias, layerMatrix, layerStats, refitLayer, setNodeConstant } from './prune-refit.js';

export { Calibration };

/** Patterns that zero weights in place (the graph keeps its shapes). */
export type MaskPattern =
  | { kind: 'unstructured' }
  /** block: [k, n] — k consecutive inputs × n consecutive output channels; [1, 4] is the kernels' BSR 1×4. */
  | { kind: 'block'; block: [number, number]; pooling?: BlockPooling }
  /** n of every m consecutive weights survive, along the input channels (default, tfmot) or the flattened input index k (what the 2:4 kernel reads for k×k convs). */
  | { kind: 'nm'; n: number; m: number; along?: 'channels' | 'k' };
/** Removes whole filters and shrinks the graph (see prune-structured.ts). */
export type FilterPattern = { kind: 'filters'; norm?: FilterNorm };
export type PrunePattern = MaskPattern | FilterPattern;

export interface PruneOptions {
  /** Target sparsity (fraction of zeros, in [0, 1)) of every selected layer, or of all of them together with scope 'global'. */
  sparsity?: number;
  /** Per-layer targets by node (or initializer) name; they override `sparsity`. */
  perLayer?: Record<string, number>;
  /** 'layer' (default): each layer reaches its target; 'global': one magnitude threshold across the layers. */
  scope?: 'layer' | 'global';
  /** Default: unstructured. */
  pattern?: PrunePattern;
  /** Restrict pruning to these layers (default: every layer weight). */
  layers?: readonly string[];
  /**
   * Unlabeled inputs (a batch for the graph's first input), or a Calibration built on this graph
   * and reused across calls. Enables activation-aware scores and the least-squares re-fit.
   */
  calibration?: Tensor | Calibration;
  /** What ranks weights: |w| ('magnitude', tfmot's rule) or |w|·‖x‖ ('activation'; default with calibration). */
  criterion?: 'magnitude' | 'activation';
  /** Re-fit the surviving weights and biases to the dense layer outputs (default: true with calibration). */
  refit?: boolean;
  /** Ridge term of the re-fit, relative to the mean input energy (default 0.01). */
  damping?: number;
}

export interface PrunedLayer {
  name: string;
  /** The initializer's name. */
  weight: string;
  op: string;
  shape: number[];
  size: number;
  /** Zeros in the pruned weight. */
  zeros: number;
  sparsity: number;
  target: number;
  /** 1 = kept, 0 = pruned, in the weight's storage order. */
  mask: Uint8Array;
  /** Whether the kept weights (and bias) were re-fitted on calibration data. */
  refit: boolean;
}

export interface PruneReport {
  pattern: string;
  scope: 'layer' | 'global';
  layers: PrunedLayer[];
  /** Layers a default (unnamed) selection could not prune with this pattern, and why. */
  skipped: { name: string; reason: string }[];
  /** Elements of every layer weight in the graph (pruned or not). */
  prunable: number;
  /** Zeros among them after pruning. */
  zeros: number;
  /** zeros / prunable. */
  sparsity: number;
}

export interface PruneResult {
  graph: Graph;
  report: PruneReport;
}

export function pruneWithReport(graph: Graph, options: PruneOptions & { pattern: FilterPattern }): { graph: Graph; report: FilterPruneReport };
export function pruneWithReport(graph: Graph, options: PruneOptions & { pattern?: MaskPattern }): PruneResult;
export function pruneWithReport(graph: Graph, options: PruneOptions): PruneResult | { graph: Graph; report: FilterPruneReport };
export function pruneWithReport(graph: Graph, options: PruneOptions): PruneResult | { graph: Graph; report: FilterPruneReport } {
  if (typeof options !== 'object' || options === null) throw new EdgeRunError('InvalidArgument', 'prune: options must be an object');
  const pattern: PrunePattern = options.pattern ?? { kind: 'unstructured' };
  if (pattern.kind === 'filters') {
    const calibration = options.calibration instanceof Calibration ? options.calibration.x : options.calibration;
    return pruneFilters(graph, { sparsity: options.sparsity, perLayer: options.perLayer, layers: options.layers, norm: pattern.norm, calibration, damping: options.damping });
  }
  const scope = options.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new EdgeRunError('InvalidArgument', `prune: scope '${String(scope)}' must be 'layer' or 'global'`);
  const all = findLayerWeights(graph);
  const targets = pickTargets(all, options, pattern, scope);
  const calib = options.calibration === undefined ? null : options.calibration instanceof Calibration ? options.calibration : new Calibration(graph, checkCalibration(options.calibration, 'prune'));
  const criterion = options.criterion ?? (calib ? 'activation' : 'magnitude');
  const refit = options.refit ?? calib !== null;
  const damping = options.damping ?? 0.01;
  if (criterion !== 'magnitude' && criterion !== 'activation') throw new EdgeRunError('InvalidArgument', `prune: criterion '${String(criterion)}' must be 'magnitude' or 'activation'`);
  if ((criterion === 'activation' || refit) && !calib) throw new EdgeRunError('InvalidArgument', `prune: ${refit ? 'refit' : "criterion 'activation'"} needs calibration inputs`);
  if (typeof damping !== 'number' || !(damping > 0)) throw new EdgeRunError('InvalidArgument', `prune: damping ${String(damping)} must be a positive number`);
  const g = graph.clone();
  // The clone's Values are new objects sharing the tensors: re-find the weights in the clone.
  const cloned = findLayerWeights(g);
  const twin = (layer: LayerWeight) => cloned.find((c) => c.value.name === layer.value.name)!;
  const scores = targets.layers.map(({ layer }) => {
    const w = layer.tensor.data as Float32Array;
    const m = criterion === 'activation' ? layerMatrix(layer) : null;
    return m ? activationScores(w, m, calib!.denseStats(layer, all).norms) : w;
  });
  const masks = computeMasks(targets.layers, scores, pattern, scope, options.sparsity);
  const refitted = new Set<LayerWeight>();
  targets.layers.forEach(({ layer }, i) => {
    twin(layer).value.constant = new Tensor('float32', applyMask(layer.tensor.data as Float32Array, masks[i]), layer.tensor.dims);
  });
  if (refit) {
    targets.layers.forEach(({ layer }, i) => {
      const m = layerMatrix(layer);
      if (m) {
        const into = twin(layer);
        const denseInput = calib!.denseInput(layer, all);
        // The first pruned layer sees the dense model's inputs; every later one what the layers pruned (and re-fitted) before it produce.
        const stats = i === 0 ? calib!.denseStats(layer, all) : layerStats(layer, denseInput, captureLayerInputs(g, [into.nodes[0]], calib!.x).get(into.nodes[0])!);
        const biasValue = layerBias(into, m.outs);
        const dense = { w: layer.tensor.data as Float32Array, bias: biasValue ? (biasValue.constant!.data as Float32Array) : null, m };
        const fitted = refitLayer(dense, masks[i], m, stats, damping);
        into.value.constant = new Tensor('float32', fitted.w, layer.tensor.dims);
        if (biasValue) setNodeConstant(g, into.nodes[0], 2, new Tensor('float32', fitted.bias!, biasValue.constant!.dims));
        refitted.add(layer);
      }
    });
  }
  const skipped: { name: string; reason: string }[] = [...targets.skipped];
  const layers: PrunedLayer[] = targets.layers.map(({ layer, target }, i) => {
    const w = twin(layer).value.constant!.data as Float32Array;
    const zeros = countZeros(w);
    return { name: layer.name, weight: layer.value.name, op: layer.op, shape: [...layer.tensor.dims], size: w.length, zeros, sparsity: zeros / w.length, target, mask: masks[i], refit: refitted.has(layer) };
  });
  const prunedSet = new Set(layers.map((l) => l.weight));
  let prunable = 0;
  let zeros = 0;
  for (const w of cloned) {
    prunable += w.tensor.size;
    zeros += prunedSet.has(w.value.name) ? layers.find((l) => l.weight === w.value.name)!.zeros : countZeros(w.tensor.data as Float32Array);
  }
  return { graph: g, report: { pattern: describePattern(pattern), scope, layers, skipped, prunable, zeros, sparsity: prunable ? zeros / prunable : 0 } };
}

interface Target {
  layer: LayerWeight;
  target: number;
}

function pickTargets(all: LayerWeight[], options: PruneOptions, pattern: MaskPattern, scope: 'layer' | 'global'): { layers: Target[]; skipped: { name: string; reason: string }[] } {
  if (!['unstructured', 'block', 'nm'].includes(pattern?.kind)) {
    throw new EdgeRunError('InvalidArgument', `prune: unknown pattern ${JSON.stringify(pattern)} (kinds: unstructured, block, nm, filters)`);
  }
  const perLayer = options.perLayer ?? {};
  if (typeof perLayer !== 'object' || perLayer === null) throw new EdgeRunError('InvalidArgument', 'prune: perLayer must be an object { layerName: sparsity }');
  if (options.sparsity !== undefined) checkSparsity(options.sparsity, 'prune');
  const named = new Set<LayerWeight>();
  const explicit = new Map<LayerWeight, number>();
  for (const [name, s] of Object.entries(perLayer)) {
    const layer = findLayer(all, name, 'prune: perLayer');
    explicit.set(layer, checkSparsity(s, `prune: perLayer '${name}'`));
    named.add(layer);
  }
  for (const l of options.layers ? selectLayers(all, options.layers, 'prune: layers') : []) named.add(l);
  if (pattern.kind === 'nm') {
    checkNM(pattern);
    if (options.sparsity !== undefined || options.perLayer) throw new EdgeRunError('InvalidArgument', `prune: an N:M pattern fixes the sparsity (1 − n/m); leave out sparsity and perLayer`);
  } else if (options.sparsity === undefined && !options.perLayer) {
    throw new EdgeRunError('InvalidArgument', 'prune: give a target sparsity or perLayer sparsities');
  }
  if (scope === 'global') {
    if (pattern.kind !== 'unstructured') throw new EdgeRunError('InvalidArgument', `prune: scope 'global' works with unstructured pruning only, not ${pattern.kind}`);
    if (options.perLayer) throw new EdgeRunError('InvalidArgument', "prune: scope 'global' takes one sparsity, not perLayer targets");
  }
  if (pattern.kind === 'block') checkBlock(pattern);
  // Layers named in perLayer are always pruned; `layers` narrows what `sparsity` applies to.
  const base = options.layers ? selectLayers(all, options.layers, 'prune: layers') : all;
  const needsTarget = pattern.kind !== 'nm' && options.sparsity === undefined;
  const candidates = all.filter((l) => explicit.has(l) || (base.includes(l) && !needsTarget));
  const layers: Target[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const layer of all) {
    if (!candidates.includes(layer)) continue;
    const reason = unsupportedReason(layer, pattern);
    if (reason) {
      if (named.has(layer)) throw new EdgeRunError('UnsupportedFeature', `prune: layer '${layer.name}' (${layer.op}, weight [${layer.tensor.dims}]): ${reason}`, { layer: layer.name });
      skipped.push({ name: layer.name, reason });
      continue;
    }
    const target = pattern.kind === 'nm' ? 1 - pattern.n / pattern.m : explicit.get(layer) ?? options.sparsity!;
    layers.push({ layer, target });
  }
  return { layers, skipped };
}

function checkNM(p: { n: number; m: number; along?: string }): void {
  if (p.along !== undefined && p.along !== 'channels' && p.along !== 'k') throw new EdgeRunError('InvalidArgument', `prune: N:M 'along' must be 'channels' or 'k', got '${String(p.along)}'`);
  if (!Number.isInteger(p.m) || !Number.isInteger(p.n) || p.m < 2 || p.n < 1 || p.n >= p.m) {
    throw new EdgeRunError('InvalidArgument', `prune: N:M pattern needs integers 1 ≤ n < m, got n = ${p.n}, m = ${p.m}`);
  }
}

function checkBlock(p: { block: [number, number]; pooling?: BlockPooling }): void {
  const b = p.block;
  if (!Array.isArray(b) || b.length !== 2 || !b.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new EdgeRunError('InvalidArgument', `prune: block must be [rows, cols] of positive integers, got ${JSON.stringify(b)}`);
  }
  if (p.pooling !== undefined && p.pooling !== 'avg' && p.pooling !== 'max') {
    throw new EdgeRunError('InvalidArgument', `prune: block pooling '${String(p.pooling)}' must be 'avg' or 'max'`);
  }
}

function unsupportedReason(layer: LayerWeight, pattern: MaskPattern): string | null {
  if (pattern.kind === 'block' && layer.outAxis === null) return 'block sparsity needs a weight with output channels';
  if (pattern.kind === 'nm' && pattern.along === 'k') {
    if (layer.outAxis === null) return 'N:M sparsity along k needs a weight with output channels';
    const k = layer.tensor.size / layer.tensor.dims[layer.outAxis];
    if (k % pattern.m !== 0) return `N:M sparsity needs the flattened input size (${k}) to be a multiple of m = ${pattern.m}`;
  } else if (pattern.kind === 'nm') {
    if (layer.inAxis === null) return 'N:M sparsity needs a weight with input channels';
    const c = layer.tensor.dims[layer.inAxis];
    if (c % pattern.m !== 0) return `N:M sparsity needs the input channels (${c}) to be a multiple of m = ${pattern.m}`;
  }
  return null;
}

/** Masks from scores (|w| itself, or activation-aware scores): every mask rule ranks by |score|. */
function computeMasks(targets: Target[], scores: Float32Array[], pattern: MaskPattern, scope: 'layer' | 'global', sparsity: number | undefined): Uint8Array[] {
  if (scope === 'global') return targets.length ? globalMagnitudeMasks(scores, sparsity!) : [];
  return targets.map(({ layer, target }, i) => {
    switch (pattern.kind) {
      case 'unstructured':
        return magnitudeMask(scores[i], target);
      case 'block':
        return blockMask(scores[i], layer.tensor.dims, layer.outAxis!, pattern.block, pattern.pooling ?? 'avg', target);
      case 'nm':
        return pattern.along === 'k'
          ? nmMaskFlatK(scores[i], layer.tensor.dims, layer.outAxis!, pattern.n, pattern.m)
          : nmMask(scores[i], layer.tensor.dims, layer.inAxis!, pattern.n, pattern.m);
      default:
        throw new EdgeRunError('Internal', `prune: pattern ${(pattern as MaskPattern).kind} reached the mask step`);
    }
  });
}

function describePattern(p: MaskPattern): string {
  switch (p.kind) {
    case 'block':
      return `block ${p.block[0]}x${p.block[1]} (${p.pooling ?? 'avg'})`;
    case 'nm':
      return `${p.n}:${p.m}${p.along === 'k' ? ' along k' : ''}`;
    default:
      return p.kind;
  }
}

/** Prunes and returns the new Graph; compressionReport(graph) gives the masks and sparsities. */
export function prune(graph: Graph, options: PruneOptions): Graph {
  const r = pruneWithReport(graph, options);
  return attachReport(r.graph, r.report);
}
