// Clustered weights (codebook GEMM) vs edgerun's dense float32 GEMM on the same numbers:
// 1024×1024 weights with 16 distinct values (4-bit indices, 8× smaller than float32), batch 1
// and 16, both designs of kernels/sparse/codebook.ts ('decode' is what 'auto' runs).
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';
import { denseGemmPeer, gemmBuffers, matMulOnnx } from '../weight-gemm.js';
import { gemmF32Ptr, packGemmF32 } from '../../kernels/gemm.js';
import type { Runtime } from '../../kernels/runtime.js';
import { codebookFromDense, codebookGemmF32Ptr, packCodebookGemm, type CodebookDesign } from '../../kernels/sparse/codebook.js';

/** K×N weights drawn from `clusters` seeded centroids. */
export function clusteredWeights(K: number, N: number, clusters: number, seed: number): Float32Array {
  const centroids = seededFloats(clusters, seed);
  const pick = seededFloats(K * N, seed + 1, 0, clusters);
  return pick.map((v) => centroids[Math.min(clusters - 1, Math.floor(v))]);
}

export function codebookCase(n: number, clusters: number, bits: 2 | 4 | 8, batch: number, design: CodebookDesign = 'decode'): BenchCase {
  const K = n;
  const N = n;
  const w = clusteredWeights(K, N, clusters, 51);
  const a = seededFloats(batch * K, 53);
  return {
    name: `codebook f32 ${n} clusters ${clusters} bits ${bits} batch ${batch}${design === 'decode' ? '' : ` ${design}`}`,
    flops: 2 * batch * K * N,
    tolerance: { rtol: 1e-5, atol: 1e-6 * n },
    edgerun(rt) {
      const packed = packCodebookGemm(rt, codebookFromDense(w, K, N, { bits }), K, N, { design });
      const b = gemmBuffers(rt, a, batch, K, N, 'codebook bench');
      return {
        run: () => codebookGemmF32Ptr(rt, batch, b.aPtr, K, packed, b.cPtr, N),
        output: () => rt.arena.f32(b.cPtr, batch * N).slice(),
        dispose: () => { b.free(); packed.free(); },
      };
    },
    edgerunPeers: { 'edgerun-dense': denseGemmPeer(w, a, batch, K, N, 'codebook bench dense') },
    onnx: matMulOnnx(w, a, batch, K, N),
  };
}

/**
 * The weights-do-not-fit-in-cache variant: `layers` distinct n×n weight matrices, all applied to
 * the same input per run (Y = [X·W1 | X·W2 | ...], one [batch, layers·n] output), so every run
 * streams every layer's weights once. With 16 layers the dense float32 weights are 64 MiB, twice
 * this machine's 32 MiB L3, while the 4-bit indices are 8 MiB — the situation of a real model
 * larger than the last-level cache. The ONNX peer is the same MatMuls followed by a Concat.
 */
export function codebookStreamedCase(n: number, clusters: number, bits: 2 | 4 | 8, batch: number, layers: number): BenchCase {
  const K = n;
  const N = n;
  const ws = Array.from({ length: layers }, (_, l) => clusteredWeights(K, N, clusters, 51 + 2 * l));
  const a = seededFloats(batch * K, 53);
  const ldc = layers * N;
  const buffers = (rt: Runtime) => gemmBuffers(rt, a, batch, K, ldc, 'codebook bench');
  const denseMiB = (layers * K * N * 4) / 2 ** 20;
  return {
    name: `codebook f32 ${n} clusters ${clusters} bits ${bits} batch ${batch} weights streamed (${layers} layers, ${denseMiB} MiB dense)`,
    flops: 2 * batch * K * N * layers,
    tolerance: { rtol: 1e-5, atol: 1e-6 * n },
    edgerun(rt) {
      const packed = ws.map((w) => packCodebookGemm(rt, codebookFromDense(w, K, N, { bits }), K, N));
      const b = buffers(rt);
      return {
        run: () => packed.forEach((p, l) => codebookGemmF32Ptr(rt, batch, b.aPtr, K, p, b.cPtr + l * N * 4, ldc)),
        output: () => rt.arena.f32(b.cPtr, batch * ldc).slice(),
        dispose: () => { b.free(); packed.forEach((p) => p.free()); },
      };
    },
    edgerunPeers: {
      'edgerun-dense': (rt) => {
        const packed = ws.map((w) => packGemmF32(rt, w, K, N));
        const b = buffers(rt);
        return {
          run: () => packed.forEach((p, l) => gemmF32Ptr(rt, batch, b.aPtr, K, p, b.cPtr + l * N * 4, ldc)),
          dispose: () => { b.free(); packed.forEach((p) => p.free()); },
        };
      },
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'A', dims: [batch, K] }],
        outputs: [{ name: 'C', dims: [batch, ldc] }],
        initializers: ws.map((w, l) => ({ name: `B${l}`, dims: [K, N], data: w })),
        nodes: [
          ...ws.map((_, l) => ({ op: 'MatMul', inputs: ['A', `B${l}`], outputs: [`C${l}`] })),
          { op: 'Concat', inputs: ws.map((_, l) => `C${l}`), outputs: ['C'], attrs: { axis: 1 } },
        ],
      }),
      feeds: { A: { dims: [batch, K], data: a } },
    }),
  };
}

export const cases: BenchCase[] = [
  codebookCase(1024, 16, 4, 1),
  codebookCase(1024, 16, 4, 16),
  codebookCase(1024, 16, 4, 1, 'centroid'),
  codebookCase(1024, 16, 4, 16, 'centroid'),
  codebookStreamedCase(1024, 16, 4, 1, 16),
  codebookStreamedCase(1024, 16, 4, 16, 16),
];
