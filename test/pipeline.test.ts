// The Deep Compression pipeline on the digits models (float: MLP 96.9 %, LeNet 99.2 %): pruned to
// 80 % within 2 points, 16 clusters within 1 point, prune 80 % + 16 clusters + int8 within 2
// points with the weights ≥ 20× smaller raw (entropy-coded; the sizes, raw and gzipped, are printed); the
// compact file round-trips with identical outputs; decompressed, onnxruntime agrees within 1 LSB;
// bad options fail with EdgeRunError and the input graph is never touched; the CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../engine/graph/ir.js';
import { importModel } from '../engine/onnx/import.js';
import { saveModel } from '../engine/onnx/export.js';
import { optimize, optimizeWithReport, type PipelineOptions } from '../engine/compress/pipeline.js';
import { compressionSizes } from '../engine/compress/pipeline-sizes.js';
import { compressionReport } from '../engine/compress/report.js';
import { decompress } from '../engine/compress/decompress.js';
import { accuracy } from '../engine/compress/evaluate.js';
import { InferenceSession, type SessionOptions } from '../engine/session.js';
import { main } from '../engine/cli/main.js';
import { fixturePath, readFixture, readTensorFixture } from './helpers/fixtures.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const testX = readTensorFixture('digits', 'digits_test_x.pb');
const testY = readTensorFixture('digits', 'digits_test_y.pb');
const calibX = readTensorFixture('digits', 'digits_calib_x.pb');
const MODELS = [['digits_mlp', 0.969], ['digits_lenet', 0.992]] as const;
const graphs = new Map<string, Graph>(MODELS.map(([m]) => [m, importModel(readFixture('digits', `${m}.onnx`), m)]));

function outputs(g: Graph | Uint8Array, opts: SessionOptions = {}): Float32Array {
  const s = InferenceSession.createSync(g, opts);
  return s.runSync({ [s.inputNames[0]]: testX })[s.outputNames[0]].data as Float32Array;
}

const base: PipelineOptions = { calibration: calibX, progressBar: false };

