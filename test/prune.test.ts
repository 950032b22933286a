// Pruning masks and pruneWithReport(): tfmot's mask rule, block and N:M patterns checked against brute-force
// twins written here, the graph rewrite (new tensors, exact zeros, input untouched), the re-fit,
// schedules, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { importModel } from '../engine/onnx/import.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { accuracy, weightBytes } from '../engine/compress/evaluate.js';
import { blockMask, keepCount, magnitudeMask, nmMask, nmMaskFlatK } from '../engine/compress/prune-magnitude.js';
import { pruneWithReport } from '../engine/compress/prune.js';
import { choleskySolve } from '../engine/compress/prune-refit.js';
import { ConstantSparsity, PolynomialDecay } from '../engine/compress/schedule.js';
import { findLayerWeights } from '../engine/compress/weights.js';
import { assertClose } from './helpers/compare.js';
import { readFixture, readTensorFixture } from './helpers/fixtures.js';
import { randomF32, rng } from './helpers/random.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const rand = rng(4242);
const mlp = importModel(readFixture('digits', 'digits_mlp.onnx'));
const lenet = importModel(readFixture('digits', 'digits_lenet.onnx'));
const testX = readTensorFixture('digits', 'digits_test_x.pb');
const testY = readTensorFixture('digits', 'digits_test_y.pb');
const calibX = readTensorFixture('digits', 'digits_calib_x.pb');

/** Every constant's data, copied: to prove a graph was not touched. */
function snapshot(g: Graph): Map<string, { tensor: Tensor; data: number[] }> {
  return new Map(g.constants().map((v) => [v.name, { tensor: v.constant!, data: v.constant!.toNumbers() }]));
}

function assertUntouched(g: Graph, before: Map<string, { tensor: Tensor; data: number[] }>): void {
  for (const v of g.constants()) {
    const b = before.get(v.name)!;
    assert.ok(v.constant === b.tensor, `${v.name}: the input graph's Value now holds another tensor`);
    assert.equal(v.constant!.toNumbers(), b.data, `${v.name}: the input graph's tensor data changed`);
  }
}

function weight(g: Graph, name: string): Float32Array {
  return g.constants().find((v) => v.name === name)!.constant!.data as Float32Array;
}

test('magnitude mask keeps exactly max(1, round(size·(1−s))) of the largest |w|', () => {
  for (const size of [1, 3, 7, 64, 1000]) {
    for (const s of [0, 0.1, 0.5, 0.8, 0.99]) {
      const w = randomF32(rand, size, -2, 2);
      const mask = magnitudeMask(w, s);
      const k = Math.max(1, Math.round(size * (1 - s)));
      assert.is(keepCount(size, s), k);
      assert.is(mask.reduce((a, b) => a + b, 0), k, `size ${size} s ${s}`);
      // Brute force: every kept |w| ≥ every pruned |w|.
      let minKept = Infinity;
      let maxPruned = -Infinity;
      w.forEach((x, i) => (mask[i] ? (minKept = Math.min(minKept, Math.abs(x))) : (maxPruned = Math.max(maxPruned, Math.abs(x)))));
      assert.ok(minKept >= maxPruned, `size ${size} s ${s}: kept ${minKept} < pruned ${maxPruned}`);
    }
  }
  // Ties: still exactly k, the earlier positions first.
  assert.equal([...magnitudeMask(new Float32Array([1, -1, 1, 1]), 0.5)], [1, 1, 0, 0]);
});

