// Weight clustering: k-means on data with a known answer, every init, codebook packing, the
// clustered graph (≤ k distinct values per tensor or channel, zeros kept with preserveSparsity),
// digits accuracy with 16 clusters, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { Tensor } from '../engine/tensor.js';
import { importModel } from '../engine/onnx/import.js';
import { accuracy } from '../engine/compress/evaluate.js';
import { clusterWithReport } from '../engine/compress/cluster.js';
import { decodeCodebook, packIndices, unpackIndices } from '../engine/compress/codebook.js';
import { CENTROID_INITS, kmeans1d, nearestCentroid } from '../engine/compress/kmeans.js';
import { pruneWithReport } from '../engine/compress/prune.js';
import { readFixture, readTensorFixture } from './helpers/fixtures.js';
import { randomF32, randomInt, rng } from './helpers/random.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const rand = rng(31337);
const mlp = importModel(readFixture('digits', 'digits_mlp.onnx'));
const lenet = importModel(readFixture('digits', 'digits_lenet.onnx'));
const testX = readTensorFixture('digits', 'digits_test_x.pb');
const testY = readTensorFixture('digits', 'digits_test_y.pb');

function weight(g: Graph, name: string): Float32Array {
  return g.constants().find((v) => v.name === name)!.constant!.data as Float32Array;
}

test('k-means finds well-separated groups with every init', () => {
  const centers = [-3, -1, 0.5, 4];
  const values: number[] = [];
  for (const c of centers) for (let i = 0; i < 50; i++) values.push(c + (rand() - 0.5) * 0.2);
  const means = centers.map((_, j) => values.slice(j * 50, j * 50 + 50).reduce((a, b) => a + b, 0) / 50);
  for (const init of CENTROID_INITS) {
    const r = kmeans1d(values, 4, { init, seed: 5 });
    assert.ok(r.converged, init);
    // Lloyd's fixed point on separated groups: each centroid is its group's mean.
    r.centroids.forEach((c, j) => assert.ok(Math.abs(c - means[j]) < 1e-9, `${init}: centroid ${j} = ${c}, mean ${means[j]}`));
    const inertia = values.reduce((s, v) => s + (v - r.centroids[nearestCentroid(r.centroids, v)]) ** 2, 0);
    assert.ok(Math.abs(inertia - r.inertia) < 1e-9 * values.length, `${init}: inertia`);
  }
  // Same seed, same answer; k-means++ needs its seed.
  const noisy = Array.from({ length: 300 }, () => rand() * 2 - 1);
  assert.equal([...kmeans1d(noisy, 7, { init: 'kmeans++', seed: 3 }).centroids], [...kmeans1d(noisy, 7, { init: 'kmeans++', seed: 3 }).centroids]);
});

test('k-means with as many clusters as distinct values puts one centroid on each', () => {
  const r = kmeans1d([2, 2, 5, 5, 5, 9, 1], 4, { init: 'random', seed: 1 });
  assert.equal([...r.centroids], [1, 2, 5, 9]);
  assert.is(r.inertia, 0);
});

test('index packing: 2, 4 and 8 bits, little-endian within a byte', () => {
  assert.equal([...packIndices([1, 2, 3, 0, 3], 2)], [0b00111001, 0b11]);
  assert.equal([...packIndices([0xa, 0x5, 0xf], 4)], [0x5a, 0x0f]);
  for (const bits of [2, 4, 8] as const) {
    const n = randomInt(rand, 1, 40);
    const idx = Array.from({ length: n }, () => randomInt(rand, 0, (1 << bits) - 1));
    assert.equal([...unpackIndices(packIndices(idx, bits), bits, n)], idx, `${bits} bits, ${n} indices`);
  }
  expectEdgeRunError(() => packIndices([4], 2), 'InvalidArgument', /2 bits/);
  expectEdgeRunError(() => unpackIndices(new Uint8Array(1), 4, 3), 'ShapeMismatch', /3 4-bit/);
});

test('clusterWithReport(): ≤ k distinct values per tensor, codebook + indices decode to the new weights, input untouched', () => {
  const original = new Map(mlp.constants().map((v) => [v.name, Float32Array.from(v.constant!.data as Float32Array)]));
  const { graph, report } = clusterWithReport(mlp, { clusters: 8 });
  for (const v of mlp.constants()) assert.equal(v.constant!.data, original.get(v.name), `${v.name} untouched`);
  assert.is(report.layers.length, 3);
  for (const l of report.layers) {
    const w = weight(graph, l.weight);
    assert.ok(new Set(w).size <= 8, `${l.name}: ${new Set(w).size} distinct values`);
    assert.is(l.bits, 4);
    assert.equal(decodeCodebook(l), w, `${l.name}: decode`);
    // Each weight went to its nearest centroid.
    const orig = original.get(l.weight)!;
    const book = [...l.codebook].sort((a, b) => a - b);
    for (let i = 0; i < w.length; i += 13) assert.is(w[i], Math.fround(book[nearestCentroid(book, orig[i])]), `${l.name}[${i}]`);
  }
  assert.ok(report.codebookBytes < report.denseBytes / 7);
});

