// Calibration: range selection (entropy checked against onnxruntime's Python code, percentile
// against sorted quantiles), activation parameters (the zero-range fallback), and bad data —
// empty sets, wrong shapes or dtypes, NaN/Inf in samples or inside the model, cancellation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import { Tensor } from '../engine/tensor.js';
import { EdgeRunError } from '../engine/errors.js';
import { InferenceSession } from '../engine/session.js';
import { calibrate, calibrationBatches } from '../engine/compress/calibrate.js';
import { entropyRange, Histogram, percentileRange } from '../engine/compress/histogram.js';
import { activationParams, representableRange } from '../engine/compress/qparams.js';
import { quantizeWithReport } from '../engine/compress/quantize.js';
import type { ProgressEvent } from '../engine/compress/progress.js';
import { expectEdgeRunError } from './helpers/runtimes.js';
import { rng, randomF32 } from './helpers/random.js';

async function rejects(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EdgeRunError, `expected EdgeRunError, got ${(e as Error).message}`);
    assert.is((e as EdgeRunError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected EdgeRunError ${code}`);
}

function synthetic(f: (i: number) => number): Histogram {
  const h = new Histogram(8, 2048);
  for (let i = 0; i < 2048; i++) h.counts[i] = f(i);
  return h;
}

// Expected thresholds computed by onnxruntime's HistogramCollector.get_entropy_threshold
// (calibrate.py, numpy + scipy) on the same two histograms (edges −8 + 16·i/2048), outside this
// repo, with its smoothing in float64: the Python smooths in float32, which on the flat KL curve
// of the first histogram picks the neighbour ±2.6484 (KL 0.00059964 vs 0.00059963 here).
test('entropy: the same thresholds as onnxruntime’s get_entropy_threshold', () => {
  const gaussBump = synthetic((i) => Math.floor(1e4 * Math.exp(-(((i - 1024) / 60) ** 2))) + (i > 1300 && i < 1320 ? 40 : 0));
  assert.equal(entropyRange(gaussBump, [-8, 8]), [-2.6875, 2.6953125]);
  const reluLike = synthetic((i) => (i < 1024 ? 0 : Math.floor(5000 * Math.exp(-(i - 1024) / 90)) + (i % 37 === 0 ? 3 : 0)));
  assert.equal(entropyRange(reluLike, [-8, 8]), [-6, 6.0078125]);
  // Clipped to what was observed.
  assert.equal(entropyRange(reluLike, [0, 5]), [0, 5]);
});

test('percentile: within one bin of the sorted quantiles, clipped to the observed range', () => {
  const rand = rng(3);
  const data = randomF32(rand, 100000, -3, 5);
  const t = 5;
  const h = new Histogram(t);
  h.add(data);
  const sorted = Float64Array.from(data).sort();
  const [lo, hi] = percentileRange(h, 99, [sorted[0], sorted[sorted.length - 1]]);
  const width = (2 * t) / 2048;
  const qlo = sorted[Math.floor(0.005 * sorted.length)];
  const qhi = sorted[Math.floor(0.995 * sorted.length)];
  assert.ok(Math.abs(lo - qlo) <= width, `lo ${lo} vs quantile ${qlo}`);
  assert.ok(Math.abs(hi - qhi) <= width, `hi ${hi} vs quantile ${qhi}`);
  assert.equal(percentileRange(h, 100, [-1, 1]), [-1, 1]);
});

test('activation parameters: real 0 exact, the range covered; an empty range falls back to scale 1, zero point 0', () => {
  for (const [lo, hi] of [[-1, 3], [0, 6], [-5, 0], [0.5, 2], [-2e-3, 1e-3]]) {
    const p = activationParams(lo, hi);
    assert.is(Math.fround(p.scale * (p.zeroPoint - p.zeroPoint)), 0);
    const [rlo, rhi] = representableRange(p);
    assert.ok(rlo <= Math.min(0, lo) + p.scale && rhi >= Math.max(0, hi) - p.scale, `[${lo}, ${hi}] → [${rlo}, ${rhi}]`);
    assert.ok(p.zeroPoint >= -128 && p.zeroPoint <= 127);
  }
  for (const [lo, hi] of [[0, 0], [0, 1e-40]]) {
    const p = activationParams(lo, hi);
    assert.equal([p.scale, p.zeroPoint, p.fallback], [1, 0, true], `[${lo}, ${hi}]`);
  }
  expectEdgeRunError(() => activationParams(NaN, 1), 'InvalidArgument', /range/);
  expectEdgeRunError(() => activationParams(2, 1), 'InvalidArgument', /range/);
});

function smallModel() {
  const g = new GraphBuilder('small', 13);
  const x = g.input('x', 'float32', ['batch', 4]);
  const h = g.relu(g.gemm(x, new Tensor('float32', randomF32(rng(1), 12), [4, 3]), new Tensor('float32', [0.1, 0.2, 0.3], [3])));
  g.output(g.gemm(h, new Tensor('float32', randomF32(rng(2), 6), [3, 2])), 'y');
  return g.build();
}

test('bad calibration data: empty, wrong dtype, wrong shape, NaN/Inf, unknown names → EdgeRunError naming the sample', () => {
  const g = smallModel();
  expectEdgeRunError(() => calibrationBatches(g, []), 'InvalidArgument', /empty/);
  expectEdgeRunError(() => calibrationBatches(g, new Tensor('float32', [], [0, 4])), 'InvalidArgument', /empty/);
  expectEdgeRunError(() => calibrationBatches(g, [{ x: new Tensor('int32', [1, 2, 3, 4], [1, 4]) }]), 'DTypeMismatch', /sample 0: input 'x' is int32/);
  expectEdgeRunError(() => calibrationBatches(g, [{ x: new Tensor('float32', [1, 2, 3, 4], [1, 4]) }, { x: new Tensor('float32', [1, 2, 3], [1, 3]) }]), 'ShapeMismatch', /sample 1: input 'x' has shape \[1, 3\]/);
  expectEdgeRunError(() => calibrationBatches(g, new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3])), 'ShapeMismatch', /\[2, 3\]/);
  expectEdgeRunError(() => calibrationBatches(g, [{ x: new Tensor('float32', [1, NaN, 3, 4], [1, 4]) }]), 'InvalidArgument', /element 1 is NaN/);
  expectEdgeRunError(() => calibrationBatches(g, new Tensor('float32', [1, 2, 3, 4, 1, 2, Infinity, 4], [2, 4]), 1), 'InvalidArgument', /batch 1.*Infinity/);
  expectEdgeRunError(() => calibrationBatches(g, [{ x: new Tensor('float32', [1, 2, 3, 4], [1, 4]), z: new Tensor('float32', [1], [1]) }]), 'InvalidArgument', /'z' is not an input/);
  expectEdgeRunError(() => calibrationBatches(g, [{}]), 'InvalidArgument', /'x' is missing/);
  expectEdgeRunError(() => calibrationBatches(g, 'nope' as never), 'InvalidArgument', /array of feed objects/);
});

test('a model that overflows on the calibration data: EdgeRunError naming the tensor', async () => {
  const g = new GraphBuilder('overflow', 13);
  const x = g.input('x', 'float32', ['batch', 2]);
  g.output(g.gemm(g.op('Log', [x]), new Tensor('float32', [1, 1, 1, 1], [2, 2])), 'y');
  const graph = g.build();
  await rejects(calibrate(graph, [graph.nodes[0].outputs[0].name], [{ x: new Tensor('float32', [0, 1], [1, 2]) }], { progressBar: false }), 'InvalidArgument', /tensor '.*' has a -Infinity/);
  await rejects(quantizeWithReport(graph, { mode: 'int8', calibration: [{ x: new Tensor('float32', [0, 1], [1, 2]) }], progressBar: false }), 'InvalidArgument', /-Infinity/);
});

test('unknown method or mode, bad percentile → EdgeRunError', async () => {
  const g = smallModel();
  const data = [{ x: new Tensor('float32', [1, 2, 3, 4], [1, 4]) }];
  await rejects(calibrate(g, [], data, { method: 'kl' as never }), 'InvalidArgument', /method 'kl'/);
  await rejects(calibrate(g, [], data, { percentile: 150 }), 'InvalidArgument', /percentile 150/);
  await rejects(quantizeWithReport(g, { mode: 'int4' as never }), 'InvalidArgument', /mode 'int4'/);
  await rejects(quantizeWithReport(g, { mode: 'int8', calibration: data, method: 'mse' as never }), 'InvalidArgument', /method 'mse'/);
});

test('all-constant activations: the documented fallback scale, and the model still computes the float result', async () => {
  // Relu(x·W) with x ≥ 0 and W ≤ 0 is 0 on every sample: an empty range.
  const g = new GraphBuilder('dead', 13);
  const x = g.input('x', 'float32', ['batch', 3]);
  const dead = g.relu(g.gemm(x, new Tensor('float32', [-1, -2, -0.5, -1, -3, -1], [3, 2])));
  g.output(g.gemm(dead, new Tensor('float32', [1, 2, 3, 4], [2, 2]), new Tensor('float32', [0.5, -0.25], [2])), 'y');
  const graph = g.build();
  const samples = Array.from({ length: 4 }, (_, i) => ({ x: new Tensor('float32', [i, 1, 2], [1, 3]) }));
  const { graph: q, report } = await quantizeWithReport(graph, { mode: 'int8', calibration: samples, method: 'minmax', progressBar: false });
  const rec = report.activations.find((a) => a.tensor === dead.name)!;
  assert.is(rec.source, 'fallback');
  assert.is(rec.scale, 1);
  assert.is(rec.zeroPoint, -128, 'a dropped Relu keeps zero point −128 so that negatives clamp to 0');
  const s = await InferenceSession.create(q);
  const y = (await s.run({ x: new Tensor('float32', [5, 5, 5], [1, 3]) })).y.data as Float32Array;
  const out = report.activations.find((a) => a.tensor === 'y')!;
  assert.ok(Math.abs(y[0] - 0.5) <= out.scale && Math.abs(y[1] + 0.25) <= out.scale, `y = [${y[0]}, ${y[1]}]`);
});

test('progress events and cancellation through an AbortSignal', async () => {
  const g = smallModel();
  const data = new Tensor('float32', randomF32(rng(9), 4 * 40), [40, 4]);
  const events: ProgressEvent[] = [];
  await calibrate(g, [g.outputs[0].name], data, { method: 'percentile', batchSize: 8, onProgress: (e) => events.push(e), progressBar: false });
  const phases = new Set(events.map((e) => e.phase));
  assert.ok(phases.has('calibrate: min/max') && phases.has('calibrate: histograms'), [...phases].join(', '));
  assert.equal(events.filter((e) => e.phase === 'calibrate: min/max').map((e) => e.done), [1, 2, 3, 4, 5]);
  const abort = new AbortController();
  const seen: ProgressEvent[] = [];
  const p = quantizeWithReport(g, {
    mode: 'int8', calibration: data, batchSize: 4, signal: abort.signal, progressBar: false,
    onProgress: (e) => {
      seen.push(e);
      if (seen.length === 2) abort.abort();
    },
  });
  await rejects(p, 'Cancelled', /cancelled/);
  assert.ok(seen.length < 10, `stopped after ${seen.length} steps`);
});

test.run();
