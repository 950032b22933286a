// The int8 GEMM oracle: a triple loop over the unpacked operands in TFLite's arithmetic
// (reference/integer_ops/fully_connected.h): int32 sums of (a − za)(w − zw) (wrapping, as int32
// does), + bias, MultiplyByQuantizedMultiplier per output channel, + output zero point, clamp.
import type { QuantizedMultiplier } from '../../int8/qparams.js';
import { multiplyByQuantizedMultiplier } from './fixedpoint.js';

export interface QGemmRefParams {
  /** Input zero point (per tensor). */
  za: number;
  /** Weight zero point per column (length N) or one for all. */
  zw: number | ArrayLike<number>;
  /** Int32 bias per column; none = 0. */
  bias?: ArrayLike<number>;
  /** Per column (length N) or one for all. */
  multipliers: readonly QuantizedMultiplier[];
  outputZeroPoint: number;
  /** Clamp range in the output dtype's own scale (e.g. [0, 255] for uint8). */
  actMin: number;
  actMax: number;
  /** Row strides in elements; default K and N. */
  lda?: number;
  ldc?: number;
}

/** Raw int32 accumulators C[M×N] = Σ_k (a − za)(w − zw) (MatMulInteger). w is K×N. */
export function matMulIntegerRef(
  a: ArrayLike<number>, w: ArrayLike<number>, M: number, K: number, N: number,
  za: number, zw: number | ArrayLike<number>, lda = K,
): Int32Array {
  const out = new Int32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const zwn = typeof zw === 'number' ? zw : zw[n];
      let acc = 0;
      for (let k = 0; k < K; k++) acc = (acc + (a[m * lda + k] - za) * (w[k * N + n] - zwn)) | 0;
      out[m * N + n] = acc;
    }
  }
  return out;
}

/** Requantized C[M×N] (values in the output dtype's range; the caller picks the array type). */
export function qgemmRef(a: ArrayLike<number>, w: ArrayLike<number>, M: number, K: number, N: number, p: QGemmRefParams, out: { [i: number]: number }): void {
  const lda = p.lda ?? K;
  const ldc = p.ldc ?? N;
  const acc = matMulIntegerRef(a, w, M, K, N, p.za, p.zw, lda);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const q = p.multipliers.length === 1 ? p.multipliers[0] : p.multipliers[n];
      const x = (acc[m * N + n] + (p.bias ? p.bias[n] : 0)) | 0;
      const v = multiplyByQuantizedMultiplier(x, q.multiplier, q.shift) + p.outputZeroPoint;
      out[m * ldc + n] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
    }
  }
}
