// Sparse weights vs edgerun's own dense kernels (the `edgerun-dense` peer comes first, so
// `ratio` = dense ÷ sparse) on the same numbers, plus onnxruntime-web running the dense
// model with the zeros (it has no sparse kernel) as the output check.
//  - Gemm 1024×1024 at batch 1 and 16: unstructured (csr) at 70 % and 90 % zeros, BSR 1×4 at
//    80 % zero blocks;
//  - 1×1 convolutions of MobileNetV2 at 80 % zeros (Fast Sparse ConvNets' setting).
// printCrossovers() (end of file) measures the speedup table kernels/sparse/choose.ts decides by.
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';
import { denseGemmPeer, gemmBuffers, matMulOnnx } from '../weight-gemm.js';
import { conv2dF32Ptr, packConv2dF32 } from '../../kernels/conv.js';
import { gemmF32Ptr, packGemmF32 } from '../../kernels/gemm.js';
import type { Runtime } from '../../kernels/runtime.js';
import { packSparseConv2d, sparseConv2dF32Ptr } from '../../kernels/sparse/conv.js';
import { packSparseGemm, spmmF32Ptr, type SparseFormat } from '../../kernels/sparse/spmm.js';

/** Weights in [-1, 1] with a seeded fraction of zeros; `block` consecutive output columns share a zero/nonzero fate. */
export function prunedWeights(K: number, N: number, sparsity: number, seed: number, block = 1): Float32Array {
  const w = seededFloats(K * N, seed);
  const fate = seededFloats(K * Math.ceil(N / block), seed + 1, 0, 1);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) if (fate[k * Math.ceil(N / block) + Math.floor(n / block)] < sparsity) w[k * N + n] = 0;
  }
  return w;
}


export function spmmCase(n: number, sparsity: number, batch: number, format: SparseFormat = 'csr'): BenchCase {
  const K = n;
  const N = n;
  const block = format === 'csr' ? 1 : 4;
  const w = prunedWeights(K, N, sparsity, 31, block);
  const a = seededFloats(batch * K, 33);
  const label = format === 'csr' ? 'spmm f32' : `spmm ${format} f32`;
  return {
    name: `${label} ${n} sparsity ${sparsity} batch ${batch}`,
    flops: 2 * batch * K * N * (1 - sparsity),
    tolerance: { rtol: 1e-5, atol: 1e-6 * n },
    edgerun(rt) {
      const packed = packSparseGemm(rt, w, K, N, { format });
      const b = gemmBuffers(rt, a, batch, K, N, 'spmm bench');
      return {
        run: () => spmmF32Ptr(rt, batch, b.aPtr, K, packed, b.cPtr, N),
        output: () => rt.arena.f32(b.cPtr, batch * N).slice(),
        dispose: () => { b.free(); packed.free(); },
      };
    },
    edgerunPeers: { 'edgerun-dense': denseGemmPeer(w, a, batch, K, N, 'spmm bench dense') },
    onnx: matMulOnnx(w, a, batch, K, N),
  };
}

/**
 * The weights streaming from memory, as a real model's do once it is larger than the cache:
 * `layers` distinct n×n Gemms chained (x → W1 → W2 → …), batch 1, so one run touches every
 * matrix once (16 dense 1024² float32 matrices are 64 MiB, twice this machine's 32 MiB L3; the
 * sparse ones ~7–30 MiB). Weights scaled by √(3 / nonzeros per column) to keep the activations
 * near unit size through the chain.
 */
