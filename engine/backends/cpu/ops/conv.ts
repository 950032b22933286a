// Conv and FusedConv on the CPU backend: depthwise convolutions go to the direct depthwise
// kernel, everything else to the GEMM-based conv2d; 1-D convs run as 2-D with H = 1; 3-D convs
// fall back to a direct TypeScript loop. Constant weights are packed once per node; sparse
// constant weights of a group-1 convolution may run on the sparse kernel instead (sparse-conv.ts).
import { conv2dF32Ptr, packConv2dF32 } from '../../../../kernels/conv.js';
import { depthwiseConv2dF32Ptr, freePackedDepthwiseF32, packDepthwiseF32 } from '../../../../kernels/dwconv.js';
import type { Activation } from '../../../../kernels/activation.js';
import { activate } from '../../../../kernels/reference/activation.js';
import { convSpatial, type ConvParams } from '../../../ops/conv-ops.js';
import { spatialOutput } from '../../../ops/dims.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { alternativeConv } from './sparse-conv.js';

interface Packed {
  run(inPtr: number, outPtr: number): void;
  free(): void;
}

function prepareConv(ctx: CpuPrepareContext<ConvParams>): () => void {
  const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const b = ctx.inputs[2] ?? null;
  const y = ctx.outputs[0];
  if (x.dtype !== 'float32') throw ctx.error('UnsupportedFeature', `input X is ${x.dtype}; the CPU backend runs Conv in float32`);
  const sp = convSpatial(ctx.op, ctx.params, { dtype: w.dtype, shape: [...w.dims], value: w.value });
  const pads = spatialOutput(ctx.op, x.dims.slice(2), sp).pads!;
  const rank = x.dims.length - 2;
  const act = ctx.params.activation;
  if (rank === 3) return direct3d(ctx, x, w, b, y, sp.strides, pads, sp.dilations, act);
  // 1-D as 2-D: [N, C, W] → [N, C, 1, W]; pads [l, r] → [0, l, 0, r].
  const xd = rank === 1 ? [x.dims[0], x.dims[1], 1, x.dims[2]] : [...x.dims];
  const wd = rank === 1 ? [w.dims[0], w.dims[1], 1, w.dims[2]] : [...w.dims];
  const strides = rank === 1 ? [1, sp.strides[0]] : sp.strides;
  const dilations = rank === 1 ? [1, sp.dilations[0]] : sp.dilations;
  const pads4 = rank === 1 ? [0, pads[0], 0, pads[1]] : pads;
  const group = ctx.params.group;
  const [M, C] = [wd[0], xd[1]];
  const depthwise = group > 1 && group === C && wd[1] === 1 && M % group === 0;
  const rt = ctx.rt;
  const pack = (weights: Float32Array, bias?: Float32Array): Packed => {
    if (depthwise) {
      const p = packDepthwiseF32(rt, weights, wd, { bias });
      return {
        run: (i, o) => void depthwiseConv2dF32Ptr(rt, i, xd, p, o, { strides, pads: pads4, dilations, activation: act }),
        free: () => freePackedDepthwiseF32(rt, p),
      };
    }
    const p = packConv2dF32(rt, weights, wd, { bias, strides, pads: pads4, dilations, group });
    return { run: (i, o) => conv2dF32Ptr(rt, i, xd, p, o, { act }), free: () => p.free() };
  };
  const constant = w.value && (!b || b.value);
  if (constant && group === 1 && w.dtype === 'float32') {
    const pixels = y.dims.slice(2).reduce((p, d) => p * d, 1);
    const geo = { xd, wd, strides, pads: pads4, dilations, pixels };
    const sparse = alternativeConv(ctx, w.value!.data as Float32Array, b?.value?.data as Float32Array | undefined, geo, act);
    if (sparse) return () => sparse(x.ptr, y.ptr);
  }
  if (constant) {
    const packed = ctx.keep(`conv:${xd.join('x')}`, () => pack(w.value!.data as Float32Array, b?.value?.data as Float32Array | undefined), (p) => p.free());
    return () => packed.run(x.ptr, y.ptr);
  }
  return () => {
    const packed = pack((ctx.view(w) as Float32Array).slice(), b ? (ctx.view(b) as Float32Array).slice() : undefined);
    try {
      packed.run(x.ptr, y.ptr);
    } finally {
      packed.free();
    }
  };
}

/** Direct N-D (here 3-D) convolution: correct and slow; 3-D convs are rare on the edge. */
function direct3d(
  ctx: CpuPrepareContext<ConvParams>,
  x: CpuTensor,
  w: CpuTensor,
  b: CpuTensor | null,
  y: CpuTensor,
  strides: number[],
  pads: number[],
  dil: number[],
  act: Activation,
): () => void {
  const [N, C, D, H, W] = x.dims;
  const [M, Cg, kD, kH, kW] = w.dims;
  const [, , OD, OH, OW] = y.dims;
  const group = ctx.params.group;
  const Mg = M / group;
  return () => {
    const xs = ctx.view(x) as Float32Array;
    const ws = ctx.view(w) as Float32Array;
    const bs = b ? (ctx.view(b) as Float32Array) : null;
    const ys = ctx.view(y) as Float32Array;
    let o = 0;
    for (let n = 0; n < N; n++)
      for (let m = 0; m < M; m++) {
        const g = Math.floor(m / Mg);
        for (let od = 0; od < OD; od++)
          for (let oh = 0; oh < OH; oh++)
            for (let ow = 0; ow < OW; ow++) {
              let s = bs ? bs[m] : 0;
              for (let c = 0; c < Cg; c++) {
                const ci = g * Cg + c;
                for (let a = 0; a < kD; a++) {
                  const id = od * strides[0] - pads[0] + a * dil[0];
                  if (id < 0 || id >= D) continue;
                  for (let p = 0; p < kH; p++) {
                    const ih = oh * strides[1] - pads[1] + p * dil[1];
                    if (ih < 0 || ih >= H) continue;
                    for (let q = 0; q < kW; q++) {
                      const iw = ow * strides[2] - pads[2] + q * dil[2];
                      if (iw < 0 || iw >= W) continue;
                      s += xs[(((n * C + ci) * D + id) * H + ih) * W + iw] * ws[(((m * Cg + c) * kD + a) * kH + p) * kW + q];
                    }
                  }
                }
              }
              ys[o++] = activate(s, act);
            }
      }
  };
}

defineCpuKernel<ConvParams>({ type: 'Conv', prepare: prepareConv });
defineCpuKernel<ConvParams>({ type: 'FusedConv', domain: EDGERUN_DOMAIN, prepare: prepareConv });
