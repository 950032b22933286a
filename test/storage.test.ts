// Compact storage of pruned and clustered weights (engine/onnx/sparse-export.ts): every form
// decodes bit-exactly on random tensors (per tensor / per channel, with and without the mask,
// float32 and int8, −0 and NaN included); pruned models as sparse initializers load in edgerun
// and onnxruntime; clustered models as ai.edgerun.CodebookDecode round-trip with identical
// outputs, and `decompress` makes a standard file onnxruntime runs with the same weights;
// malformed CodebookDecode nodes fail with EdgeRunError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { importModel } from '../engine/onnx/import.js';
import { saveModel, saveModelWithReport } from '../engine/onnx/export.js';
import { compactGraph } from '../engine/onnx/sparse-export.js';
import { decodeModelProto } from '../engine/onnx/proto.js';
import { decompress } from '../engine/compress/decompress.js';
import { pruneWithReport } from '../engine/compress/prune.js';
import { clusterWithReport } from '../engine/compress/cluster.js';
import { packIndices } from '../engine/compress/codebook.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { readFixture, readTensorFixture } from './helpers/fixtures.js';
import { randomF32, randomInt, rng } from './helpers/random.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const rand = rng(2024);
const testX = readTensorFixture('digits', 'digits_test_x.pb');
const mlp = importModel(readFixture('digits', 'digits_mlp.onnx'));
const lenet = importModel(readFixture('digits', 'digits_lenet.onnx'));

function run(g: Graph, x = testX): Float32Array {
  const s = InferenceSession.createSync(g);
  return s.runSync({ [s.inputNames[0]]: x })[s.outputNames[0]].data as Float32Array;
}

async function runOrt(bytes: Uint8Array, x = testX): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  return (await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) }))[s.outputNames[0]].data as Float32Array;
}

function bits(a: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(a).buffer));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A Gemm (transB) whose weight is `w` [N, K]: the weight is a layer weight the saver considers. */
function gemmGraph(w: Tensor): Graph {
  const b = new GraphBuilder('g', 17);
  const x = b.input('x', 'float32', [2, w.dims[1]]);
  b.output(b.gemm(x, b.constant(w, 'w'), undefined, { transB: 1 }), 'y');
  return b.build();
}

function weightOf(g: Graph, name: string): Tensor {
  return g.constants().find((v) => v.name === name)!.constant!;
}

test('every form decodes bit-exactly: random shapes, per tensor and per channel, zeros masked or not, −0 and NaN kept', () => {
  for (let trial = 0; trial < 24; trial++) {
    const [N, K] = [randomInt(rand, 1, 33), randomInt(rand, 3, 65)];
    const values = randomInt(rand, 1, trial % 3 === 0 ? 200 : 15);
    const pool = Float32Array.from(randomF32(rand, values), (v, i) => (i === 0 ? -0 : i === 1 && trial % 4 === 0 ? NaN : v));
    const perChannel = trial % 2 === 1;
    const zeros = [0, 0.5, 0.85][trial % 3];
    const data = new Float32Array(N * K);
    for (let n = 0; n < N; n++) {
      // Per channel: each output row draws from its own slice of values, so only a per-channel codebook is small.
      const offset = perChannel ? n * 7 : 0;
      for (let k = 0; k < K; k++) data[n * K + k] = rand() < zeros ? 0 : perChannel ? offset + pool[randomInt(rand, 0, values - 1)] : pool[randomInt(rand, 0, values - 1)];
    }
    const g = gemmGraph(new Tensor('float32', data, [N, K]));
    const where = `trial ${trial}: [${N}, ${K}], ${values} values, ${zeros} zeros${perChannel ? ', per channel' : ''}`;
    const { bytes, weights } = saveModelWithReport(g, { codebook: true, sparse: true });
    const back = importModel(bytes);
    const folded = decompress(back);
    assert.equal(bits(weightOf(folded, 'w').data as Float32Array), bits(data), `${where}: ${weights[0]?.form ?? 'small'}`);
    if (weights[0] && N * K >= 64 && values <= 15) assert.ok(weights[0].form !== 'dense', `${where}: stored ${weights[0].form}`);
  }
  // 32 output channels with 4 values each, different in every channel: only per channel is small.
  const rows = Float32Array.from({ length: 32 * 40 }, (_, i) => Math.floor(i / 40) * 10 + (i % 4));
  const per = saveModelWithReport(gemmGraph(new Tensor('float32', rows, [32, 40])), { codebook: true }).weights[0];
  assert.equal([per.form, per.axis, per.entries, per.bits], ['codebook', 0, 4, 2]);
  assert.is(per.bytes, 32 * 4 * 4 + (32 * 40) / 4);
  // int8 weights behind DequantizeLinear (what quantized models store).
  const q = new Int8Array(40 * 9).map(() => (rand() < 0.7 ? 0 : randomInt(rand, -5, 5) * 20));
  const b = new GraphBuilder('q', 17);
  const x = b.input('x', 'float32', [1, 9]);
  const [w] = b.node('DequantizeLinear', [b.constant(new Tensor('int8', q, [40, 9]), 'wq'), b.constant(new Tensor('float32', [0.01], []), 's')]);
  b.output(b.gemm(x, w, undefined, { transB: 1 }), 'y');
  const { bytes, weights } = saveModelWithReport(b.build(), { codebook: true });
  assert.is(weights[0].form, 'codebook+rice-huffman');
  assert.ok(weights[0].bytes < 40 * 9 / 2, `${weights[0].bytes} B for 360 int8 weights, 70 % zero`);
  assert.equal([...(weightOf(decompress(importModel(bytes)), 'wq').data as Int8Array)], [...q]);
});

