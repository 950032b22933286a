// Calibration: the ranges of intermediate tensors over a representative dataset. The float graph
// runs with the wanted tensors added as extra outputs (onnxruntime's "augmented model"), on the
// CPU backend. Two passes: min/max of every tensor, then (percentile, entropy) a 2048-bin
// histogram over [−t, t] with t = max(|min|, |max|) from the first pass — the histogram range is
// fixed before any value is binned, so no re-binning as in onnxruntime's one-pass collector.
//
// Bad data fails loudly: an empty set, samples of the wrong dtype or shape, and NaN/Inf (in a
// sample or in any tensor the model computes from it) are EdgeRunErrors naming the sample.
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { InferenceSession } from '../session.js';
import { Tensor, type TypedData } from '../tensor.js';
import type { Runtime } from '../../kernels/runtime.js';
import { DEFAULT_BINS, entropyRange, Histogram, percentileRange } from './histogram.js';
import { Progress, type ProgressOptions } from './progress.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

/** Samples: feed objects (input name → Tensor), or one Tensor batch (single-input models) split along dim 0. */
export type CalibrationData = readonly Record<string, Tensor>[] | Tensor;

export interface CalibrateOptions extends ProgressOptions {
  method?: CalibrationMethod;
  /** Percentile method: the share of values kept, in % (default 99.999). */
  percentile?: number;
  /** Rows per run when `data` is one Tensor (default 64). */
  batchSize?: number;
  runtime?: Runtime;
}

/** A tensor whose per-channel mean is wanted (the input of a weight layer, for bias correction). */
export interface MeanRequest {
  name: string;
  /** The channel axis (1 for NCHW convolution inputs, the last for matrix products). */
  axis: number;
}

export interface Calibration {
  ranges: Map<string, TensorRange>;
  /** Per-channel means of the requested tensors over every sample. */
  means: Map<string, Float64Array>;
}

export interface TensorRange {
  name: string;
  /** min/max seen over every sample. */
  observed: [number, number];
  /** The range the method chose (inside `observed`). */
  range: [number, number];
}

export function checkMethod(method: unknown): CalibrationMethod {
  if (!CALIBRATION_METHODS.includes(method as CalibrationMethod)) {
    throw new EdgeRunError('InvalidArgument', `calibration method '${String(method)}' is not one of ${CALIBRATION_METHODS.join(', ')}`);
  }
  return method as CalibrationMethod;
}

/** Checks every sample against the graph inputs and returns the feeds of each run. */
export function calibrationBatches(graph: Graph, data: CalibrationData, batchSize = 64): Record<string, Tensor>[] {
  const inputs = graph.inputs;
  if (data instanceof Tensor) {
    if (inputs.length !== 1) {
      throw new EdgeRunError('InvalidArgument', `calibration data: a single Tensor only feeds single-input models; '${graph.name}' has inputs ${inputs.map((v) => v.name).join(', ')} (pass an array of feed objects)`);
    }
    if (data.dims.length === 0 || data.dims[0] === 0) throw new EdgeRunError('InvalidArgument', 'calibration data is empty (a Tensor with no samples along dim 0)');
    const v = inputs[0];
    const fixed = typeof v.shape?.[0] === 'number' ? (v.shape[0] as number) : null;
    const rows = fixed ?? Math.max(1, Math.floor(batchSize));
    if (fixed !== null && data.dims[0] % fixed !== 0) {
      throw new EdgeRunError('ShapeMismatch', `calibration data: input '${v.name}' takes batches of ${fixed}; ${data.dims[0]} samples do not split into them`);
    }
    const per = data.size / data.dims[0];
    const out: Record<string, Tensor>[] = [];
    for (let r = 0; r < data.dims[0]; r += rows) {
      const n = Math.min(rows, data.dims[0] - r);
      const slice = (data.data as TypedData).subarray(r * per, (r + n) * per);
      out.push({ [v.name]: new Tensor(data.type, slice as TypedData, [n, ...data.dims.slice(1)]) });
    }
    out.forEach((feeds, i) => checkSample(graph, feeds, `calibration batch ${i} (rows ${i * rows}…)`));
    return out;
  }
  if (!Array.isArray(data)) throw new EdgeRunError('InvalidArgument', 'calibration data must be an array of feed objects or a Tensor');
  if (data.length === 0) throw new EdgeRunError('InvalidArgument', 'calibration data is empty: quantizing activations needs at least one representative sample');
  data.forEach((feeds, i) => checkSample(graph, feeds, `calibration sample ${i}`));
  return [...data];
}

function checkSample(graph: Graph, feeds: Record<string, Tensor>, what: string): void {
  if (feeds === null || typeof feeds !== 'object') throw new EdgeRunError('InvalidArgument', `${what} is not an object of input name → Tensor`);
  for (const name of Object.keys(feeds)) {
    if (!graph.inputs.some((v) => v.name === name)) throw new EdgeRunError('InvalidArgument', `${what}: '${name}' is not an input of '${graph.name}' (inputs: ${graph.inputs.map((v) => v.name).join(', ')})`);
  }
  for (const v of graph.inputs) {
    const t = feeds[v.name];
    if (!(t instanceof Tensor)) throw new EdgeRunError('InvalidArgument', `${what}: input '${v.name}' is missing or not a Tensor`);
    if (v.dtype && t.type !== v.dtype) throw new EdgeRunError('DTypeMismatch', `${what}: input '${v.name}' is ${t.type}; the model takes ${v.dtype}`);
    if (v.shape) {
      const bad = t.dims.length !== v.shape.length || v.shape.some((d, k) => typeof d === 'number' && d !== t.dims[k]);
      if (bad) throw new EdgeRunError('ShapeMismatch', `${what}: input '${v.name}' has shape [${t.dims.join(', ')}]; the model takes [${v.shape.map((d) => d ?? '?').join(', ')}]`);
    }
    if (t.type === 'float32' || t.type === 'float64') {
      const d = t.data as Float32Array;
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i])) throw new EdgeRunError('InvalidArgument', `${what}: input '${v.name}' element ${i} is ${d[i]}; calibration data must be finite`);
      }
    }
  }
}

