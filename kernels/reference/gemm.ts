// The GEMM oracle: a plain triple loop over unpacked operands, accumulated in float64.
import type { Activation } from '../activation.js';
import { activate } from './activation.js';

export interface GemmRefOptions {
  bias?: Float32Array;
  /** b is N×K (row n holds column n of B) instead of K×N. */
  transB?: boolean;
  /** Scales A·B (not the bias). */
  alpha?: number;
  act?: Activation;
  /** Output; with `accumulate` its contents are added to. Default: a new zeroed array. */
  c?: Float32Array;
  accumulate?: boolean;
  /** Row strides (floats) of a and c; default K and N. */
  lda?: number;
  ldc?: number;
}

/** C[M×N] = act((accumulate ? C : 0) + alpha·A[M×K]·B + bias). Returns C. */
export function gemmRef(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmRefOptions = {}): Float32Array {
  const lda = opts.lda ?? K;
  const ldc = opts.ldc ?? N;
  const alpha = opts.alpha ?? 1;
  const c = opts.c ?? new Float32Array(M === 0 ? 0 : (M - 1) * ldc + N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const bkj = opts.transB ? b[j * K + k] : b[k * N + j];
        sum += a[i * lda + k] * bkj;
      }
      let v = alpha * sum + (opts.bias ? opts.bias[j] : 0);
      if (opts.accumulate) v += c[i * ldc + j];
      c[i * ldc + j] = activate(Math.fround(v), opts.act);
    }
  }
  return c;
}