export function spmmStreamingCase(n: number, sparsity: number, layers: number, format: SparseFormat = 'csr'): BenchCase {
  const block = format === 'csr' ? 1 : 4;
  const gain = Math.sqrt(3 / (n * (1 - sparsity)));
  const ws = Array.from({ length: layers }, (_, i) => prunedWeights(n, n, sparsity, 71 + 2 * i, block).map((v) => v * gain));
  const a = seededFloats(n, 35);
  const label = format === 'csr' ? 'spmm f32' : `spmm ${format} f32`;
  // Ping-pong between two activation rows: layer i reads one and writes the other.
  const chain = (rt: Runtime, step: (i: number, x: number, y: number) => void) => {
    const bufs = [rt.arena.alloc(n * 4, 'spmm chain A'), rt.arena.alloc(n * 4, 'spmm chain B')];
    return {
      run: () => {
        rt.arena.f32(bufs[0], n).set(a);
        for (let i = 0; i < layers; i++) step(i, bufs[i & 1], bufs[(i + 1) & 1]);
      },
      out: bufs[layers & 1],
      free: () => bufs.forEach((b) => rt.arena.free(b)),
    };
  };
  return {
    name: `${label} ${n} sparsity ${sparsity} batch 1, ${layers} layers streamed from memory`,
    flops: 2 * layers * n * n * (1 - sparsity),
    tolerance: { rtol: 1e-4, atol: 1e-5 },
    edgerun(rt) {
      const packed = ws.map((w) => packSparseGemm(rt, w, n, n, { format }));
      const c = chain(rt, (i, x, y) => spmmF32Ptr(rt, 1, x, n, packed[i], y, n));
      return {
        run: c.run,
        output: () => rt.arena.f32(c.out, n).slice(),
        dispose: () => { c.free(); packed.forEach((p) => p.free()); },
      };
    },
    edgerunPeers: {
      'edgerun-dense': (rt) => {
        const packed = ws.map((w) => packGemmF32(rt, w, n, n));
        const c = chain(rt, (i, x, y) => gemmF32Ptr(rt, 1, x, n, packed[i], y, n));
        return { run: c.run, dispose: () => { c.free(); packed.forEach((p) => p.free()); } };
      },
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'X', dims: [1, n] }],
        outputs: [{ name: `Y${layers}`, dims: [1, n] }],
        initializers: ws.map((w, i) => ({ name: `W${i + 1}`, dims: [n, n], data: w })),
        nodes: ws.map((_, i) => ({ op: 'MatMul', inputs: [i === 0 ? 'X' : `Y${i}`, `W${i + 1}`], outputs: [`Y${i + 1}`] })),
      }),
      feeds: { X: { dims: [1, n], data: a } },
    }),
  };
}

/** A pointwise convolution C → M on H×W, weights pruned to `sparsity`, bias, ReLU6 as in MobileNetV2. */
export function sparseConv1x1Case(C: number, H: number, W: number, M: number, sparsity: number): BenchCase {
  const inputDims = [1, C, H, W];
  const weightDims = [M, C, 1, 1];
  const input = seededFloats(C * H * W, 41);
  const weight = prunedWeights(M, C, sparsity, 42).map((v) => v * 0.1);
  const bias = seededFloats(M, 43);
  const outLen = M * H * W;
  const buffers = (rt: Runtime) => {
    const inPtr = rt.arena.alloc(input.length * 4, 'sparse conv bench input');
    const outPtr = rt.arena.alloc(outLen * 4, 'sparse conv bench output');
    rt.arena.f32(inPtr, input.length).set(input);
    return { inPtr, outPtr, free: () => { rt.arena.free(outPtr); rt.arena.free(inPtr); } };
  };
  return {
    name: `spmm conv1x1 f32 1x${C}x${H}x${W} to ${M} sparsity ${sparsity}`,
    flops: 2 * M * C * H * W * (1 - sparsity),
    edgerun(rt) {
      const packed = packSparseConv2d(rt, weight, weightDims, { bias });
      const b = buffers(rt);
      return {
        run: () => sparseConv2dF32Ptr(rt, b.inPtr, inputDims, packed, b.outPtr),
        output: () => rt.arena.f32(b.outPtr, outLen).slice(),
        dispose: () => { b.free(); packed.free(); },
      };
    },
    edgerunPeers: {
      'edgerun-dense': (rt) => {
        const packed = packConv2dF32(rt, weight, weightDims, { bias });
        const b = buffers(rt);
        return { run: () => conv2dF32Ptr(rt, b.inPtr, inputDims, packed, b.outPtr), dispose: () => { b.free(); packed.free(); } };
      },
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'X', dims: inputDims }],
        outputs: [{ name: 'Y', dims: [1, M, H, W] }],
        initializers: [
          { name: 'W', dims: weightDims, data: weight },
          { name: 'B', dims: [M], data: bias },
        ],
        nodes: [{ op: 'Conv', inputs: ['X', 'W', 'B'], outputs: ['Y'], attrs: { kernel_shape: [1, 1] } }],
      }),
      feeds: { X: { dims: inputDims, data: input } },
    }),
  };
}

