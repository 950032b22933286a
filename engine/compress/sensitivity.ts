// Sensitivity analysis (what pruning each layer ALONE costs in accuracy, at several sparsities)
// and the per-layer sparsities it suggests for an accuracy budget:
//   const s = sensitivity(graph, { x, labels }, { candidates: [0.5, 0.7, 0.9] });
//   const pick = pickSparsities(graph, { x, labels }, { maxDrop: 0.02 });  // pick.graph, pick.sparsities
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import type { Tensor } from '../tensor.js';
import { evaluateOn, type LabeledData } from './evaluate.js';
import { Progress } from './progress.js';
import { Calibration, pruneWithReport, type PruneOptions, type PruneReport } from './prune.js';
import { checkSparsity } from './prune-magnitude.js';
import { findLayerWeights, selectLayers } from './weights.js';

export const DEFAULT_CANDIDATES = [0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.825, 0.85, 0.875, 0.9, 0.95];

export interface SensitivityOptions {
  /** Sparsities to try on each layer, ascending (default 0.3 … 0.95). */
  candidates?: number[];
  /** Layers to analyse (default: every layer weight). */
  layers?: readonly string[];
  /** Pruning settings used for every trial (pattern 'unstructured' or 'block'; calibration enables the re-fit). */
  prune?: Pick<PruneOptions, 'pattern' | 'criterion' | 'refit' | 'damping'> & { calibration?: Tensor | Calibration };
  /** Rows per evaluation run. */
  batch?: number;
  /** Show progress on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

export interface LayerSensitivity {
  name: string;
  weight: string;
  size: number;
  /** Accuracy (and loss, see evaluateClassifier) with only this layer pruned, per candidate sparsity. */
  points: { sparsity: number; accuracy: number; loss: number }[];
}

export interface SensitivityReport {
  baseline: number;
  baselineLoss: number;
  candidates: number[];
  layers: LayerSensitivity[];
}

export function sensitivity(graph: Graph, data: LabeledData, opts: SensitivityOptions = {}): SensitivityReport {
  const candidates = checkCandidates(opts.candidates ?? DEFAULT_CANDIDATES);
  const layers = selectLayers(findLayerWeights(graph), opts.layers, 'sensitivity: layers');
  const pruneOpts = trialOptions(graph, opts);
  const base = evaluateOn(graph, data, { batch: opts.batch });
  const bar = new Progress({ progressBar: opts.progress });
  const total = layers.length * candidates.length;
  const out: LayerSensitivity[] = [];
  try {
    for (const layer of layers) {
      const points = candidates.map((s, i) => {
        bar.report(`sensitivity ${layer.name}`, out.length * candidates.length + i, total);
        const { graph: pruned } = pruneWithReport(graph, { ...pruneOpts, perLayer: { [layer.name]: s } });
        return { sparsity: s, ...evaluateOn(pruned, data, { batch: opts.batch }) };
      });
      out.push({ name: layer.name, weight: layer.value.name, size: layer.tensor.size, points });
    }
  } finally {
    bar.finish();
  }
  return { baseline: base.accuracy, baselineLoss: base.loss, candidates, layers: out };
}

export interface PickOptions extends SensitivityOptions {
  /** Largest accepted accuracy drop from the unpruned graph (a fraction: 0.02 = 2 points). */
  maxDrop: number;
  /** Stop adding sparsity once this fraction of all layer weights is zero (default: as sparse as the budget allows). */
  targetSparsity?: number;
  /** A sensitivity report of this graph and data to start from (skips the analysis). */
  sensitivity?: SensitivityReport;
}

export interface PickResult {
  /** Per-layer sparsity by layer name (layers left dense are absent). */
  sparsities: Record<string, number>;
  graph: Graph;
  report: PruneReport;
  baseline: number;
  accuracy: number;
  drop: number;
  /** Combinations evaluated after the analysis. */
  evaluations: number;
  sensitivity: SensitivityReport;
}

/**
 * Greedy pick from the sensitivity curves. Ascent: from dense, repeatedly raise the layer whose
 * next candidate costs the least accuracy (alone) per weight it zeroes — the least sensitive
 * layers first, the big ones first among free steps — as long as that layer alone stays within
 * `maxDrop`, until `targetSparsity` is reached or no step is left. Then the combination is
 * evaluated and, while it drops more than `maxDrop`, the most expensive step is undone.
 */
