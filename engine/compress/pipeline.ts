// Deep Compression (Han et al. 2016) in one call, without retraining:
//   const small = await optimize(graph, { prune: 0.8, cluster: 16, quantize: 'int8', calibration: x });
//   saveModel(small, { sparse: true, codebook: true });       // the compact file
// 1. prune    `prune: 0.8` = 80 % of all layer weights zero. With calibration inputs the per-layer
//             sparsities are picked by sensitivity (sensitivity.ts) within `maxDrop` of the float
//             model's answers on the calibration set (its own labels: no labeled data needed), and
//             the survivors are re-fitted; without, every layer is magnitude-pruned to 80 %.
// 2. cluster  `cluster: 16` = 16 shared values per layer (linear init, as Deep Compression found
//             best), the pruned zeros pinned (preserveSparsity); with calibration the centroids
//             and biases are then re-fitted by least squares (pipeline-centroids.ts).
// 3. quantize 'int8' (QDQ, calibrated), 'dynamic' or 'float16' (quantize.ts); a layer clustered
//             per tensor gets one weight scale, so its int8 weights hold ≤ 16 values in every
//             channel (pipeline-quant.ts).
// Each step is optional; the input graph is never modified. With `eval` data the report has the
// accuracy after every step.
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { InferenceSession } from '../session.js';
import { Tensor } from '../tensor.js';
import type { Runtime } from '../../kernels/runtime.js';
import { clusterWithReport, type ClusterOptions, type ClusterReport } from './cluster.js';
import { countUnique } from './kmeans.js';
import { evaluateClassifier, type LabeledData } from './evaluate.js';
import { refitCentroids } from './pipeline-centroids.js';
import { quantizeCodebooks, type RequantizedCodebook } from './pipeline-quant.js';
import { Progress, type ProgressOptions } from './progress.js';
import { Calibration, pruneWithReport, type PruneOptions, type PruneReport } from './prune.js';
import { checkSparsity } from './prune-magnitude.js';
import { quantizeWithReport, QUANTIZE_MODES, type QuantizeMode, type QuantizeOptions, type QuantizeReport } from './quantize.js';
import { attachReport } from './report.js';
import { pickSparsities } from './sensitivity.js';
import { findLayerWeights, selectLayers } from './weights.js';

export interface PipelineOptions extends ProgressOptions {
  /** Fraction of all layer weights to zero, in [0, 1); or prune() options (calibration is added). */
  prune?: number | Omit<PruneOptions, 'calibration'>;
  /** Shared values per layer (2 … 256); or cluster() options (preserveSparsity is set after pruning). */
  cluster?: number | Omit<ClusterOptions, 'clusters'> & { clusters: number };
  /** Quantization mode, or quantize() options (calibration is added). */
  quantize?: QuantizeMode | Omit<QuantizeOptions, 'calibration'>;
  /** Unlabeled representative inputs for the graph's first input (batched on axis 0). int8 needs them; they make pruning and clustering far better. */
  calibration?: Tensor;
  /** Labeled data: the report gets the accuracy after each step. */
  eval?: LabeledData;
  /** Accuracy the sensitivity pick may lose on the calibration set (default 0.02). */
  maxDrop?: number;
  /** Re-fit the centroids after clustering (default: with calibration). */
  refitCentroids?: boolean;
  runtime?: Runtime;
}

export interface PipelineStep {
  step: 'prune' | 'cluster' | 'quantize';
  ms: number;
  /** Top-1 accuracy on `eval` after this step. */
  accuracy?: number;
  summary: string;
}

export interface PipelineReport {
  steps: PipelineStep[];
  /** Accuracy of the input graph on `eval`. */
  accuracy?: number;
  prune?: PruneReport;
  /** Per-layer sparsities the sensitivity pick chose. */
  sparsities?: Record<string, number>;
  cluster?: ClusterReport;
  /** Layers whose centroids and biases were re-fitted. */
  refitted?: string[];
  quantize?: QuantizeReport;
  /** Clustered layers whose int8 weights were re-quantized with one scale. */
  codebooks?: RequantizedCodebook[];
  warnings: string[];
}

