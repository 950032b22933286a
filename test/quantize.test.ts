// quantize() on the bundled digits models: accuracy against float (int8 within 1 point with
// percentile and entropy calibration, dynamic within 0.5, float16 the same argmax on ≥ 99.7 %),
// weight bytes (int8/dynamic ≥ 3.9× smaller, float16 ≥ 1.95×), the saved QDQ files run in
// onnxruntime-node and agree with edgerun within 1 LSB of the output scale, and the options:
// keepFloat, io int8/uint8, strict, input left untouched, the CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../engine/onnx/import.js';
import { saveModel } from '../engine/onnx/export.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { EdgeRunError } from '../engine/errors.js';
import type { Graph } from '../engine/graph/ir.js';
import { quantizeWithReport, type QuantizeOptions, type QuantizeReport } from '../engine/compress/quantize.js';
import { quantizeFeed, dequantizeOutput } from '../engine/compress/io.js';
import { initializerBytes } from '../engine/compress/size.js';
import { main } from '../engine/cli/main.js';
import { argmaxRows, fixturePath, readFixture, readTensorFixture } from './helpers/fixtures.js';

const MODELS = ['digits_mlp', 'digits_lenet', 'digits_dscnn', 'digits_lstm'] as const;
const calibration = readTensorFixture('digits', 'digits_calib_x.pb');
const x = readTensorFixture('digits', 'digits_test_x.pb');
const labels = readTensorFixture('digits', 'digits_test_y.pb').toNumbers();
const graphs = new Map<string, Graph>();
for (const m of MODELS) graphs.set(m, await loadModel(readFixture('digits', `${m}.onnx`), m));

async function logits(model: Graph | Uint8Array, feed: Tensor = x, opts = {}): Promise<Tensor> {
  const s = await InferenceSession.create(model, opts);
  try {
    return (await s.run({ [s.inputNames[0]]: feed }))[s.outputNames[0]];
  } finally {
    await s.release();
  }
}

const accuracy = (t: Tensor) => (100 * argmaxRows(t).filter((c, i) => c === labels[i]).length) / labels.length;
const floatAcc = new Map<string, { acc: number; out: Tensor }>();
for (const m of MODELS) {
  const out = await logits(graphs.get(m)!);
  floatAcc.set(m, { acc: accuracy(out), out });
}

async function quantized(m: string, opts: Partial<QuantizeOptions>): Promise<{ graph: Graph; report: QuantizeReport; bytes: Uint8Array }> {
  const { graph, report } = await quantizeWithReport(graphs.get(m)!, { mode: 'int8', calibration, progressBar: false, ...opts } as QuantizeOptions);
  return { graph, report, bytes: saveModel(graph) };
}

/** The edgerun and onnxruntime outputs of a saved model, in LSBs of the output scale. */
async function ortLsbs(bytes: Uint8Array, scale: number, level: 'basic' | 'all', edgerunOpts = {}): Promise<number> {
  const ours = (await logits(bytes, x, edgerunOpts)).data as Float32Array;
  const so = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  const theirs = (await so.run({ [so.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) }))[so.outputNames[0]].data as Float32Array;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.round(Math.abs(ours[i] - theirs[i]) / scale));
  return worst;
}

const summary: string[] = [];

for (const m of MODELS) {
  test(`${m}: int8 (percentile) within 1 point, weights ≥ 3.9× smaller, onnxruntime agrees within 1 LSB`, async () => {
    const { graph, report, bytes } = await quantized(m, { method: 'percentile' });
    const acc = accuracy(await logits(bytes));
    const f = floatAcc.get(m)!.acc;
    assert.ok(Math.abs(acc - f) <= 1, `${m}: float ${f} %, int8 ${acc} %`);
    const [b0, b1] = [initializerBytes(graphs.get(m)!, { fold: true }), initializerBytes(await loadModel(bytes))];
    assert.ok(b0.weights / b1.weights >= 3.9, `weights ${b0.weights} → ${b1.weights} B`);
    // Integer kernels ran: the session's graph holds QConv/QGemm, no float Conv/Gemm/MatMul.
    const s = await InferenceSession.create(bytes);
    const ops = s.graph.nodes.map((n) => n.op);
    assert.ok(ops.includes('QGemm') && !ops.some((o) => ['Conv', 'Gemm', 'MatMul', 'FusedConv', 'FusedGemm'].includes(o)), ops.join(' '));
    await s.release();
    // onnxruntime, running the QDQ semantics (float requantization): within 1 LSB of the output
    // scale; edgerun's fused kernels requantize as TFLite does, so 'float' requantization is the
    // like-for-like comparison (see the next test for the TFLite rule).
    const scale = report.activations.find((a) => a.tensor === 'logits')!.scale;
    const lsb = await ortLsbs(bytes, scale, 'basic', { optimize: { fuseQdq: { requantize: 'float' } } });
    assert.ok(lsb <= 1, `${m}: ${lsb} LSB from onnxruntime`);
    const lsbTflite = await ortLsbs(bytes, scale, 'basic');
    summary.push(`${m}: float ${f.toFixed(2)} % → int8 ${acc.toFixed(2)} %; weights ${b0.weights} → ${b1.weights} B (${(b0.weights / b1.weights).toFixed(2)}×), all initializers ${b0.total} → ${b1.total} B (${(b0.total / b1.total).toFixed(2)}×); vs onnxruntime ${lsb} LSB (float requant) / ${lsbTflite} LSB (TFLite requant); float nodes: ${report.floatNodes.map((n) => n.op).join(', ') || 'none'}`);
    void graph;
  });
}

