// Scalar depthwise convolution, NCHW: the oracle for wasm/dwconv.ts and the kernel of the
// reference runtime. Deliberately the textbook loop: every output element visits every tap
// and skips taps that fall into the padding.
import type { Activation } from '../activation.js';
import { activate } from './activation.js';

export interface DepthwiseReferenceParams {
  strides: readonly [number, number];
  /** [top, left, bottom, right]. */
  pads: readonly [number, number, number, number];
  dilations: readonly [number, number];
  activation?: Activation;
}

function outSize(inSize: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number): number {
  return Math.floor((inSize + padBegin + padEnd - ((kernel - 1) * dilation + 1)) / stride) + 1;
}

/**
 * input [N, C, H, W], weight [C * mult, 1, kH, kW] (output channel m reads input channel
 * floor(m / mult)), bias [C * mult] or undefined. Writes into `out` if given.
 */
export function depthwiseConv2dReference(
  input: Float32Array,
  inputDims: readonly number[],
  weight: Float32Array,
  weightDims: readonly number[],
  bias: Float32Array | undefined,
  p: DepthwiseReferenceParams,
  out?: Float32Array,
): { data: Float32Array; dims: number[] } {
  const [N, C, H, W] = inputDims;
  const [M, , kH, kW] = weightDims;
  const mult = M / C;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl, pb, pr] = p.pads;
  const OH = outSize(H, kH, sh, dh, pt, pb);
  const OW = outSize(W, kW, sw, dw, pl, pr);
  const data = out ?? new Float32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const inBase = (n * C + Math.floor(m / mult)) * H * W;
      const outBase = (n * M + m) * OH * OW;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let acc = bias ? bias[m] : 0;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= W) continue;
              acc += input[inBase + iy * W + ix] * weight[(m * kH + ky) * kW + kx];
            }
          }
          data[outBase + oy * OW + ox] = activate(acc, p.activation);
        }
      }
    }
  }
  return { data, dims: [N, M, OH, OW] };
}