test('block mask: whole [k × n] blocks survive, ranked by AVG or MAX of |w| (brute-force twin)', () => {
  // Gemm weight [N=6, K=8] with transB: output axis 0. Blocks [1, 4] = 1 input × 4 outputs.
  for (const [block, pooling] of [[[1, 4], 'avg'], [[1, 4], 'max'], [[4, 4], 'avg'], [[2, 3], 'max']] as const) {
    const [N, K] = [6, 8];
    const w = randomF32(rand, N * K, -1, 1);
    const mask = blockMask(w, [N, K], 0, block as [number, number], pooling, 0.5);
    const [bk, bn] = block;
    const pooled = new Map<string, number[]>();
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const key = `${Math.floor(k / bk)},${Math.floor(n / bn)}`;
        pooled.set(key, [...(pooled.get(key) ?? []), n * K + k]);
      }
    }
    const score = (idx: number[]) => (pooling === 'max' ? Math.max(...idx.map((i) => Math.abs(w[i]))) : idx.reduce((s, i) => s + Math.abs(w[i]), 0) / idx.length);
    const blocks = [...pooled.values()];
    const keep = Math.max(1, Math.round(blocks.length * 0.5));
    const threshold = blocks.map(score).sort((a, b) => b - a)[keep - 1];
    let kept = 0;
    for (const idx of blocks) {
      const m = idx.map((i) => mask[i]);
      assert.ok(m.every((x) => x === m[0]), `block ${block} ${pooling}: a block was split`);
      if (m[0]) {
        kept++;
        assert.ok(score(idx) >= threshold);
      } else assert.ok(score(idx) <= threshold);
    }
    assert.is(kept, keep);
  }
});

test('2:4 masks: at most 2 survivors in each group of 4 along input channels (or along k), the largest', () => {
  // Conv weight [M=3, C=8, 3, 3]: groups run over c at fixed (m, ky, kx).
  const dims = [3, 8, 3, 3];
  const w = randomF32(rand, 3 * 8 * 9, -1, 1);
  const mask = nmMask(w, dims, 1, 2, 4);
  for (let m = 0; m < 3; m++) {
    for (let p = 0; p < 9; p++) {
      for (let g = 0; g < 8; g += 4) {
        const idx = [0, 1, 2, 3].map((j) => (m * 8 + g + j) * 9 + p);
        assert.is(idx.filter((i) => mask[i]).length, 2);
        const kept = idx.filter((i) => mask[i]).map((i) => Math.abs(w[i]));
        const dropped = idx.filter((i) => !mask[i]).map((i) => Math.abs(w[i]));
        assert.ok(Math.min(...kept) >= Math.max(...dropped));
      }
    }
  }
  const flat = nmMaskFlatK(w, dims, 0, 2, 4);
  for (let g = 0; g < w.length; g += 4) assert.is(flat[g] + flat[g + 1] + flat[g + 2] + flat[g + 3], 2, `flat group at ${g}`);
  expectEdgeRunError(() => nmMask(w, dims, 1, 2, 3), 'InvalidArgument', /multiple of m = 3/);
});

test('pruneWithReport(): a new graph with exact zeros where the masks say, the input graph untouched', () => {
  const before = snapshot(mlp);
  const { graph, report } = pruneWithReport(mlp, { sparsity: 0.8 });
  assertUntouched(mlp, before);
  assert.is(report.layers.length, 3);
  for (const l of report.layers) {
    const w = weight(graph, l.weight);
    const orig = before.get(l.weight)!.data;
    w.forEach((x, i) => assert.is(x, l.mask[i] ? orig[i] : 0, `${l.name}[${i}]`));
    assert.is(l.zeros, l.size - keepCount(l.size, 0.8));
  }
  assert.ok(Math.abs(report.sparsity - 0.8) < 1e-3, `overall ${report.sparsity}`);
  // Biases are not layer weights: unchanged and shared.
  assert.ok(graph.constants().find((v) => v.name === 'f1.bias')!.constant === before.get('f1.bias')!.tensor);
});