test('TFLite requantization vs onnxruntime: ≤ 2 LSB (1-LSB differences in inner layers add up); with reduceRange onnxruntime’s own int8 kernels agree too', async () => {
  for (const m of ['digits_lenet', 'digits_dscnn']) {
    const { report, bytes } = await quantized(m, { method: 'percentile', reduceRange: true });
    const scale = report.activations.find((a) => a.tensor === 'logits')!.scale;
    const all = await ortLsbs(bytes, scale, 'all');
    assert.ok(all <= 2, `${m}: ${all} LSB from onnxruntime's integer kernels`);
  }
});

for (const m of ['digits_lenet', 'digits_dscnn']) {
  test(`${m}: int8 with entropy calibration within 1 point`, async () => {
    const { bytes } = await quantized(m, { method: 'entropy' });
    const acc = accuracy(await logits(bytes));
    const f = floatAcc.get(m)!.acc;
    assert.ok(Math.abs(acc - f) <= 1, `${m}: float ${f} %, int8/entropy ${acc} %`);
    summary.push(`${m}: entropy calibration ${acc.toFixed(2)} %`);
  });
}

for (const m of MODELS) {
  test(`${m}: dynamic within 0.5 point, float16 same argmax on ≥ 99.7 %, weights 3.9× / 1.95× smaller, both run in onnxruntime`, async () => {
    const f = floatAcc.get(m)!;
    const dyn = await quantized(m, { mode: 'dynamic' });
    const half = await quantized(m, { mode: 'float16', calibration: undefined });
    const accDyn = accuracy(await logits(dyn.bytes));
    assert.ok(Math.abs(accDyn - f.acc) <= 0.5, `${m}: float ${f.acc} %, dynamic ${accDyn} %`);
    const h = await logits(half.bytes);
    const same = argmaxRows(h).filter((c, i) => c === argmaxRows(f.out)[i]).length / labels.length;
    assert.ok(same >= 0.997, `${m}: float16 agrees on ${same}`);
    const b0 = initializerBytes(graphs.get(m)!, { fold: true });
    const [bd, bh] = [initializerBytes(dyn.graph), initializerBytes(half.graph)];
    assert.ok(b0.weights / bd.weights >= 3.9 && b0.weights / bh.weights >= 1.95, `weights ${b0.weights} → dynamic ${bd.weights}, float16 ${bh.weights}`);
    for (const [bytes, tol] of [[dyn.bytes, 0.2], [half.bytes, 1e-4]] as const) {
      const so = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
      const theirs = (await so.run({ [so.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) }))[so.outputNames[0]].data as Float32Array;
      const ours = (await logits(bytes)).data as Float32Array;
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
      assert.ok(worst <= tol, `${m}: ${worst} from onnxruntime`);
    }
    summary.push(`${m}: dynamic ${accDyn.toFixed(2)} % (weights ${(b0.weights / bd.weights).toFixed(2)}×), float16 argmax agreement ${(100 * same).toFixed(2)} % (weights ${(b0.weights / bh.weights).toFixed(2)}×)`);
  });
}

test('the input graph is left untouched', async () => {
  const g = graphs.get('digits_dscnn')!;
  const before = saveModel(g);
  for (const mode of ['int8', 'dynamic', 'float16'] as const) await quantized('digits_dscnn', { mode, calibration: mode === 'float16' ? undefined : calibration });
  assert.ok(Buffer.from(saveModel(g)).equals(Buffer.from(before)), 'graph changed');
});

