// The dynamic (hybrid) int8 GEMM oracle, in plain numbers: every float32 step is rounded with
// Math.fround in the order the WASM kernel uses, so outputs match bit for bit (activations other
// than none/relu/clip aside: those are approximations in WASM). See wasm/hybrid-gemm.ts.
import type { Activation } from '../activation.js';
import { activate } from './activation.js';

const fr = Math.fround;

/** Round half to even (NaN stays NaN). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface RowQuantization {
  scale: number;
  zeroPoint: number;
}

/**
 * ONNX DynamicQuantizeLinear parameters as onnxruntime computes them (core/util/qmath.h
 * GetQuantizationParameter): the range is widened to include 0; scale = (max - min) / 255 in
 * float32, or 1 when max == min (all zeros; the ONNX Python reference gives 1/255 there);
 * zero point = round_half_even(clamp(0 - min / scale, 0, 255)). A NaN anywhere gives a NaN
 * scale and zero point 0.
 */
export function dynamicQuantParams(x: ArrayLike<number>, offset = 0, n = x.length): RowQuantization {
  let mn = 0;
  let mx = 0;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i];
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  const scale = mx === mn ? 1 : fr(fr(mx - mn) / 255);
  const zp = roundHalfEven(Math.max(0, Math.min(255, fr(0 - fr(mn / scale)))));
  return { scale, zeroPoint: Number.isNaN(zp) ? 0 : zp };
}

/** q - zp for one value: clamp(x / scale, -zp, 255 - zp) (NaN -> -zp), rounded half to even. */
export function quantizeCentered(x: number, q: RowQuantization): number {
  const lo = -q.zeroPoint;
  const hi = 255 - q.zeroPoint;
  let v = fr(x / q.scale);
  if (!(v > lo)) v = lo;
  if (v > hi) v = hi;
  return roundHalfEven(v);
}

/** DynamicQuantizeLinear of each row: uint8 values, one scale and zero point per row. */
export function quantizeRowsDynamicRef(x: Float32Array, rows: number, cols: number): { q: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array } {
  const q = new Uint8Array(rows * cols);
  const scales = new Float32Array(rows);
  const zeroPoints = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const p = dynamicQuantParams(x, r * cols, cols);
    scales[r] = p.scale;
    zeroPoints[r] = p.zeroPoint;
    for (let i = 0; i < cols; i++) q[r * cols + i] = quantizeCentered(x[r * cols + i], p) + p.zeroPoint;
  }
  return { q, scales, zeroPoints };
}

/** Symmetric per-column int8 weights: scale_j = max_k |b[k][j]| / 127 (1 for an all-zero column). */
export function quantizeWeightsPerChannelRef(b: Float32Array, K: number, N: number, transB = false): { w: Int8Array; scales: Float32Array } {
  const at = (k: number, n: number) => (transB ? b[n * K + k] : b[k * N + n]);
  const w = new Int8Array(K * N);
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(at(k, n)));
    const s = amax > 0 ? fr(amax / 127) : 1;
    scales[n] = s;
    for (let k = 0; k < K; k++) {
      const q = Math.max(-127, Math.min(127, roundHalfEven(fr(at(k, n) / s))));
      w[transB ? n * K + k : k * N + n] = q;
    }
  }
  return { w, scales };
}

export interface HybridGemmRefOptions {
  bias?: Float32Array;
  /** w is N×K instead of K×N. */
  transB?: boolean;
  act?: Activation;
  c?: Float32Array;
  accumulate?: boolean;
  lda?: number;
  ldc?: number;
  /** Receives the exact int32 accumulators, M×N. */
  accumulators?: Int32Array;
}

/** C = act(float(Σ (q - zp)·w) · (rowScale·colScale) + bias (+ C)). Returns C. */
export function hybridGemmRef(
  a: Float32Array, w: Int8Array, colScales: Float32Array, M: number, K: number, N: number, opts: HybridGemmRefOptions = {},
): Float32Array {
  const lda = opts.lda ?? K;
  const ldc = opts.ldc ?? N;
  const c = opts.c ?? new Float32Array(M === 0 ? 0 : (M - 1) * ldc + N);
  const qa = new Int32Array(K);
  for (let i = 0; i < M; i++) {
    const p = dynamicQuantParams(a, i * lda, K);
    for (let k = 0; k < K; k++) qa[k] = quantizeCentered(a[i * lda + k], p);
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += qa[k] * (opts.transB ? w[j * K + k] : w[k * N + j]);
      if (opts.accumulators) opts.accumulators[i * N + j] = acc;
      let y = fr(fr(fr(acc) * fr(p.scale * colScales[j])) + (opts.bias ? opts.bias[j] : 0));
      if (opts.accumulate) y = fr(y + c[i * ldc + j]);
      c[i * ldc + j] = activate(y, opts.act);
    }
  }
  return c;
}