function checkOptions(opts: PipelineOptions): void {
  if (!opts || typeof opts !== 'object') throw new EdgeRunError('InvalidArgument', 'optimize: options must be an object ({ prune, cluster, quantize, calibration, eval })');
  if (opts.prune === undefined && opts.cluster === undefined && opts.quantize === undefined) {
    throw new EdgeRunError('InvalidArgument', 'optimize: nothing to do: give prune, cluster and/or quantize');
  }
  if (typeof opts.prune === 'number') checkSparsity(opts.prune, 'optimize: prune');
  else if (opts.prune !== undefined && (typeof opts.prune !== 'object' || opts.prune === null)) throw new EdgeRunError('InvalidArgument', `optimize: prune must be a sparsity or prune options, got ${String(opts.prune)}`);
  const k = typeof opts.cluster === 'object' && opts.cluster !== null ? opts.cluster.clusters : opts.cluster;
  if (opts.cluster !== undefined && !(Number.isInteger(k) && k! >= 2 && k! <= 256)) throw new EdgeRunError('InvalidArgument', `optimize: cluster ${String(k)} must be an integer number of clusters in [2, 256]`);
  const mode = typeof opts.quantize === 'object' && opts.quantize !== null ? opts.quantize.mode : opts.quantize;
  if (opts.quantize !== undefined && !QUANTIZE_MODES.includes(mode as QuantizeMode)) throw new EdgeRunError('InvalidArgument', `optimize: quantize '${String(mode)}' is not one of ${QUANTIZE_MODES.join(', ')}`);
  if (opts.calibration !== undefined && !(opts.calibration instanceof Tensor && opts.calibration.type === 'float32' && opts.calibration.dims.length >= 1 && opts.calibration.dims[0] >= 1)) {
    throw new EdgeRunError('InvalidArgument', 'optimize: calibration must be a float32 Tensor batched on axis 0');
  }
  if (opts.maxDrop !== undefined && !(typeof opts.maxDrop === 'number' && opts.maxDrop >= 0 && opts.maxDrop < 1)) throw new EdgeRunError('InvalidArgument', `optimize: maxDrop ${String(opts.maxDrop)} must be a fraction in [0, 1)`);
}

/** The graph's own top-1 answers on x: labels for the sensitivity pick that need no labeled data. */
function teacherLabels(graph: Graph, x: Tensor, runtime?: Runtime): number[] {
  const s = InferenceSession.createSync(graph, { runtime });
  try {
    const name = s.inputNames[0];
    const out = s.runSync({ [name]: x })[s.outputNames[0]];
    const rows = x.dims[0];
    const classes = out.size / rows;
    const d = out.data as Float32Array;
    return Array.from({ length: rows }, (_, r) => {
      let best = 0;
      for (let c = 1; c < classes; c++) if (d[r * classes + c] > d[r * classes + best]) best = c;
      return best;
    });
  } finally {
    void s.release();
  }
}

