// What the compressed-weight GEMM cases (sparse, codebook) share: arena buffers for X and Y, the
// `edgerun-dense` peer (the dense float32 GEMM on the same weights, their ratio column) and the
// onnxruntime-web model (a MatMul on the dense weights, zeros and repeats included).
import type { BenchCase, BenchRun } from './case.js';
import { buildOnnxModel } from './onnx-model.js';
import { gemmF32Ptr, packGemmF32 } from '../kernels/gemm.js';
import type { Runtime } from '../kernels/runtime.js';

export interface GemmBuffers {
  aPtr: number;
  cPtr: number;
  free(): void;
}

/** X (M×K, holding `a`) and Y (M rows of stride ldc) in the arena. */
export function gemmBuffers(rt: Runtime, a: Float32Array, M: number, K: number, ldc: number, label: string): GemmBuffers {
  const aPtr = rt.arena.alloc(M * K * 4, `${label} X`);
  const cPtr = rt.arena.alloc(M * ldc * 4, `${label} Y`);
  rt.arena.f32(aPtr, M * K).set(a);
  return { aPtr, cPtr, free: () => { rt.arena.free(cPtr); rt.arena.free(aPtr); } };
}

/** The `edgerun-dense` peer: Y = X·w with the dense float32 GEMM. */
export function denseGemmPeer(w: Float32Array, a: Float32Array, M: number, K: number, N: number, label: string): (rt: Runtime) => BenchRun {
  return (rt) => {
    const packed = packGemmF32(rt, w, K, N);
    const b = gemmBuffers(rt, a, M, K, N, label);
    return { run: () => gemmF32Ptr(rt, M, b.aPtr, K, packed, b.cPtr, N), dispose: () => { b.free(); packed.free(); } };
  };
}

/** onnxruntime-web's side: one MatMul A[M×K]·B[K×N] with B an initializer. */
export function matMulOnnx(w: Float32Array, a: Float32Array, M: number, K: number, N: number): NonNullable<BenchCase['onnx']> {
  return () => ({
    model: buildOnnxModel({
      inputs: [{ name: 'A', dims: [M, K] }],
      outputs: [{ name: 'C', dims: [M, N] }],
      initializers: [{ name: 'B', dims: [K, N], data: w }],
      nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    }),
    feeds: { A: { dims: [M, K], data: a } },
  });
}
