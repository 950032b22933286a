// Filter pruning: the rewritten graph is smaller and dense, runs the same in onnxruntime, and —
// where the removed filters were all zeros to begin with — computes exactly what the original did.
import * as ort from 'onnxruntime-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { importModel } from '../engine/onnx/import.js';
import { saveModel } from '../engine/onnx/export.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { accuracy, weightBytes } from '../engine/compress/evaluate.js';
import { pruneWithReport } from '../engine/compress/prune.js';
import { pruneFilters } from '../engine/compress/prune-structured.js';
import { assertClose } from './helpers/compare.js';
import { readFixture, readTensorFixture } from './helpers/fixtures.js';
import { randomF32, rng } from './helpers/random.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const rand = rng(777);
const lenet = importModel(readFixture('digits', 'digits_lenet.onnx'));
const testX = readTensorFixture('digits', 'digits_test_x.pb');
const testY = readTensorFixture('digits', 'digits_test_y.pb');
const calibX = readTensorFixture('digits', 'digits_calib_x.pb');

function run(g: Graph, feeds: Record<string, Tensor>): Float32Array {
  const s = InferenceSession.createSync(g);
  return s.runSync(feeds)[s.outputNames[0]].data as Float32Array;
}

function zeroChannels(data: Float32Array, dims: number[], axis: number, channels: number[]): Float32Array {
  const out = Float32Array.from(data);
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  for (let i = 0; i < out.length; i++) if (channels.includes(Math.floor(i / inner) % dims[axis])) out[i] = 0;
  return out;
}

const weightShapes = (g: Graph) => g.constants().filter((v) => v.constant!.dims.length > 1).map((v) => [v.name, [...v.constant!.dims]]);

test('LeNet with half its conv filters removed: a smaller dense graph that onnxruntime runs the same', async () => {
  const before = lenet.constants().map((v) => v.constant);
  const options = { sparsity: 0.5, pattern: { kind: 'filters', norm: 'l1' }, layers: ['/c1/Conv', '/c2/Conv'] } as const;
  const plain = pruneWithReport(lenet, options);
  const { graph, report } = pruneWithReport(lenet, { ...options, calibration: calibX });
  assert.ok(lenet.constants().every((v, i) => v.constant === before[i]), 'input graph untouched');
  for (const g of [plain.graph, graph]) {
    assert.equal(weightShapes(g), [['c1.weight', [8, 1, 3, 3]], ['onnx::Conv_24', [16, 8, 3, 3]], ['fc.weight', [10, 64]]]);
  }
  assert.equal(report.layers.map((l) => [l.kept.length, l.refit]), [[8, ['/c2/Conv']], [16, ['/fc/Gemm']]]);
  assert.ok(weightBytes(graph) < weightBytes(lenet) / 3, `${weightBytes(graph)} vs ${weightBytes(lenet)} bytes`);
  for (const g of [plain.graph, graph]) {
    const session = await ort.InferenceSession.create(saveModel(g));
    const theirs = (await session.run({ input: new ort.Tensor('float32', testX.data as Float32Array, [...testX.dims]) })).logits.data as Float32Array;
    assertClose(run(g, { input: testX }), theirs, { rtol: 1e-4, atol: 1e-4 }, 'edgerun vs onnxruntime');
  }
  const [accPlain, accRefit] = [accuracy(plain.graph, testX, testY), accuracy(graph, testX, testY)];
  console.log(`  LeNet, 50 % of conv filters removed (L1): accuracy ${(accPlain * 100).toFixed(1)} %, with the next layers re-fitted ${(accRefit * 100).toFixed(1)} % (float 99.2 %); weights ${report.weightsAfter} of ${report.weightsBefore}`);
  assert.ok(accRefit >= 0.95, `re-fitted accuracy ${accRefit}`);
  assert.ok(accRefit > accPlain + 0.3, `re-fit ${accRefit} vs plain ${accPlain}`);
});