for (const [model, floatAccuracy] of MODELS) {
  const g = graphs.get(model)!;
  const floatAcc = accuracy(g, testX, testY);

  test(`${model}: prune 80 % within 2 points, 16 clusters within 1 point of float`, async () => {
    assert.ok(Math.abs(floatAcc - floatAccuracy) < 0.001);
    const { graph: pruned, report } = await optimizeWithReport(g, { ...base, prune: 0.8 });
    assert.ok(report.prune!.sparsity >= 0.8, `sparsity ${report.prune!.sparsity}`);
    const accP = accuracy(pruned, testX, testY);
    const { graph: clustered, report: cr } = await optimizeWithReport(g, { ...base, cluster: 16 });
    const accC = accuracy(clustered, testX, testY);
    assert.is(cr.refitted!.length, 3);
    for (const l of cr.cluster!.layers) assert.ok(new Set(clustered.constants().find((v) => v.name === l.weight)!.constant!.data as Float32Array).size <= 16, l.weight);
    console.log(`  ${model}: float ${(100 * floatAcc).toFixed(1)} %, pruned ${(100 * report.prune!.sparsity).toFixed(1)} % → ${(100 * accP).toFixed(1)} %, 16 clusters → ${(100 * accC).toFixed(1)} %`);
    assert.ok(floatAcc - accP <= 0.02, `pruned ${accP} vs ${floatAcc}`);
    assert.ok(floatAcc - accC <= 0.01, `clustered ${accC} vs ${floatAcc}`);
  });

  test(`${model}: prune 80 % + 16 clusters + int8 within 2 points, weights ≥ 20× smaller; round trip identical, onnxruntime within 1 LSB`, async () => {
    const before = g.constants().map((v) => v.constant);
    const small = await optimize(g, { ...base, prune: 0.8, cluster: 16, quantize: 'int8', eval: { x: testX, labels: testY } });
    assert.ok(g.constants().every((v, i) => v.constant === before[i]), 'input untouched');
    const report = compressionReport<Awaited<ReturnType<typeof optimizeWithReport>>['report']>(small)!;
    assert.equal(report.steps.map((s) => s.step), ['prune', 'cluster', 'quantize']);
    const acc = accuracy(small, testX, testY);
    assert.is(report.steps[2].accuracy, acc);
    // Quantizing the codebooks: every int8 weight keeps its zeros and ≤ 16 values in the whole tensor.
    for (const cb of report.codebooks!) {
      const q = small.constants().find((v) => v.name === `${cb.weight}_quantized`)!.constant!.data as Int8Array;
      assert.ok(new Set(q).size <= 16, `${cb.weight}: ${new Set(q).size} values`);
      const pruned = report.prune!.layers.find((l) => l.weight === cb.weight)!;
      q.forEach((x, i) => assert.ok(pruned.mask[i] || x === 0, `${cb.weight}[${i}] pruned but ${x}`));
    }
    const { bytes, sizes } = await compressionSizes(g, small);
    const raw = sizes.weights.float32 / sizes.weights.stored;
    const gz = sizes.weights.float32 / sizes.weights.storedGzip;
    console.log(`  ${model}: float ${(100 * floatAcc).toFixed(1)} % → ${(100 * acc).toFixed(1)} %; weights ${sizes.weights.float32} B float32 → ${sizes.weights.stored} B raw (${raw.toFixed(1)}×), ${sizes.weights.storedGzip} B gzipped (${gz.toFixed(1)}×; float32 gzipped ${sizes.weights.float32Gzip} B); file ${sizes.file.before} → ${sizes.file.after} B, gzip ${sizes.file.beforeGzip} → ${sizes.file.afterGzip} B`);
    assert.ok(floatAcc - acc <= 0.02, `${acc} vs ${floatAcc}`);
    assert.ok(raw >= 20, `weights only ${raw.toFixed(2)}× smaller`);
    // Pruned and clustered: positions as a mask or Rice-coded runs; the larger layers entropy-coded.
    const forms = sizes.stored.map((w) => w.form);
    assert.ok(forms.every((f) => f === 'codebook+mask' || f === 'codebook+rice-huffman') && forms.filter((f) => f === 'codebook+rice-huffman').length >= 2, forms.join());
    // save → load: the same int8 weights, identical outputs.
    assert.equal([...outputs(bytes)], [...outputs(small)]);
    // decompress → standard QDQ ONNX; onnxruntime (float requantization) within 1 LSB of edgerun's like-for-like run.
    const plain = saveModel(decompress(importModel(bytes)));
    const ours = outputs(bytes, { optimize: { fuseQdq: { requantize: 'float' } } });
    const so = await ort.InferenceSession.create(plain, { intraOpNumThreads: 1 });
    const theirs = (await so.run({ [so.inputNames[0]]: new ort.Tensor('float32', testX.data as Float32Array, [...testX.dims]) }))[so.outputNames[0]].data as Float32Array;
    const scale = report.quantize!.activations.find((a) => a.tensor === so.outputNames[0])!.scale;
    let lsb = 0;
    for (let i = 0; i < ours.length; i++) lsb = Math.max(lsb, Math.round(Math.abs(ours[i] - theirs[i]) / scale));
    assert.ok(lsb <= 1, `${lsb} LSB from onnxruntime`);
  });
}

