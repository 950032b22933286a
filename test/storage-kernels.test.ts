// The CPU backend's sparse and codebook variants of Gemm / MatMul / Conv (engine/backends/cpu/ops/
// sparse-*.ts, codebook-gemm.ts): every variant, forced, on every build against a plain
// TypeScript oracle on random odd shapes (transB, alpha, beta·C, fused Relu, strides and pads);
// the measured choice and its report; bad policy input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { kernelChoices, formatKernelChoices, setSparseKernelPolicy } from '../engine/backends/cpu/ops/sparse-choice.js';
import type { KernelChoice } from '../kernels/sparse/choose.js';
import { assertClose } from './helpers/compare.js';
import { randomF32, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const rand = rng(777);

/** Pruned (to `zeros`) and clustered (`values` distinct nonzeros) random weights. */
function compressedWeights(n: number, zeros: number, values: number): Float32Array {
  const book = randomF32(rand, values);
  return Float32Array.from({ length: n }, () => (rand() < zeros ? 0 : book[randomInt(rand, 0, values - 1)]));
}

function withPolicy<T>(force: KernelChoice | null, fn: () => T, preferSmall = false): T {
  const old = setSparseKernelPolicy({ force, preferSmall });
  try {
    return fn();
  } finally {
    setSparseKernelPolicy(old);
  }
}

function runGraph(g: Graph, feed: Tensor, rt = RUNTIMES[0]): { y: Float32Array; graph: Graph } {
  const s = InferenceSession.createSync(g, { runtime: rt });
  const y = s.runSync({ x: feed }).y.data as Float32Array;
  void s.release();
  return { y, graph: s.graph };
}

/** Y = relu(alpha · X·op(W) + beta · c) in plain TypeScript. */
function gemmOracle(x: Float32Array, M: number, K: number, N: number, w: Float32Array, transB: boolean, alpha: number, beta: number, c: Float32Array, relu: boolean): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[transB ? n * K + k : k * N + n];
      const v = alpha * s + beta * c[n];
      y[m * N + n] = relu ? Math.max(0, v) : v;
    }
  }
  return y;
}

for (const kernel of ['csr', 'bsr1x4', 'codebook', 'dense'] as const) {
  test(`Gemm/MatMul on the ${kernel} kernel, every build, random odd shapes, against a TypeScript oracle`, () => {
    for (const rt of RUNTIMES) {
      for (let trial = 0; trial < 6; trial++) {
        const [M, K, N] = [randomInt(rand, 1, 17), randomInt(rand, 1, 65), randomInt(rand, 1, 33)];
        const transB = trial % 2 === 1;
        const relu = trial % 3 !== 0;
        const matmul = trial === 5;
        const [alpha, beta] = matmul ? [1, 0] : [trial === 2 ? 0.5 : 1, trial === 4 ? 2 : 1];
        const w = compressedWeights(K * N, 0.8, 7);
        const c = randomF32(rand, N);
        const b = new GraphBuilder('gemm', 17);
        const x = b.input('x', 'float32', [M, K]);
        const wv = b.constant(new Tensor('float32', w, transB && !matmul ? [N, K] : [K, N]), 'w');
        let y = matmul ? b.matmul(x, wv) : b.gemm(x, wv, b.constant(new Tensor('float32', c, [N]), 'c'), { transB: transB ? 1 : 0, alpha, beta });
        if (relu) y = b.relu(y);
        b.output(y, 'y');
        const feed = new Tensor('float32', randomF32(rand, M * K), [M, K]);
        const { y: got, graph } = withPolicy(kernel, () => runGraph(b.build(), feed, rt));
        const want = gemmOracle(feed.data as Float32Array, M, K, N, w, transB && !matmul, alpha, beta, c, relu);
        const where = `${rt.build} ${kernel} M${M} K${K} N${N}${transB ? ' transB' : ''}${matmul ? ' MatMul' : ''}`;
        assertClose(got, want, { atol: 1e-5, rtol: 1e-5 }, where);
        const choices = kernelChoices(graph);
        assert.is(choices.length, 1, where);
        assert.is(choices[0].kernel, kernel, where);
        assert.is(choices[0].batch, M, where);
      }
    }
  });
}