export async function optimizeWithReport(graph: Graph, opts: PipelineOptions): Promise<{ graph: Graph; report: PipelineReport }> {
  checkOptions(opts);
  const report: PipelineReport = { steps: [], warnings: [] };
  const bar = new Progress(opts);
  const calibX = opts.calibration;
  const calibration = calibX ? new Calibration(graph, calibX) : null;
  const steps = [opts.prune, opts.cluster, opts.quantize].filter((s) => s !== undefined).length;
  let done = 0;
  const evaluate = (g: Graph) => (opts.eval ? evaluateClassifier(g, opts.eval.x, opts.eval.labels, { runtime: opts.runtime }).accuracy : undefined);
  report.accuracy = evaluate(graph);
  let g = graph;
  let pruned = false;
  const timed = async (step: PipelineStep['step'], run: () => Promise<string> | string) => {
    bar.report(`optimize: ${step}`, done, steps);
    bar.checkCancelled();
    const t0 = performance.now();
    const summary = await run();
    const ms = performance.now() - t0;
    report.steps.push({ step, ms, accuracy: evaluate(g), summary });
    done++;
  };
  try {
    if (opts.prune !== undefined) {
      await timed('prune', () => {
        const p = opts.prune!;
        if (typeof p === 'number' && calibration) {
          const data = { x: calibX!, labels: teacherLabels(graph, calibX!, opts.runtime) };
          bar.finish();
          const pick = pickSparsities(graph, data, { maxDrop: opts.maxDrop ?? 0.02, targetSparsity: p, prune: { calibration }, progress: opts.progressBar });
          g = pick.graph;
          report.prune = pick.report;
          report.sparsities = pick.sparsities;
          if (pick.report.sparsity < p - 1e-9) {
            report.warnings.push(`prune: ${(100 * pick.report.sparsity).toFixed(1)} % of the layer weights are zero, short of ${(100 * p).toFixed(1)} %: more would lose over ${(100 * (opts.maxDrop ?? 0.02)).toFixed(1)} points on the calibration set (raise maxDrop)`);
          }
        } else {
          const r = pruneWithReport(graph, typeof p === 'number' ? { sparsity: p } : { ...p, calibration: calibration ?? undefined } as PruneOptions);
          g = r.graph;
          report.prune = r.report as PruneReport;
        }
        pruned = true;
        const layers = report.prune!.layers ?? [];
        return `${(100 * (report.prune!.sparsity ?? 0)).toFixed(1)} % of layer weights zero (${layers.map((l) => `${l.name} ${(100 * l.sparsity).toFixed(0)} %`).join(', ')})`;
      });
    }
    if (opts.cluster !== undefined) {
      await timed('cluster', () => {
        const c = typeof opts.cluster === 'number' ? { clusters: opts.cluster } : opts.cluster!;
        const preserveSparsity = pruned || c.preserveSparsity === true;
        // A layer with no more distinct values than clusters is clustered already (tiny or heavily pruned layers).
        const free = (v: Float32Array) => countUnique(preserveSparsity ? v.filter((x) => x !== 0) : v) + (preserveSparsity ? 1 : 0);
        const candidates = selectLayers(findLayerWeights(g), c.layers, 'optimize: cluster layers');
        const layers = candidates.filter((l) => free(l.tensor.data as Float32Array) > c.clusters).map((l) => l.name);
        const r = clusterWithReport(g, { init: 'linear', ...c, preserveSparsity, layers });
        g = r.graph;
        report.cluster = r.report;
        const refit = opts.refitCentroids ?? calibration !== null;
        if (refit) {
          if (!calibration) throw new EdgeRunError('InvalidArgument', 'optimize: refitCentroids needs calibration inputs');
          const fit = refitCentroids(g, r.report.layers, calibration);
          g = fit.graph;
          report.cluster = { ...r.report, layers: fit.layers };
          report.refitted = fit.refitted;
        }
        return `${c.clusters} clusters in ${r.report.layers.length} layer(s)${preserveSparsity ? ', zeros kept' : ''}${refit ? `, centroids re-fitted in ${report.refitted!.length}` : ''}`;
      });
    }
    if (opts.quantize !== undefined) {
      await timed('quantize', async () => {
        const q = typeof opts.quantize === 'string' ? { mode: opts.quantize } : opts.quantize!;
        const r = await quantizeWithReport(g, { ...q, calibration: calibX, runtime: opts.runtime, onProgress: opts.onProgress, signal: opts.signal, progressBar: opts.progressBar });
        const clustered = report.cluster?.layers.filter((l) => l.axis === null).map((l) => l.weight) ?? [];
        const floats = new Map(findLayerWeights(g).map((l) => [l.value.name, l.tensor.data as Float32Array]));
        g = r.graph;
        report.quantize = r.report;
        if (clustered.length && q.mode !== 'float16') report.codebooks = quantizeCodebooks(g, clustered, floats);
        report.warnings.push(...r.report.warnings);
        return `${q.mode}${report.codebooks?.length ? `, ${report.codebooks.length} codebook(s) quantized with one scale` : ''}`;
      });
    }
    bar.report('optimize', done, steps);
  } finally {
    bar.finish();
  }
  return { graph: g, report };
}

/** The compressed Graph; compressionReport(graph) gives the PipelineReport. */
export async function optimize(graph: Graph, opts: PipelineOptions): Promise<Graph> {
  const r = await optimizeWithReport(graph, opts);
  return attachReport(r.graph, r.report);
}
