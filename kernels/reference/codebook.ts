// The codebook oracle: expands W[k][n] = centroids[index] (per tensor or per output column) and
// sums in float64.
import type { Activation } from '../activation.js';
import { activate } from './activation.js';

export interface CodebookRefWeights {
  centroids: ArrayLike<number>;
  /** One per weight, K×N row-major (or N×K with transB). */
  indices: ArrayLike<number>;
  /** Centroids per output column (centroids then holds N × C); 0 or absent: one codebook. */
  perColumn?: boolean;
}

/** The weight at (k, n). */
export function codebookWeight(cb: CodebookRefWeights, K: number, N: number, transB: boolean, k: number, n: number): number {
  const i = transB ? cb.indices[n * K + k] : cb.indices[k * N + n];
  const C = cb.perColumn ? cb.centroids.length / N : 0;
  return cb.perColumn ? cb.centroids[n * C + i] : cb.centroids[i];
}

/** Y[m][n] = act(Σ_k x[m][k]·W[k][n] + bias[n]); x row-major with row stride lda. */
export function codebookGemmRef(
  x: ArrayLike<number>, M: number, K: number, N: number, cb: CodebookRefWeights, y: Float32Array,
  opts: { transB?: boolean; bias?: ArrayLike<number>; act?: Activation; lda?: number; ldc?: number } = {},
): Float32Array {
  const lda = opts.lda ?? K;
  const ldc = opts.ldc ?? N;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += x[m * lda + k] * codebookWeight(cb, K, N, opts.transB ?? false, k, n);
      y[m * ldc + n] = activate(Math.fround(sum + (opts.bias ? opts.bias[n] : 0)), opts.act);
    }
  }
  return y;
}