test('clusterWithReport(): per channel, and preserveSparsity keeps pruned zeros at exactly 0 (codebook[0])', () => {
  const per = clusterWithReport(lenet, { clusters: 4, perChannel: true, init: 'linear', layers: ['/c2/Conv', '/fc/Gemm'] });
  for (const l of per.report.layers) {
    const w = weight(per.graph, l.weight);
    const channels = l.shape[0];
    const inner = w.length / channels;
    assert.is(l.codebook.length, channels * 4);
    for (let c = 0; c < channels; c++) assert.ok(new Set(w.subarray(c * inner, (c + 1) * inner)).size <= 4, `${l.name} channel ${c}`);
    assert.equal(decodeCodebook(l), w);
  }
  const pruned = pruneWithReport(mlp, { sparsity: 0.7 });
  const { graph, report } = clusterWithReport(pruned.graph, { clusters: 16, preserveSparsity: true, init: 'density' });
  report.layers.forEach((l, i) => {
    const mask = pruned.report.layers[i].mask;
    const w = weight(graph, l.weight);
    assert.is(l.codebook[0], 0);
    w.forEach((x, j) => assert.ok(mask[j] ? x !== 0 : Object.is(x, 0), `${l.name}[${j}]: ${x} (mask ${mask[j]})`));
  });
});

for (const [model, g] of [['digits_mlp', mlp], ['digits_lenet', lenet]] as const) {
  test(`${model}: 16 clusters per layer stay within 1 point of float`, () => {
    const floatAcc = accuracy(g, testX, testY);
    const { graph, report } = clusterWithReport(g, { clusters: 16 });
    const acc = accuracy(graph, testX, testY);
    console.log(`  ${model}: 16 clusters (k-means++): accuracy ${(acc * 100).toFixed(1)} % vs float ${(floatAcc * 100).toFixed(1)} %; ${report.codebookBytes} B of codebooks + 4-bit indices for ${report.denseBytes} B of float32`);
    assert.ok(floatAcc - acc <= 0.01, `${acc} vs ${floatAcc}`);
  });
}

test('bad input → EdgeRunError, the input graph untouched', () => {
  const before = mlp.constants().map((v) => v.constant);
  expectEdgeRunError(() => clusterWithReport(mlp, { clusters: 1 }), 'InvalidArgument', /clusters 1/);
  expectEdgeRunError(() => clusterWithReport(mlp, { clusters: 300 }), 'InvalidArgument', /clusters 300/);
  expectEdgeRunError(() => clusterWithReport(mlp, { clusters: 2.5 }), 'InvalidArgument', /clusters 2.5/);
  // LeNet's first conv has 9 weights per filter: 16 clusters per channel cannot be.
  expectEdgeRunError(() => clusterWithReport(lenet, { clusters: 16, perChannel: true, layers: ['/c1/Conv'] }), 'InvalidArgument', /c1\/Conv' channel 0 has 9 distinct weights/);
  expectEdgeRunError(() => clusterWithReport(mlp, { clusters: 8, init: 'kmeans' as never }), 'InvalidArgument', /unknown init 'kmeans'/);
  expectEdgeRunError(() => clusterWithReport(mlp, { clusters: 8, layers: ['f9'] }), 'InvalidArgument', /'f9'/);
  // An LSTM's W stacks the gates of every direction: no output-channel axis for a per-channel codebook.
  const b = new GraphBuilder('lstm', 17);
  const x = b.input('x', 'float32', [3, 1, 2]);
  const [y] = b.lstm(x, new Tensor('float32', randomF32(rand, 16 * 2), [1, 16, 2]), new Tensor('float32', randomF32(rand, 16 * 4), [1, 16, 4]), undefined, 4);
  b.output(y, 'y');
  const lstm = b.build();
  const recurrent = lstm.nodes[0].name;
  expectEdgeRunError(() => clusterWithReport(lstm, { clusters: 4, perChannel: true, layers: [recurrent] }), 'InvalidArgument', /needs output channels/);
  assert.equal(clusterWithReport(lstm, { clusters: 4, perChannel: true }).report.skipped.length, 2, 'W and R skipped when not named');
  assert.ok(mlp.constants().every((v, i) => v.constant === before[i]));
});

test.run();