test('keepFloat keeps the named node in float; a missing name is an error', async () => {
  const { graph, report } = await quantized('digits_lenet', { keepFloat: ['/fc/Gemm'] });
  const fc = graph.nodes.find((n) => n.name === '/fc/Gemm')!;
  assert.is(fc.inputs[1]!.constant?.type, 'float32', 'float weights');
  assert.ok(report.floatNodes.some((f) => f.name === '/fc/Gemm' && /keepFloat/.test(f.reason)));
  const s = await InferenceSession.create(graph);
  assert.ok(s.graph.nodes.some((n) => n.op === 'Gemm' || n.op === 'FusedGemm'), 'runs in float');
  assert.ok(Math.abs(accuracy((await s.run({ input: x })).logits) - floatAcc.get('digits_lenet')!.acc) <= 1);
  await s.release();
  try {
    await quantized('digits_lenet', { keepFloat: ['/fc/Gemm', '/nope'] });
    assert.unreachable('missing node');
  } catch (e) {
    assert.ok(e instanceof EdgeRunError && e.code === 'InvalidArgument' && /'\/nope'/.test(e.message), (e as Error).message);
  }
});

for (const io of ['int8', 'uint8'] as const) {
  test(`io '${io}': integer input and output end to end, within 1 point, onnxruntime agrees`, async () => {
    const { graph, report, bytes } = await quantized('digits_lenet', { io });
    assert.is(graph.inputs[0].dtype, io);
    assert.is(graph.outputs[0].dtype, io);
    const feed = quantizeFeed(x, report.inputs[0]);
    const out = await logits(bytes, feed);
    assert.is(out.type, io);
    const real = new Tensor('float32', dequantizeOutput(out, report.outputs[0]), out.dims);
    assert.ok(Math.abs(accuracy(real) - floatAcc.get('digits_lenet')!.acc) <= 1);
    const s = await InferenceSession.create(bytes);
    assert.ok(!s.graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear'), s.graph.nodes.map((n) => n.op).join(' '));
    await s.release();
    const so = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic' });
    const Ctor = io === 'int8' ? Int8Array : Uint8Array;
    const theirs = (await so.run({ input: new ort.Tensor(io, feed.data as InstanceType<typeof Ctor>, [...feed.dims]) })).logits.data as Int8Array;
    const ours = out.data as Int8Array;
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    assert.ok(worst <= 1, `${worst} LSB`);
  });
}

test('strict: an op without an integer kernel is an error naming it', async () => {
  try {
    await quantized('digits_lstm', { strict: true });
    assert.unreachable('LSTM has no integer kernel');
  } catch (e) {
    assert.ok(e instanceof EdgeRunError && e.code === 'UnsupportedOperator' && /LSTM '\/rnn\/LSTM'/.test(e.message), (e as Error).message);
  }
  const { report } = await quantized('digits_lstm', {});
  assert.equal(report.floatNodes.map((f) => f.op), ['LSTM']);
  assert.ok(report.warnings.some((w) => /LSTM '\/rnn\/LSTM'/.test(w)));
});

test('option errors: int8 without calibration data, io with a weight-only mode', async () => {
  for (const [opts, pattern] of [[{ calibration: undefined }, /needs calibration data/], [{ mode: 'dynamic', io: 'int8' }, /needs mode 'int8'/]] as const) {
    try {
      await quantized('digits_mlp', opts as Partial<QuantizeOptions>);
      assert.unreachable(String(pattern));
    } catch (e) {
      assert.ok(e instanceof EdgeRunError && e.code === 'InvalidArgument' && pattern.test(e.message), (e as Error).message);
    }
  }
});

test('CLI: edgerun quantize writes the model and prints sizes, ranges and accuracy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgerun-q-'));
  const lines: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  console.error = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    const out = join(dir, 'mlp_int8.onnx');
    const d = (f: string) => fixturePath('digits', f);
    const code = await main(['quantize', d('digits_mlp.onnx'), '--mode', 'int8', '--calib', d('digits_calib_x.pb'), '--method', 'minmax', '--eval', d('digits_test_x.pb'), '--labels', d('digits_test_y.pb'), '-o', out]);
    assert.is(code, 0);
    const text = lines.join('\n');
    for (const want of [/file \(gzip\)/, /weights .* 4\.\d\d×   \(weight tensors/, /\/Relu_output_0/, /accuracy on 360 samples: float 96\.94 % → int8/]) assert.match(text, want);
    assert.ok((await loadModel(new Uint8Array(readFileSync(out)))).nodes.some((n) => n.op === 'QuantizeLinear'));
    lines.length = 0;
    assert.is(await main(['quantize', d('digits_mlp.onnx'), '--mode', 'int3', '-o', out]), 1);
    assert.match(lines.join('\n'), /--mode 'int3' is not one of int8, dynamic, float16/);
  } finally {
    console.log = log;
    console.error = error;
    rmSync(dir, { recursive: true, force: true });
  }
});

test.after(() => {
  console.log(`\n${summary.join('\n')}`);
});

test.run();