/** The calibration graph: the float graph with the tensors to observe as outputs. */
function augmented(graph: Graph, names: readonly string[]): Graph {
  const g = graph.clone();
  const values = g.values();
  for (const name of names) {
    const v = values.get(name);
    if (!v) throw new EdgeRunError('Internal', `calibration: no tensor named '${name}' in '${graph.name}'`);
    if (!g.outputs.includes(v)) g.outputs.push(v);
  }
  return g;
}

/** Min/max of every named tensor over the data, then the method's range; and the requested channel means. */
export async function calibrate(graph: Graph, names: readonly string[], data: CalibrationData, opts: CalibrateOptions = {}, meanRequests: readonly MeanRequest[] = []): Promise<Calibration> {
  const method = checkMethod(opts.method ?? 'percentile');
  const percentile = opts.percentile ?? 99.999;
  if (!(percentile > 0 && percentile <= 100)) throw new EdgeRunError('InvalidArgument', `percentile ${percentile} must be in (0, 100]`);
  const batches = calibrationBatches(graph, data, opts.batchSize);
  const progress = new Progress(opts);
  const meanNames = meanRequests.map((r) => r.name);
  const fetched = [...new Set([...names, ...meanNames])];
  const session = InferenceSession.createSync(augmented(graph, fetched), { runtime: opts.runtime });
  try {
    const observed = new Map<string, [number, number]>(names.map((n) => [n, [Infinity, -Infinity]]));
    const sums = new Map<string, { sum: Float64Array; count: number; axis: number }>();
    await forEachRun(session, batches, progress, 'calibrate: min/max', (name, values, batch, dims) => {
      for (const r of meanRequests) if (r.name === name) accumulateMean(sums, r, values, dims);
      const mm = observed.get(name);
      if (!mm) return;
      for (let i = 0; i < values.length; i++) {
        const x = values[i];
        if (!Number.isFinite(x)) {
          throw new EdgeRunError('InvalidArgument', `calibration batch ${batch}: tensor '${name}' has a ${x} at element ${i}; the float model overflows on this data, so no finite range exists`);
        }
        if (x < mm[0]) mm[0] = x;
        if (x > mm[1]) mm[1] = x;
      }
    }, fetched);
    const result = new Map<string, TensorRange>();
    const means = new Map([...sums].map(([name, s]) => [name, s.sum.map((x) => x / Math.max(1, s.count))]));
    if (method === 'minmax') {
      for (const [name, mm] of observed) result.set(name, { name, observed: mm, range: [...mm] });
      return { ranges: result, means };
    }
    const histograms = new Map<string, Histogram>();
    for (const [name, [lo, hi]] of observed) {
      const t = Math.max(Math.abs(lo), Math.abs(hi));
      if (t > 0) histograms.set(name, new Histogram(t, DEFAULT_BINS));
    }
    await forEachRun(session, batches, progress, 'calibrate: histograms', (name, values) => histograms.get(name)?.add(values), [...histograms.keys()]);
    let done = 0;
    for (const [name, mm] of observed) {
      const h = histograms.get(name);
      const range: [number, number] = !h ? [...mm] : method === 'percentile' ? percentileRange(h, percentile, mm) : entropyRange(h, mm);
      result.set(name, { name, observed: mm, range });
      progress.report('calibrate: ranges', ++done, observed.size);
      if (done % 8 === 0) await progress.yield();
    }
    return { ranges: result, means };
  } finally {
    progress.finish();
    await session.release();
  }
}

async function forEachRun(
  session: InferenceSession,
  batches: readonly Record<string, Tensor>[],
  progress: Progress,
  phase: string,
  visit: (name: string, values: Float32Array, batch: number, dims: readonly number[]) => void,
  names: readonly string[],
): Promise<void> {
  progress.checkCancelled();
  for (let b = 0; b < batches.length; b++) {
    const outputs = session.runSync(batches[b], names);
    for (const name of names) {
      const t = outputs[name];
      if (t.type !== 'float32') continue;
      visit(name, t.data as Float32Array, b, t.dims);
    }
    progress.report(phase, b + 1, batches.length);
    await progress.yield();
  }
}

function accumulateMean(sums: Map<string, { sum: Float64Array; count: number; axis: number }>, r: MeanRequest, values: Float32Array, dims: readonly number[]): void {
  const axis = r.axis < 0 ? dims.length + r.axis : r.axis;
  const channels = dims[axis];
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  let acc = sums.get(r.name);
  if (!acc) sums.set(r.name, (acc = { sum: new Float64Array(channels), count: 0, axis }));
  const outer = values.length / (channels * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let s = 0;
      const base = (o * channels + c) * inner;
      for (let k = 0; k < inner; k++) s += values[base + k];
      acc.sum[c] += s;
    }
  }
  acc.count += outer * inner;
}
