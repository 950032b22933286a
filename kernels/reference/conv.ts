// The convolution oracle: a direct 7-loop NCHW conv, accumulated in float64.
import type { Activation } from '../activation.js';
import { activate } from './activation.js';

export interface Conv2dGeometry {
  /** [strideH, strideW], default [1, 1]. */
  strides?: readonly number[];
  /** [top, left, bottom, right], default zeros. */
  pads?: readonly number[];
  /** [dilationH, dilationW], default [1, 1]. */
  dilations?: readonly number[];
  group?: number;
}

/** [N, M, OH, OW] for input [N, C, H, W] and weight [M, C/group, kH, kW] (no validation). */
export function convOutputDimsUnchecked(inputDims: readonly number[], weightDims: readonly number[], geo: Conv2dGeometry): number[] {
  const [N, , H, W] = inputDims;
  const [M, , kH, kW] = weightDims;
  const [sh, sw] = geo.strides ?? [1, 1];
  const [pt, pl, pb, pr] = geo.pads ?? [0, 0, 0, 0];
  const [dh, dw] = geo.dilations ?? [1, 1];
  const OH = Math.floor((H + pt + pb - dh * (kH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (kW - 1) - 1) / sw) + 1;
  return [N, M, OH, OW];
}

export function conv2dRef(
  input: Float32Array,
  inputDims: readonly number[],
  weight: Float32Array,
  weightDims: readonly number[],
  opts: Conv2dGeometry & { bias?: Float32Array; act?: Activation; out?: Float32Array } = {},
): { data: Float32Array; dims: number[] } {
  const [N, C, H, W] = inputDims;
  const [M, Cg, kH, kW] = weightDims;
  const group = opts.group ?? 1;
  const [sh, sw] = opts.strides ?? [1, 1];
  const [pt, pl] = opts.pads ?? [0, 0, 0, 0];
  const [dh, dw] = opts.dilations ?? [1, 1];
  const dims = convOutputDimsUnchecked(inputDims, weightDims, opts);
  const [, , OH, OW] = dims;
  const Mg = M / group;
  const out = opts.out ?? new Float32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let sum = opts.bias ? opts.bias[m] : 0;
          for (let c = 0; c < Cg; c++) {
            const ic = g * Cg + c;
            for (let ky = 0; ky < kH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                sum += input[((n * C + ic) * H + iy) * W + ix] * weight[((m * Cg + c) * kH + ky) * kW + kx];
              }
            }
          }
          out[((n * M + m) * OH + oy) * OW + ox] = activate(Math.fround(sum), opts.act);
        }
      }
    }
  }
  return { data: out, dims };
}