for (const [model, g] of [['digits_mlp', mlp], ['digits_lenet', lenet]] as const) {
  test(`${model}: pruned → sparse initializers (standard ONNX): identical in edgerun, onnxruntime loads and agrees`, async () => {
    const pruned = pruneWithReport(g, { sparsity: 0.8 }).graph;
    const before = g.constants().map((v) => v.constant);
    const { bytes, weights } = saveModelWithReport(pruned, { sparse: true });
    assert.ok(g.constants().every((v, i) => v.constant === before[i]), 'input untouched');
    const proto = decodeModelProto(bytes);
    assert.is(proto.graph!.sparseInitializer.length, weights.filter((w) => w.form === 'sparse').length);
    assert.ok(proto.graph!.sparseInitializer.length >= 2);
    for (const s of proto.graph!.sparseInitializer) assert.is(s.indices!.dataType, 7, 'int64 indices (the ONNX checker requires them)');
    assert.ok(bytes.length < saveModel(pruned).length, 'smaller than dense');
    const ours = run(pruned);
    assert.equal(bits(run(importModel(bytes))), bits(ours), 'identical after save → load');
    const theirs = await runOrt(bytes);
    assert.ok(maxDiff(theirs, ours) < 1e-4, `onnxruntime differs by ${maxDiff(theirs, ours)}`);
    // A threshold above the zero fraction keeps the weights dense; one below makes them sparse even when larger.
    assert.ok(saveModelWithReport(pruned, { sparse: 0.9 }).weights.every((w) => w.form === 'dense'));
    assert.ok(saveModelWithReport(pruned, { sparse: 0.5 }).weights.filter((w) => w.form === 'sparse').length >= 2);
  });

  test(`${model}: clustered → CodebookDecode: identical after save → load; decompress → onnxruntime, same weights`, async () => {
    const clustered = clusterWithReport(pruneWithReport(g, { sparsity: 0.7 }).graph, { clusters: 16, preserveSparsity: true }).graph;
    const { bytes, weights } = saveModelWithReport(clustered, { codebook: true, sparse: true });
    const loaded = importModel(bytes);
    assert.ok(loaded.nodes.some((n) => n.op === 'CodebookDecode' && n.domain === 'ai.edgerun'));
    assert.ok(weights.some((w) => w.form === 'codebook+rice-huffman'), weights.map((w) => w.form).join());
    const stored = weights.reduce((s, w) => s + w.bytes, 0);
    const dense = weights.reduce((s, w) => s + w.denseBytes, 0);
    assert.ok(stored * 10 < dense, `${stored} B stored for ${dense} B of float32`);
    const ours = run(clustered);
    assert.equal(bits(run(loaded)), bits(ours), 'identical after save → load');
    const plain = saveModel(decompress(loaded));
    assert.ok(!decodeModelProto(plain).graph!.node.some((n) => n.domain === 'ai.edgerun'));
    for (const v of clustered.constants()) assert.equal(bits(weightOf(importModel(plain), v.name).data as Float32Array), bits(v.constant!.data as Float32Array), v.name);
    const theirs = await runOrt(plain);
    assert.ok(maxDiff(theirs, ours) < 1e-4, `onnxruntime differs by ${maxDiff(theirs, ours)}`);
  });
}

/** A graph computing y = CodebookDecode(...) directly, to test the op on hand-made inputs. */
function decoder(inputs: (Tensor | null)[], attrs: Record<string, number | number[]>): Graph {
  const b = new GraphBuilder('cb', 17);
  const x = b.input('x', 'float32', [1]);
  const ins = inputs.map((t, i) => (t ? b.constant(t, `in${i}`) : null));
  const [y] = b.node('CodebookDecode', ins, attrs, { domain: 'ai.edgerun' });
  b.output(y, 'y');
  b.output(b.op('Identity', [x]), 'x_out');
  return b.build();
}