export function pickSparsities(graph: Graph, data: LabeledData, opts: PickOptions): PickResult {
  const maxDrop = opts.maxDrop;
  if (typeof maxDrop !== 'number' || !(maxDrop >= 0 && maxDrop < 1)) throw new EdgeRunError('InvalidArgument', `pickSparsities: maxDrop ${String(maxDrop)} must be a fraction in [0, 1)`);
  const pruneOpts = trialOptions(graph, opts);
  const sens = opts.sensitivity ?? sensitivity(graph, data, { ...opts, prune: pruneOpts });
  const baseline = sens.baseline;
  const target = opts.targetSparsity === undefined ? 1 : checkSparsity(opts.targetSparsity, 'pickSparsities: targetSparsity');
  const layers = sens.layers;
  const totalWeights = findLayerWeights(graph).reduce((s, l) => s + l.tensor.size, 0);
  // level[i]: index into layer i's points (−1 = dense).
  const level = layers.map(() => -1);
  const sparsityOf = (i: number, k = level[i]) => (k < 0 ? 0 : layers[i].points[k].sparsity);
  const accuracyOf = (i: number, k = level[i]) => (k < 0 ? baseline : layers[i].points[k].accuracy);
  const lossOf = (i: number, k = level[i]) => (k < 0 ? sens.baselineLoss : layers[i].points[k].loss);
  // Costs come from the loss, not the accuracy: on a small set accuracy sits flat at the
  // baseline for many steps and would rank them all as free.
  /** Loss added (alone) per weight zeroed by moving layer i from level k to k + 1. */
  const stepCost = (i: number, k: number) => (Math.max(0, lossOf(i, k + 1) - lossOf(i, k)) + 1e-12) / Math.max(1, layers[i].size * (sparsityOf(i, k + 1) - sparsityOf(i, k)));
  const overall = () => layers.reduce((s, l, i) => s + l.size * sparsityOf(i), 0) / Math.max(1, totalWeights);
  // Ascent: always take the cheapest step a layer can make alone within the budget.
  while (overall() < target) {
    let best = -1;
    let bestCost = Infinity;
    layers.forEach((l, i) => {
      const k = level[i];
      if (k + 1 >= l.points.length || baseline - accuracyOf(i, k + 1) > maxDrop) return;
      const c = stepCost(i, k);
      if (c < bestCost) [best, bestCost] = [i, c];
    });
    if (best < 0) break;
    level[best]++;
  }
  const bar = new Progress({ progressBar: opts.progress });
  let evaluations = 0;
  try {
    for (;;) {
      const perLayer: Record<string, number> = {};
      layers.forEach((l, i) => {
        if (level[i] >= 0) perLayer[l.name] = sparsityOf(i);
      });
      bar.report('pick sparsities', evaluations, evaluations + 1);
      const result = pruneWithReport(graph, { ...pruneOpts, perLayer });
      const acc = evaluateOn(result.graph, data, { batch: opts.batch }).accuracy;
      evaluations++;
      if (baseline - acc <= maxDrop || level.every((k) => k < 0)) {
        return { sparsities: perLayer, graph: result.graph, report: result.report as PruneReport, baseline, accuracy: acc, drop: baseline - acc, evaluations, sensitivity: sens };
      }
      // The combination drops too much: undo the step that cost the most per weight.
      let worst = -1;
      let worstCost = -Infinity;
      layers.forEach((_, i) => {
        if (level[i] < 0) return;
        const c = stepCost(i, level[i] - 1);
        if (c > worstCost) [worst, worstCost] = [i, c];
      });
      level[worst]--;
    }
  } finally {
    bar.finish();
  }
}

function checkCandidates(c: number[]): number[] {
  if (!Array.isArray(c) || c.length === 0) throw new EdgeRunError('InvalidArgument', 'sensitivity: candidates must be a non-empty array of sparsities');
  c.forEach((s) => checkSparsity(s, 'sensitivity: candidates'));
  return [...c].sort((a, b) => a - b);
}

function trialOptions(graph: Graph, opts: SensitivityOptions): Omit<PruneOptions, 'perLayer' | 'sparsity'> {
  const p = opts.prune ?? {};
  if (p.pattern && p.pattern.kind !== 'unstructured' && p.pattern.kind !== 'block') {
    throw new EdgeRunError('InvalidArgument', `sensitivity: pattern '${p.pattern.kind}' does not take a sparsity per layer (use unstructured or block)`);
  }
  // One Calibration for all trials: the dense activations are captured once.
  const calibration = p.calibration === undefined || p.calibration instanceof Calibration ? p.calibration : new Calibration(graph, p.calibration);
  return { ...p, calibration };
}
