// The sparse variant of a group-1 2-D convolution with constant weights (Fast Sparse ConvNets:
// output pixels as the vector lanes, kernels/sparse/conv.ts), picked at plan time when the
// measured speedup at this many output pixels says so (sparse-choice.ts).
import type { Activation } from '../../../../kernels/activation.js';
import { packSparseConv2d, sparseConv2dF32Ptr } from '../../../../kernels/sparse/conv.js';
import type { CpuPrepareContext } from '../kernel-def.js';
import { chooseConvKernel, recordChoice } from './sparse-choice.js';

export interface ConvGeometry {
  /** Input dims as 2-D NCHW (1-D convs with H = 1). */
  xd: number[];
  /** Weight dims [M, C, kH, kW]. */
  wd: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  /** Output pixels per image. */
  pixels: number;
}

/** A run(inPtr, outPtr) on the sparse kernel, or null when dense is the choice. Records the choice either way. */
export function alternativeConv(ctx: CpuPrepareContext<unknown>, w: Float32Array, bias: Float32Array | undefined, geo: ConvGeometry, act: Activation): ((inPtr: number, outPtr: number) => void) | null {
  const [M, C, kH, kW] = geo.wd;
  const choice = chooseConvKernel(ctx.rt, w, M, C * kH * kW, geo.pixels);
  recordChoice(ctx.node, { kernel: choice.kernel, speedup: choice.speedup, reason: choice.reason, batch: geo.pixels });
  if (choice.kernel === 'dense') return null;
  const rt = ctx.rt;
  const packed = ctx.keep(`sparseconv:${geo.xd.join('x')}`, () => packSparseConv2d(rt, w, geo.wd, { strides: geo.strides, pads: geo.pads, dilations: geo.dilations, bias }), (p) => p.free());
  return (inPtr, outPtr) => sparseConv2dF32Ptr(rt, inPtr, geo.xd, packed, outPtr, { act });
}