function decodeWith(inputs: (Tensor | null)[], attrs: Record<string, number | number[]>): Tensor {
  return InferenceSession.createSync(decoder(inputs, attrs)).runSync({ x: new Tensor('float32', [0], [1]) }).y;
}

test('CodebookDecode: per-channel codebook, mask, int8 codebook with a scale', () => {
  const u8 = (a: number[]) => new Tensor('uint8', a, [a.length]);
  // [2, 3] per channel along axis 0, 2-bit indices.
  const book = new Tensor('float32', [1, 2, 3, 10, 20, 30], [2, 3]);
  const y = decodeWith([book, u8([...packIndices([0, 1, 2, 2, 1, 0], 2)])], { shape: [2, 3], bits: 2, axis: 0 });
  assert.equal([...(y.data as Float32Array)], [1, 2, 3, 30, 20, 10]);
  // Mask 0b1010_0101 over 8 elements: elements 0, 2, 5, 7 stored.
  const m = decodeWith([new Tensor('float32', [-1, 4], [2]), u8([...packIndices([1, 0, 1, 1], 4)]), u8([0b10100101])], { shape: [8], bits: 4 });
  assert.equal([...(m.data as Float32Array)], [4, 0, -1, 0, 0, 4, 0, 4]);
  // int8 codebook + per-channel scale → float32; without the scale the output is int8.
  const s = decodeWith([new Tensor('int8', [-2, 3, 5, 7], [2, 2]), u8([...packIndices([0, 1, 1, 0], 8)]), null, new Tensor('float32', [0.5, 2], [2])], { shape: [2, 2], bits: 8, axis: 1 });
  assert.is(s.type, 'float32');
  assert.equal([...(s.data as Float32Array)], [-1, 14, 1.5, 10]);
  const i8 = decodeWith([new Tensor('int8', [-2, 3], [2]), u8([0b0100])], { shape: [2], bits: 2 });
  assert.is(i8.type, 'int8');
  assert.equal([...(i8.data as Int8Array)], [-2, 3]);
});

test('bad input → EdgeRunError: indices out of range, wrong output shape, malformed attributes and options', () => {
  const u8 = (a: number[]) => new Tensor('uint8', a, [a.length]);
  const book = new Tensor('float32', [1, 2, 3], [3]);
  const make = (inputs: (Tensor | null)[], attrs: Record<string, number | number[]>) => () => InferenceSession.createSync(decoder(inputs, attrs));
  expectEdgeRunError(make([book, u8([...packIndices([0, 3], 2)])], { shape: [2], bits: 2 }), 'InvalidModel', /index 3 of element 1 is out of range for a codebook of 3 entries/);
  expectEdgeRunError(make([book, u8([0, 0])], { shape: [2], bits: 4 }), 'ShapeMismatch', /indices hold 2 bytes; 2 4-bit indices .* need 1/);
  expectEdgeRunError(make([book, u8([0])], { shape: [4, 4], bits: 4 }), 'ShapeMismatch', /need 8/);
  expectEdgeRunError(make([book, u8([0]), u8([1, 0])], { shape: [2], bits: 4 }), 'ShapeMismatch', /mask has 2 bytes/);
  expectEdgeRunError(make([new Tensor('float32', new Float32Array(5), [5]), u8([0])], { shape: [2], bits: 2 }), 'InvalidModel', /5 entries; 2-bit indices/);
  expectEdgeRunError(make([book, u8([0])], { shape: [2], bits: 3 }), 'InvalidModel', /bits = 3/);
  expectEdgeRunError(make([book, u8([0])], { shape: [2], bits: 2, axis: 0 }), 'ShapeMismatch', /rank 2/);
  expectEdgeRunError(make([new Tensor('float32', [1, 2, 3, 4], [2, 2]), u8([0])], { shape: [3, 1], bits: 2, axis: 0 }), 'ShapeMismatch', /2 channels/);
  expectEdgeRunError(make([new Tensor('float32', [1, 2], [1, 2]), u8([0])], { shape: [2], bits: 2, axis: 3 }), 'InvalidModel', /axis = 3/);
  expectEdgeRunError(make([book, u8([0]), null, new Tensor('float32', [1], [])], { shape: [2], bits: 2 }), 'DTypeMismatch', /int8 codebook/);
  expectEdgeRunError(make([new Tensor('int32', [1], [1]), u8([0])], { shape: [2], bits: 2 }), 'DTypeMismatch', /input 0/);
  expectEdgeRunError(() => saveModel(mlp, { sparse: 1 }), 'InvalidArgument', /sparse 1/);
  expectEdgeRunError(() => saveModel(mlp, { sparse: -0.5 }), 'InvalidArgument', /sparse -0.5/);
  expectEdgeRunError(() => compactGraph(mlp, { codebook: 'yes' as never }), 'InvalidArgument', /codebook yes/);
});

test.run();