test('pruneWithReport(): perLayer targets, global scope, block and 2:4 patterns, skipped layers', () => {
  const per = pruneWithReport(mlp, { perLayer: { '/f1/Gemm': 0.9, 'f3.weight': 0.5 } });
  assert.equal(per.report.layers.map((l) => [l.name, l.target]), [['/f1/Gemm', 0.9], ['/f3/Gemm', 0.5]]);
  const global = pruneWithReport(mlp, { sparsity: 0.7, scope: 'global' });
  const zeros = global.report.layers.reduce((s, l) => s + l.zeros, 0);
  assert.is(zeros, global.report.prunable - keepCount(global.report.prunable, 0.7));
  const block = pruneWithReport(mlp, { sparsity: 0.75, pattern: { kind: 'block', block: [1, 4], pooling: 'max' } });
  // f3 has 10 outputs: its last row of blocks is 2 wide, so its sparsity is only close to the target.
  assert.ok(block.report.layers.every((l) => Math.abs(l.sparsity - 0.75) < 0.05), block.report.layers.map((l) => l.sparsity).join(' '));
  // LeNet's first conv has one input channel: 2:4 along channels skips it (and says why).
  const nm = pruneWithReport(lenet, { pattern: { kind: 'nm', n: 2, m: 4 } });
  assert.equal(nm.report.layers.map((l) => l.name), ['/c2/Conv', '/fc/Gemm']);
  assert.match(nm.report.skipped[0].reason, /input channels \(1\)/);
  assert.ok(nm.report.layers.every((l) => l.sparsity === 0.5));
  // Asking for it by name is an error instead.
  expectEdgeRunError(() => pruneWithReport(lenet, { pattern: { kind: 'nm', n: 2, m: 4 }, layers: ['/c1/Conv'] }), 'UnsupportedFeature', /c1\/Conv/);
});

test('pruneWithReport() with calibration: activation-aware scores and the re-fit beat plain magnitude pruning', () => {
  const plain = accuracy(pruneWithReport(lenet, { perLayer: { '/c2/Conv': 0.85 } }).graph, testX, testY);
  const { graph, report } = pruneWithReport(lenet, { perLayer: { '/c2/Conv': 0.85 }, calibration: calibX });
  const refit = accuracy(graph, testX, testY);
  assert.ok(report.layers[0].refit);
  assert.is(report.layers[0].zeros, report.layers[0].size - keepCount(report.layers[0].size, 0.85), 're-fit keeps the zeros');
  assert.ok(refit > plain + 0.05, `re-fit ${refit} vs plain ${plain}`);
});