export const cases: BenchCase[] = [
  spmmCase(1024, 0.7, 1),
  spmmCase(1024, 0.9, 1),
  spmmCase(1024, 0.7, 16),
  spmmCase(1024, 0.9, 16),
  spmmCase(1024, 0.8, 1, 'bsr1x4'),
  spmmCase(1024, 0.8, 16, 'bsr1x4'),
  // The same Gemms with the weights out of cache (additions; the names above stay as they are).
  spmmStreamingCase(1024, 0.7, 16),
  spmmStreamingCase(1024, 0.9, 16),
  spmmStreamingCase(1024, 0.8, 16, 'bsr1x4'),
  // MobileNetV2's pointwise convolutions (projection and expansion layers) at 80 % zeros.
  sparseConv1x1Case(96, 56, 56, 24, 0.8),
  sparseConv1x1Case(144, 28, 28, 32, 0.8),
  sparseConv1x1Case(576, 14, 14, 96, 0.8),
  sparseConv1x1Case(32, 112, 112, 16, 0.8),
  sparseConv1x1Case(960, 7, 7, 160, 0.8),
];

/** Median µs per call of each function, measured in alternating rounds (the cores are shared: a
 * burst of load then hits every variant alike). */
function alternate(fns: Record<string, () => void>, rounds = 9, msPerRound = 40): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(fns)) {
    samples[name] = [];
    const t = performance.now();
    while (performance.now() - t < 200) fn(); // past V8's Liftoff tier
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      let it = 0;
      const t = performance.now();
      while (performance.now() - t < msPerRound) { fn(); it++; }
      samples[name].push(((performance.now() - t) / it) * 1000);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(samples)) out[name] = s.sort((x, y) => x - y)[s.length >> 1];
  return out;
}

/**
 * The crossover table of kernels/sparse/choose.ts: dense ÷ sparse time of a 1024×1024 Gemm
 * per format, sparsity (zero blocks for bsr1x4) and batch, on one build. Run with
 *   node --import tsx -e "import('./bench/cases/sparse.ts').then((m) => m.printCrossovers('relaxed'))"
 */
export async function printCrossovers(build: 'relaxed' | 'baseline' = 'relaxed'): Promise<void> {
  const { enableRelaxedSimdInNode } = await import('../../engine/platform.js');
  const { createRuntimeSync } = await import('../../kernels/runtime.js');
  await enableRelaxedSimdInNode();
  const rt = createRuntimeSync(build);
  const n = 1024;
  const sparsities = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
  const dense = packGemmF32(rt, prunedWeights(n, n, 0, 61), n, n);
  const table: Record<string, Record<number, number[]>> = {};
  for (const batch of [1, 16]) {
    const b = gemmBuffers(rt, seededFloats(batch * n, 62), batch, n, n, 'spmm bench');
    for (const format of ['csr', 'bsr1x4'] as const) {
      const row: number[] = [];
      for (const s of sparsities) {
        const packed = packSparseGemm(rt, prunedWeights(n, n, s, 63, format === 'csr' ? 1 : 4), n, n, { format });
        const t = alternate({
          dense: () => gemmF32Ptr(rt, batch, b.aPtr, n, dense, b.cPtr, n),
          sparse: () => spmmF32Ptr(rt, batch, b.aPtr, n, packed, b.cPtr, n),
        });
        row.push(Number((t.dense / t.sparse).toFixed(2)));
        packed.free();
      }
      (table[format] ??= {})[batch] = row;
    }
    b.free();
  }
  console.log(JSON.stringify({ build, n, sparsities, speedup: table }));
}
