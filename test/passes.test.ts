// Each graph pass on its own: the rewritten graph has the expected structure and computes the
// same outputs as the original.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { foldConstants } from '../engine/passes/constant-folding.js';
import { foldBatchNorm } from '../engine/passes/fold-batchnorm.js';
import { fuseActivations } from '../engine/passes/fuse-activations.js';
import { cpuEvaluator } from '../engine/backends/cpu/evaluate.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { importModel } from '../engine/onnx/import.js';
import { assertClose } from './helpers/compare.js';
import { readFixture } from './helpers/fixtures.js';
import { randomF32, rng } from './helpers/random.js';
import { RUNTIMES } from './helpers/runtimes.js';

const rt = RUNTIMES[0];
const rand = rng(99);

async function run(graph: Graph, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const s = await InferenceSession.create(graph, { runtime: rt, optimize: false });
  return s.run(feeds);
}

function ops(g: Graph): string[] {
  return g.nodes.map((n) => (n.domain ? `${n.domain}.${n.op}` : n.op));
}

test('constant folding turns a Shape → Gather → Unsqueeze → Concat chain into a constant Reshape', async () => {
  const b = new GraphBuilder('chain', 13);
  const x = b.input('x', 'float32', [2, 3, 4]);
  const shape = b.op('Shape', [x]);
  const first = b.op('Gather', [shape, new Tensor('int64', [0n], [])], { axis: 0 });
  const dim = b.op('Unsqueeze', [first, new Tensor('int64', [0n], [1])]);
  const target = b.op('Concat', [dim, new Tensor('int64', [-1n], [1])], { axis: 0 });
  b.output(b.op('Reshape', [x, target]), 'y');
  const g = b.build();
  const folded = foldConstants(g, cpuEvaluator(rt));
  assert.equal(ops(folded), ['Reshape']);
  assert.equal(folded.nodes[0].inputs[1]!.constant!.toNumbers(), [2, -1]);
  assert.equal(ops(g), ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape'], 'the input graph is untouched');
  const feed = { x: new Tensor('float32', randomF32(rand, 24), [2, 3, 4]) };
  const [a, c] = [await run(g, feed), await run(folded, feed)];
  assert.equal([...c.y.dims], [2, 12]);
  assert.equal(Array.from(c.y.data as Float32Array), Array.from(a.y.data as Float32Array));
});

test('constant folding leaves symbolic-batch chains for plan time (digits LSTM)', () => {
  const g = importModel(readFixture('digits', 'digits_lstm.onnx'), 'digits_lstm');
  const folded = foldConstants(g, cpuEvaluator(rt));
  assert.ok(folded.nodes.length < g.nodes.length, `${folded.nodes.length} < ${g.nodes.length}`);
  assert.ok(!ops(folded).includes('Constant'), 'Constant nodes became initializers');
  assert.ok(ops(folded).includes('Shape'), 'the batch-dependent Shape stays');
});

function convBnGraph(withRelu: boolean): Graph {
  const b = new GraphBuilder('convbn', 13);
  const x = b.input('x', 'float32', ['N', 3, 9, 9]);
  const w = new Tensor('float32', randomF32(rand, 8 * 3 * 9), [8, 3, 3, 3]);
  const bias = new Tensor('float32', randomF32(rand, 8), [8]);
  const conv = b.conv(x, w, bias, { pads: [1, 1, 1, 1] });
  const bn = b.batchNorm(
    conv,
    new Tensor('float32', randomF32(rand, 8, 0.5, 1.5), [8]),
    new Tensor('float32', randomF32(rand, 8), [8]),
    new Tensor('float32', randomF32(rand, 8), [8]),
    new Tensor('float32', randomF32(rand, 8, 0.2, 2), [8]),
    1e-3,
  );
  b.output(withRelu ? b.relu(bn) : bn, 'y');
  return b.build();
}

test('BatchNorm folds into the preceding Conv with the same outputs', async () => {
  const g = convBnGraph(false);
  const folded = foldBatchNorm(g);
  assert.equal(ops(folded), ['Conv']);
  const feed = { x: new Tensor('float32', randomF32(rand, 2 * 3 * 81), [2, 3, 9, 9]) };
  const [a, c] = [await run(g, feed), await run(folded, feed)];
  assertClose(c.y.data as Float32Array, a.y.data as Float32Array, { rtol: 1e-5, atol: 1e-5 }, 'conv+bn folded');
});

test('BatchNorm folds into a Gemm (transB both ways)', async () => {
  for (const transB of [0, 1]) {
    const b = new GraphBuilder('gemmbn', 13);
    const x = b.input('x', 'float32', ['N', 6]);
    const w = new Tensor('float32', randomF32(rand, 30), transB ? [5, 6] : [6, 5]);
    const y = b.gemm(x, w, new Tensor('float32', randomF32(rand, 5), [5]), { transB, alpha: 0.5, beta: 2 });
    const bn = b.batchNorm(y, new Tensor('float32', randomF32(rand, 5), [5]), new Tensor('float32', randomF32(rand, 5), [5]), new Tensor('float32', randomF32(rand, 5), [5]), new Tensor('float32', randomF32(rand, 5, 0.5, 2), [5]));
    b.output(bn, 'out');
    const g = b.build();
    const folded = foldBatchNorm(g);
    assert.equal(ops(folded), ['Gemm']);
    const feed = { x: new Tensor('float32', randomF32(rand, 18), [3, 6]) };
    const [p, q] = [await run(g, feed), await run(folded, feed)];
    assertClose(q.out.data as Float32Array, p.out.data as Float32Array, { rtol: 1e-5, atol: 1e-5 }, `gemm+bn transB=${transB}`);
  }
});

test('activations fuse into FusedConv / FusedGemm and compute the same', async () => {
  const g = foldBatchNorm(convBnGraph(true));
  const fused = fuseActivations(g);
  assert.equal(ops(fused), ['ai.edgerun.FusedConv']);
  assert.is(fused.nodes[0].string('activation'), 'Relu');
  const feed = { x: new Tensor('float32', randomF32(rand, 3 * 81), [1, 3, 9, 9]) };
  const [a, c] = [await run(g, feed), await run(fused, feed)];
  assertClose(c.y.data as Float32Array, a.y.data as Float32Array, { rtol: 1e-6, atol: 1e-6 }, 'conv+relu fused');

  for (const [op, attrs, extra] of [
    ['Clip', {}, [new Tensor('float32', [0], []), new Tensor('float32', [6], [])]],
    ['LeakyRelu', { alpha: 0.2 }, []],
    ['HardSigmoid', { alpha: 0.3, beta: 0.4 }, []],
    ['Sigmoid', {}, []],
    ['Tanh', {}, []],
    ['HardSwish', {}, []],
  ] as const) {
    const b = new GraphBuilder('gemmact', 14);
    const x = b.input('x', 'float32', [4, 6]);
    const y = b.gemm(x, new Tensor('float32', randomF32(rand, 30, -2, 2), [6, 5]), new Tensor('float32', randomF32(rand, 5), [5]));
    b.output(b.op(op, [y, ...extra], attrs as Record<string, number>), 'out');
    const base = b.build();
    const f = fuseActivations(base);
    assert.equal(ops(f), ['ai.edgerun.FusedGemm'], op);
    const feeds = { x: new Tensor('float32', randomF32(rand, 24, -3, 3), [4, 6]) };
    const [p, q] = [await run(base, feeds), await run(f, feeds)];
    assertClose(q.out.data as Float32Array, p.out.data as Float32Array, { rtol: 1e-5, atol: 1e-6 }, `gemm+${op}`);
  }
});

test('no fusion when the conv output has a second reader or is a graph output', () => {
  const b = new GraphBuilder('branch', 13);
  const x = b.input('x', 'float32', [1, 3, 5, 5]);
  const c = b.conv(x, new Tensor('float32', randomF32(rand, 27), [1, 3, 3, 3]));
  b.output(b.relu(c), 'a');
  b.output(b.sigmoid(c), 'b');
  assert.equal(ops(fuseActivations(b.build())), ['Conv', 'Relu', 'Sigmoid']);
});

test('the memory plan of the digits models and MobileNetV2 stays within 1.1× of the lower bound', async () => {
  for (const [dir, name, dims] of [
    ['digits', 'digits_lenet', [16, 1, 8, 8]],
    ['digits', 'digits_dscnn', [16, 1, 8, 8]],
    ['reference-architectures', 'mobilenet_v2', [1, 3, 224, 224]],
  ] as const) {
    const s = await InferenceSession.create(readFixture(dir, `${name}.onnx`), { runtime: rt });
    const n = (dims as readonly number[]).reduce((p, d) => p * d, 1);
    await s.run({ [s.inputNames[0]]: new Tensor('float32', randomF32(rand, n), [...dims]) });
    const m = s.memory!;
    assert.ok(m.peak <= 1.1 * m.lowerBound, `${name}: peak ${m.peak} vs lower bound ${m.lowerBound}`);
    assert.ok(m.peak >= m.lowerBound);
  }
});

test.run();
