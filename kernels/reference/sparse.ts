// The sparse oracle: sums over each output column's listed entries, in float64 (float path) or
// int32 (integer path). Every sparse format reaches it as column lists (formats.ts), blocks
// with their explicit zeros, so it multiplies exactly what the WASM kernel of the format does.
import type { Activation } from '../activation.js';
import type { ColumnLists } from '../sparse/formats.js';
import { activate } from './activation.js';

export interface SpmmRefOptions {
  bias?: ArrayLike<number>;
  /** Per output column; int8 weights are multiplied by it. */
  scales?: ArrayLike<number>;
  act?: Activation;
  /** Element (m, k) of the input; default row-major X[M×K]. */
  xAt?: (m: number, k: number) => number;
  /** Where output (m, n) goes; default m·N + n. */
  yIndex?: (m: number, n: number) => number;
}

/** Y[m][n] = act(scale[n] · Σ_e x[m][k_e] · w_e + bias[n]) over column n's entries. */
export function spmmRef(x: ArrayLike<number>, M: number, c: ColumnLists, y: Float32Array, opts: SpmmRefOptions = {}): Float32Array {
  const { K, N, ptr, k, w } = c;
  const xAt = opts.xAt ?? ((m: number, kk: number) => x[m * K + kk]);
  const yIndex = opts.yIndex ?? ((m: number, n: number) => m * N + n);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let e = ptr[n]; e < ptr[n + 1]; e++) sum += xAt(m, k[e]) * w[e];
      const v = sum * (opts.scales ? opts.scales[n] : 1) + (opts.bias ? opts.bias[n] : 0);
      y[yIndex(m, n)] = activate(Math.fround(v), opts.act);
    }
  }
  return y;
}

/** Integer path: Y[m][n] = Σ_e (x[m][k_e] − zeroPoint) · w_e, wrapping like int32. */
export function spmmI32Ref(
  x: ArrayLike<number>, M: number, zeroPoint: number, c: ColumnLists, y: Int32Array,
  opts: Pick<SpmmRefOptions, 'xAt' | 'yIndex'> = {},
): Int32Array {
  const { K, N, ptr, k, w } = c;
  const xAt = opts.xAt ?? ((m: number, kk: number) => x[m * K + kk]);
  const yIndex = opts.yIndex ?? ((m: number, n: number) => m * N + n);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let e = ptr[n]; e < ptr[n + 1]; e++) sum = (sum + Math.imul(xAt(m, k[e]) - zeroPoint, w[e])) | 0;
      y[yIndex(m, n)] = sum;
    }
  }
  return y;
}

export interface SparseConvRefGeometry {
  strides: readonly number[];
  /** [top, left, bottom, right] */
  pads: readonly number[];
  dilations: readonly number[];
}

/**
 * NCHW convolution (group 1) with the weight [M, C, kH, kW] as column lists over
 * k = (c·kH + kh)·kW + kw: out[n][m][oy][ox] = act(scale[m] · Σ_e w_e · in[n][c][iy][ix] + bias[m]),
 * taps in the padding read 0.
 */
export function sparseConv2dRef(
  input: ArrayLike<number>, inputDims: readonly number[], c: ColumnLists, weightDims: readonly number[], outDims: readonly number[],
  geo: SparseConvRefGeometry, out: Float32Array, opts: Pick<SpmmRefOptions, 'bias' | 'scales' | 'act'> = {},
): Float32Array {
  const [N, C, H, W] = inputDims;
  const [, , kH, kW] = weightDims;
  const [, M, OH, OW] = outDims;
  const [sh, sw] = geo.strides;
  const [pt, pl] = geo.pads;
  const [dh, dw] = geo.dilations;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let sum = 0;
          for (let e = c.ptr[m]; e < c.ptr[m + 1]; e++) {
            const k = c.k[e];
            const ch = Math.floor(k / (kH * kW));
            const kh = Math.floor(k / kW) % kH;
            const kw = k % kW;
            const iy = oy * sh - pt + kh * dh;
            const ix = ox * sw - pl + kw * dw;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            sum += input[((n * C + ch) * H + iy) * W + ix] * c.w[e];
          }
          const v = sum * (opts.scales ? opts.scales[m] : 1) + (opts.bias ? opts.bias[m] : 0);
          out[((n * M + m) * OH + oy) * OW + ox] = activate(Math.fround(v), opts.act);
        }
      }
    }
  }
  return out;
}