test('bad input → EdgeRunError; the input graph untouched', async () => {
  const g = graphs.get('digits_mlp')!;
  const before = g.constants().map((v) => v.constant);
  const fails = async (opts: PipelineOptions, code: string, pattern: RegExp) => {
    let error: unknown = null;
    try {
      await optimize(g, { progressBar: false, ...opts });
    } catch (e) {
      error = e;
    }
    expectEdgeRunError(() => {
      if (error) throw error;
    }, code, pattern);
  };
  await fails({ prune: 1 }, 'InvalidArgument', /sparsity 1 must be/);
  await fails({ prune: -0.1 }, 'InvalidArgument', /sparsity -0.1/);
  await fails({ cluster: 1 }, 'InvalidArgument', /cluster 1/);
  await fails({ cluster: { clusters: 8, layers: ['nope'] } }, 'InvalidArgument', /'nope'/);
  await fails({ prune: { perLayer: { '/f9/Gemm': 0.5 } } }, 'InvalidArgument', /f9/);
  await fails({ quantize: 'int4' as never }, 'InvalidArgument', /int4/);
  await fails({ quantize: 'int8' }, 'InvalidArgument', /calibration/);
  await fails({}, 'InvalidArgument', /nothing to do/);
  await fails({ cluster: 4, calibration: testY }, 'InvalidArgument', /float32 Tensor/);
  await fails({ prune: 0.5, maxDrop: 2 }, 'InvalidArgument', /maxDrop 2/);
  assert.ok(g.constants().every((v, i) => v.constant === before[i]));
});

test('progress events for each step, cancellation', async () => {
  const g = graphs.get('digits_mlp')!;
  const events: string[] = [];
  await optimize(g, { cluster: 4, quantize: 'float16', progressBar: false, onProgress: (e) => events.push(`${e.phase} ${e.done}/${e.total}`) });
  assert.equal(events, ['optimize: cluster 0/2', 'optimize: quantize 1/2', 'optimize 2/2']);
  const abort = new AbortController();
  abort.abort();
  let error: unknown = null;
  try {
    await optimize(g, { cluster: 4, progressBar: false, signal: abort.signal });
  } catch (e) {
    error = e;
  }
  expectEdgeRunError(() => {
    if (error) throw error;
  }, 'Cancelled');
});

test('CLI: edgerun optimize prints sizes, accuracy and latency and writes the compact file; edgerun decompress', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgerun-opt-'));
  const lines: string[] = [];
  const [log, warn, error] = [console.log, console.warn, console.error];
  console.log = console.warn = console.error = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    const d = (f: string) => fixturePath('digits', f);
    const out = join(dir, 'mlp_small.onnx');
    const code = await main(['optimize', d('digits_mlp.onnx'), '--prune', '0.8', '--cluster', '16', '--quantize', 'int8', '--calib', d('digits_calib_x.pb'), '--eval', d('digits_test_x.pb'), '--labels', d('digits_test_y.pb'), '--runs', '3', '-o', out]);
    assert.is(code, 0, lines.join('\n'));
    const text = lines.join('\n');
    for (const want of [/prune .* 8\d\.\d % of layer weights zero/, /weights \(raw\) .* 2\d\.\d×/, /weights \(gzip\)/, /file \(gzip\)/, /codebook\+rice-huffman/, /accuracy on 360 samples: 96\.94 % → 9\d\.\d\d %/, /latency \(edgerun, 360 samples per run, median of 3\): [\d.]+ ms → [\d.]+ ms/]) assert.match(text, want);
    const small = readFileSync(out);
    assert.ok(importModel(new Uint8Array(small)).nodes.some((n) => n.op === 'CodebookDecode'));
    const dense = join(dir, 'mlp_dense.onnx');
    assert.is(await main(['decompress', out, '-o', dense]), 0);
    const plain = importModel(new Uint8Array(readFileSync(dense)));
    assert.ok(!plain.nodes.some((n) => n.domain === 'ai.edgerun'));
    assert.equal([...outputs(plain)], [...outputs(new Uint8Array(small))]);
    assert.is(await main(['optimize', d('digits_mlp.onnx'), '--prune', '1.5', '-o', out]), 1);
    assert.match(lines.join('\n'), /sparsity 1.5 must be/);
    assert.is(await main(['optimize', d('digits_mlp.onnx'), '--cluster', 'many', '-o', out]), 1);
  } finally {
    [console.log, console.warn, console.error] = [log, warn, error];
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