test('Conv (group 1) on the csr kernel, every build, strides / pads / dilations / 1-D, against the dense kernel', () => {
  for (const rt of RUNTIMES) {
    for (let trial = 0; trial < 5; trial++) {
      const oneD = trial === 4;
      const [N, C, H, W, M] = [randomInt(rand, 1, 2), randomInt(rand, 1, 9), oneD ? 1 : randomInt(rand, 5, 11), randomInt(rand, 3, 13), randomInt(rand, 1, 17)];
      const k = trial === 0 ? 1 : 3;
      const attrs = { strides: oneD ? [trial % 2 + 1] : [trial % 2 + 1, 1], pads: oneD ? [1, 1] : trial === 0 ? [0, 0, 0, 0] : [1, 0, 1, 1], dilations: oneD ? [1] : [1, trial === 3 ? 2 : 1] };
      const wdims = oneD ? [M, C, k] : [M, C, k, k];
      const size = wdims.reduce((a, d) => a * d, 1);
      const b = new GraphBuilder('conv', 17);
      const x = b.input('x', 'float32', oneD ? [N, C, W] : [N, C, H, W]);
      b.output(b.relu(b.conv(x, b.constant(new Tensor('float32', compressedWeights(size, 0.85, 9), wdims), 'w'), b.constant(new Tensor('float32', randomF32(rand, M), [M]), 'b'), attrs)), 'y');
      const g = b.build();
      const feed = new Tensor('float32', randomF32(rand, N * C * H * W), oneD ? [N, C, W] : [N, C, H, W]);
      const sparse = withPolicy('csr', () => runGraph(g, feed, rt));
      const dense = withPolicy('dense', () => runGraph(g, feed, rt));
      const where = `${rt.build} conv N${N} C${C} ${H}x${W} M${M} k${k} trial ${trial}`;
      assertClose(sparse.y, dense.y, { atol: 1e-5, rtol: 1e-5 }, where);
      assert.equal(kernelChoices(sparse.graph).map((c) => c.kernel), ['csr'], where);
      assert.equal(kernelChoices(dense.graph).map((c) => c.kernel), ['dense'], where);
    }
  }
});

test('measured choice: sparse where the table says it pays, dense otherwise, codebook when size is preferred; the report says why', () => {
  const gemm = (w: Float32Array, K: number, N: number, M: number) => {
    const b = new GraphBuilder('g', 17);
    b.output(b.gemm(b.input('x', 'float32', [M, K]), b.constant(new Tensor('float32', w, [K, N]), 'w')), 'y');
    return runGraph(b.build(), new Tensor('float32', randomF32(rand, M * K), [M, K])).graph;
  };
  const [K, N] = [256, 256];
  const sparse = kernelChoices(gemm(compressedWeights(K * N, 0.95, 15), K, N, 1))[0];
  assert.ok(sparse.kernel === 'csr' || sparse.kernel === 'bsr1x4', formatKernelChoices([sparse]));
  assert.ok(sparse.speedup >= 1.15 && /9\d\.\d % zeros/.test(sparse.reason), sparse.reason);
  const dense = kernelChoices(gemm(randomF32(rand, K * N), K, N, 16))[0];
  assert.is(dense.kernel, 'dense');
  assert.match(dense.reason, /no format is ≥ 1\.15× faster/);
  const clustered = compressedWeights(K * N, 0, 16);
  assert.is(kernelChoices(gemm(clustered, K, N, 4))[0].kernel, 'dense', 'the codebook kernel is slower on this machine');
  assert.is(withPolicy(null, () => kernelChoices(gemm(clustered, K, N, 4)), true)[0].kernel, 'codebook');
  expectEdgeRunError(() => setSparseKernelPolicy({ force: 'bsr2x2' as never }), 'InvalidArgument', /bsr2x2/);
});

test.run();