test('re-fit solves the least-squares problem (Cholesky against a direct check)', () => {
  const n = 5;
  const m = randomF32(rand, n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += m[i * n + k] * m[j * n + k];
  for (let i = 0; i < n; i++) a[i * n + i] += 0.1;
  const b = Float64Array.from(randomF32(rand, n));
  const x = choleskySolve(a, b, n)!;
  const ax = Array.from({ length: n }, (_, i) => x.reduce((s, xj, j) => s + a[i * n + j] * xj, 0));
  assertClose(ax, Array.from(b), { rtol: 1e-9, atol: 1e-12 }, 'A·x');
  assert.is(choleskySolve(new Float64Array([1, 2, 2, 1]), new Float64Array([1, 1]), 2), null, 'indefinite');
});

test('pruned graphs run and compute the dense product of the pruned weights', () => {
  const b = new GraphBuilder('dense', 17);
  const x = b.input('x', 'float32', [2, 8]);
  const w = new Tensor('float32', randomF32(rand, 4 * 8), [4, 8]);
  b.output(b.gemm(x, w, undefined, { transB: 1 }), 'y');
  const g = b.build();
  const { graph, report } = pruneWithReport(g, { sparsity: 0.5 });
  const xs = randomF32(rand, 16);
  const y = InferenceSession.createSync(graph).runSync({ x: new Tensor('float32', xs, [2, 8]) }).y.data as Float32Array;
  const wd = w.data as Float32Array;
  const expected = [0, 1].flatMap((r) => [0, 1, 2, 3].map((o) => [...Array(8).keys()].reduce((s, k) => s + xs[r * 8 + k] * (report.layers[0].mask[o * 8 + k] ? wd[o * 8 + k] : 0), 0)));
  assertClose(y, expected, { rtol: 1e-5, atol: 1e-6 }, 'pruned Gemm');
});

test('weight layout: which initializers are layer weights and where their channels are', () => {
  const layers = findLayerWeights(lenet);
  assert.equal(layers.map((l) => [l.name, l.outAxis, l.inAxis]), [['/c1/Conv', 0, 1], ['/c2/Conv', 0, 1], ['/fc/Gemm', 0, 1]]);
  const b = new GraphBuilder('kinds', 17);
  const x = b.input('x', 'float32', [3, 4]);
  const h = b.gemm(x, new Tensor('float32', randomF32(rand, 20), [4, 5]));
  b.output(b.matmul(h, new Tensor('float32', randomF32(rand, 10), [5, 2])), 'y');
  assert.equal(findLayerWeights(b.build()).map((l) => [l.op, l.outAxis, l.inAxis]), [['Gemm', 1, 0], ['MatMul', 1, 0]]);
});

test('evaluate: accuracy of the float digits models and float32 weight bytes', () => {
  assert.ok(Math.abs(accuracy(mlp, testX, testY) - 0.969) < 0.001);
  assert.ok(Math.abs(accuracy(lenet, testX, testY, { batch: 7 }) - 0.992) < 0.001);
  const elements = mlp.constants().reduce((s, v) => s + v.constant!.size, 0);
  assert.is(weightBytes(mlp), 4 * elements);
  expectEdgeRunError(() => accuracy(mlp, testX, [1, 2, 3]), 'ShapeMismatch', /labels/);
  expectEdgeRunError(() => accuracy(mlp, testX, testY, { outputName: 'nope' }), 'InvalidArgument', /nope/);
});

test('schedules: ConstantSparsity and PolynomialDecay follow tfmot', () => {
  const c = new ConstantSparsity(0.5, 10, 50, 20);
  assert.equal([0, 10, 20, 30, 50, 70].map((t) => c.at(t).prune), [false, true, false, true, true, false]);
  assert.is(c.at(30).sparsity, 0.5);
  const p = new PolynomialDecay(0.2, 0.8, 0, 100, 3, 10);
  assert.ok(Math.abs(p.sparsityAt(0) - 0.2) < 1e-12);
  assert.ok(Math.abs(p.sparsityAt(50) - (0.8 + (0.2 - 0.8) * 0.125)) < 1e-12);
  assert.is(p.sparsityAt(100), 0.8);
  assert.is(p.sparsityAt(500), 0.8);
  assert.equal([0, 5, 10, 100, 110].map((t) => p.at(t).prune), [true, false, true, true, false]);
  assert.ok(new PolynomialDecay(0, 0.9, 0, 10, 1).sparsityAt(5) === 0.45, 'power 1 is linear');
  expectEdgeRunError(() => new PolynomialDecay(0.2, 1, 0, 100), 'InvalidArgument', /finalSparsity/);
  expectEdgeRunError(() => new PolynomialDecay(0.2, 0.5, 10, 10), 'InvalidArgument', /endStep/);
  expectEdgeRunError(() => new ConstantSparsity(0.5, 0, -1, 0), 'InvalidArgument', /frequency/);
  expectEdgeRunError(() => c.at(-1), 'InvalidArgument', /step/);
});

test('bad input → EdgeRunError, the input graph untouched', () => {
  const before = snapshot(mlp);
  for (const s of [-0.1, 1, 1.5, NaN]) expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: s }), 'InvalidArgument', /sparsity/);
  expectEdgeRunError(() => pruneWithReport(mlp, { perLayer: { '/f1/Gemm': 1 } }), 'InvalidArgument', /f1\/Gemm/);
  expectEdgeRunError(() => pruneWithReport(mlp, { perLayer: { nope: 0.5 } }), 'InvalidArgument', /no prunable layer named 'nope'/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, layers: ['nope'] }), 'InvalidArgument', /'nope'/);
  expectEdgeRunError(() => pruneWithReport(mlp, {}), 'InvalidArgument', /target sparsity/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, pattern: { kind: 'diagonal' } as never }), 'InvalidArgument', /unknown pattern/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, pattern: { kind: 'block', block: [0, 4] } }), 'InvalidArgument', /block/);
  expectEdgeRunError(() => pruneWithReport(mlp, { pattern: { kind: 'nm', n: 4, m: 4 } }), 'InvalidArgument', /1 ≤ n < m/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, pattern: { kind: 'nm', n: 2, m: 4 } }), 'InvalidArgument', /fixes the sparsity/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, scope: 'global', pattern: { kind: 'block', block: [1, 4] } }), 'InvalidArgument', /global/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, refit: true }), 'InvalidArgument', /calibration/);
  expectEdgeRunError(() => pruneWithReport(mlp, { sparsity: 0.5, calibration: new Tensor('int32', [1], [1]) }), 'InvalidArgument', /calibration/);
  assertUntouched(mlp, before);
});

test.run();
