// The input projection of a recurrent cell: G[rows × N] = X[rows × I]·Wᵀ + bias for all time
// steps in one GEMM (the shared fp32 GEMM), with W's rows reordered into the cell's interleaved
// gate layout (kernels/rnn-pack.ts) and the biases folded into the packed bias.
import { gemmF32Ptr, packGemmF32, type PackedGemmF32 } from './gemm.js';
import type { Runtime } from './runtime.js';

/**
 * Packs direction rows of an ONNX W ([gates·H × I] at element `wBase`) for the projection:
 * packed column n reads W row `source(n)` (-1: a padding column of zeros).
 */
export function packProjection(
  rt: Runtime,
  W: Float32Array,
  wBase: number,
  I: number,
  N: number,
  source: (n: number) => number,
  bias?: (row: number) => number,
): PackedGemmF32 {
  const rows = new Float32Array(N * I);
  const b = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    const row = source(n);
    if (row < 0) continue;
    rows.set(W.subarray(wBase + row * I, wBase + (row + 1) * I), n * I);
    if (bias) b[n] = bias(row);
  }
  return packGemmF32(rt, rows, I, N, { bias: b, transB: true });
}

export function projectInputs(rt: Runtime, w: PackedGemmF32, xPtr: number, rows: number, gPtr: number): void {
  gemmF32Ptr(rt, rows, xPtr, w.K, w, gPtr, w.N);
}