test('removing all-zero filters through BatchNorm, a depthwise conv and Flatten → Gemm changes nothing', () => {
  const C = 8;
  const dead = [1, 4, 6];
  const b = new GraphBuilder('dwnet', 17);
  const x = b.input('x', 'float32', [2, 3, 6, 6]);
  const w0 = new Tensor('float32', zeroChannels(randomF32(rand, C * 27), [C, 3, 3, 3], 0, dead), [C, 3, 3, 3]);
  const b0 = new Tensor('float32', zeroChannels(randomF32(rand, C), [C], 0, dead), [C]);
  let h = b.conv(x, w0, b0, { pads: [1, 1, 1, 1] });
  const bnScale = new Tensor('float32', randomF32(rand, C, 0.5, 1.5), [C]);
  const bnBias = new Tensor('float32', zeroChannels(randomF32(rand, C), [C], 0, dead), [C]);
  const bnMean = new Tensor('float32', zeroChannels(randomF32(rand, C), [C], 0, dead), [C]);
  const bnVar = new Tensor('float32', randomF32(rand, C, 0.5, 2), [C]);
  h = b.relu(b.batchNorm(h, bnScale, bnBias, bnMean, bnVar));
  const dw = new Tensor('float32', randomF32(rand, C * 9), [C, 1, 3, 3]);
  const dwBias = new Tensor('float32', zeroChannels(randomF32(rand, C), [C], 0, dead), [C]);
  h = b.relu(b.conv(h, dw, dwBias, { pads: [1, 1, 1, 1], group: C }));
  h = b.maxPool(h, [2, 2], { strides: [2, 2] });
  const f = b.flatten(h);
  b.output(b.gemm(f, new Tensor('float32', randomF32(rand, 5 * C * 9), [5, C * 9]), new Tensor('float32', randomF32(rand, 5), [5]), { transB: 1 }), 'y');
  const g = b.build();
  const { graph, report } = pruneFilters(g, { perLayer: { [g.nodes[0].name]: dead.length / C }, norm: 'l2' });
  assert.equal(report.layers[0].kept, [0, 2, 3, 5, 7]);
  assert.equal(graph.nodes.find((n) => n.op === 'Conv' && n.int('group', 1) > 1)!.int('group'), 5);
  assert.equal(weightShapes(graph).map(([, d]) => d), [[5, 3, 3, 3], [5, 1, 3, 3], [5, 45]]);
  const feeds = { x: new Tensor('float32', randomF32(rand, 2 * 3 * 36), [2, 3, 6, 6]) };
  assertClose(run(graph, feeds), run(g, feeds), { rtol: 1e-5, atol: 1e-6 }, 'pruned vs original');
});

test('removing all-zero neurons of a Gemm → Relu → Gemm changes nothing; the last layer is skipped', () => {
  const b = new GraphBuilder('mlp', 17);
  const x = b.input('x', 'float32', ['batch', 6]);
  const w1 = new Tensor('float32', zeroChannels(randomF32(rand, 10 * 6), [10, 6], 0, [0, 9]), [10, 6]);
  const b1 = new Tensor('float32', zeroChannels(randomF32(rand, 10), [10], 0, [0, 9]), [10]);
  const h = b.relu(b.gemm(x, w1, b1, { transB: 1 }));
  b.output(b.gemm(h, new Tensor('float32', randomF32(rand, 10 * 3), [10, 3])), 'y');
  const g = b.build();
  const { graph, report } = pruneFilters(g, { sparsity: 0.2 });
  assert.equal(report.layers.map((l) => l.kept), [[1, 2, 3, 4, 5, 6, 7, 8]]);
  assert.match(report.skipped[0].reason, /graph output 'y'/);
  const feeds = { x: new Tensor('float32', randomF32(rand, 4 * 6), [4, 6]) };
  assertClose(run(graph, feeds), run(g, feeds), { rtol: 1e-5, atol: 1e-6 }, 'pruned vs original');
});

test('channels feeding a residual Add are skipped (and named layers are an error)', () => {
  const b = new GraphBuilder('res', 17);
  const x = b.input('x', 'float32', [1, 4, 5, 5]);
  const a = b.relu(b.conv(x, new Tensor('float32', randomF32(rand, 4 * 4 * 9), [4, 4, 3, 3]), undefined, { pads: [1, 1, 1, 1] }));
  const c = b.conv(a, new Tensor('float32', randomF32(rand, 4 * 4 * 9), [4, 4, 3, 3]), undefined, { pads: [1, 1, 1, 1] });
  b.output(b.add(c, x), 'y');
  const g = b.build();
  const { report } = pruneFilters(g, { sparsity: 0.5 });
  assert.equal(report.layers.map((l) => l.name), [g.nodes[0].name]);
  assert.match(report.skipped[0].reason, /Add/);
  expectEdgeRunError(() => pruneFilters(g, { sparsity: 0.5, layers: [g.nodes[2].name] }), 'UnsupportedFeature', /Add/);
});

test('bad input → EdgeRunError', () => {
  expectEdgeRunError(() => pruneFilters(lenet, { perLayer: { '/c1/Conv': 0.99 } }), 'InvalidArgument', /zero-width/);
  expectEdgeRunError(() => pruneFilters(lenet, { sparsity: 1 }), 'InvalidArgument', /sparsity/);
  expectEdgeRunError(() => pruneFilters(lenet, { sparsity: 0.5, norm: 'l3' as never }), 'InvalidArgument', /norm/);
  expectEdgeRunError(() => pruneFilters(lenet, { sparsity: 0.5, layers: ['conv9'] }), 'InvalidArgument', /conv9/);
  expectEdgeRunError(() => pruneFilters(lenet, {}), 'InvalidArgument', /fraction/);
});

test.run();
