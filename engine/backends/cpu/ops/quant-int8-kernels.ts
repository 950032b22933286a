// QConv and QGemm on the int8 WASM kernels (kernels/int8: TFLite arithmetic, bit-exact with the
// TypeScript reference in quant-arith.ts). Used when the node's parameters are constants and the
// geometry is one the kernels take (2-D convolutions; any GEMM); otherwise null, and the caller
// runs the reference arithmetic. The fused clamp (clamp_min/clamp_max) is the kernels' output
// clamp range (the dtype's range narrowed), applied in the requantization epilogue.
import { packQConv, qconvPtr } from '../../../../kernels/int8/conv.js';
import { packQDepthwise, qdepthwisePtr } from '../../../../kernels/int8/dwconv.js';
import { packQGemm, qgemmPtr } from '../../../../kernels/int8/gemm.js';
import type { QConvParams, QGemmParams } from '../../../ops/quant-fused-ops.js';
import { convSpatial } from '../../../ops/conv-ops.js';
import { spatialOutput } from '../../../ops/dims.js';
import type { TypedData } from '../../../tensor.js';
import type { CpuPrepareContext, CpuTensor } from '../kernel-def.js';
import { numbersOf } from './cast-ops.js';
import { rangeOf } from './quant-arith.js';

type Q8 = 'int8' | 'uint8';
const is8 = (t: CpuTensor | null): t is CpuTensor => !!t && (t.dtype === 'int8' || t.dtype === 'uint8');
const constNums = (t: CpuTensor | null, fallback: number): number[] | null => (t ? (t.value ? Array.from(numbersOf(t.dtype, t.value.data as TypedData)) : null) : [fallback]);

/** The output clamp range: the dtype's, narrowed by clamp_min/clamp_max; null when empty. */
function clampRange(y: CpuTensor, clamp: [number | null, number | null]): [number, number] | null {
  const [qlo, qhi] = rangeOf(y.dtype);
  const lo = Math.max(qlo, clamp[0] ?? qlo);
  const hi = Math.min(qhi, clamp[1] ?? qhi);
  return lo <= hi ? [lo, hi] : null;
}

interface Params {
  xs: number;
  xzp: number;
  ws: number[];
  wzp: number[];
  ys: number;
  yzp: number;
  bias: Int32Array | undefined;
}

/** Constant quantization parameters of a QConv/QGemm (input indices differ), or null. */
function constants(ctx: CpuPrepareContext<unknown>, idx: { xs: number; xzp: number; w: number; ws: number; wzp: number; bias: number; ys: number; yzp: number }): Params | null {
  const t = (i: number) => ctx.inputs[i] ?? null;
  const [xs, xzp, ws, wzp, ys, yzp, b] = [constNums(t(idx.xs), 1), constNums(t(idx.xzp), 0), constNums(t(idx.ws), 1), constNums(t(idx.wzp), 0), constNums(t(idx.ys), 1), constNums(t(idx.yzp), 0), constNums(t(idx.bias), 0)];
  if (!xs || !xzp || !ws || !wzp || !ys || !yzp || !b || !t(idx.w)?.value) return null;
  return { xs: xs[0], xzp: xzp[0], ws, wzp, ys: ys[0], yzp: yzp[0], bias: t(idx.bias) ? Int32Array.from(b) : undefined };
}

export function int8QConv(ctx: CpuPrepareContext<QConvParams>): (() => void) | null {
  const [x, w, y] = [ctx.inputs[0]!, ctx.inputs[3]!, ctx.outputs[0]];
  if (ctx.params.requantize !== 'tflite' || x.dims.length !== 4 || !is8(x) || !is8(w) || !is8(y)) return null;
  const p = constants(ctx, { xs: 1, xzp: 2, w: 3, ws: 4, wzp: 5, ys: 6, yzp: 7, bias: 8 });
  const clamp = clampRange(y, ctx.params.clamp);
  if (!p || !clamp) return null;
  const sp = convSpatial(ctx.op, ctx.params, { dtype: w.dtype, shape: [...w.dims], value: w.value });
  const pads = spatialOutput(ctx.op, x.dims.slice(2), sp).pads!;
  const [N, C, H, W] = x.dims;
  const M = w.dims[0];
  const group = ctx.params.group;
  const quant = {
    bias: p.bias, weightScales: p.ws, weightZeroPoints: p.wzp, inputScale: p.xs, inputZeroPoint: p.xzp, inputDType: x.dtype as Q8,
    outputScale: p.ys, outputZeroPoint: p.yzp, outputDType: y.dtype as Q8, clamp,
  };
  const window = { kernel: [w.dims[2], w.dims[3]] as [number, number], strides: sp.strides as [number, number], dilations: sp.dilations as [number, number], pads: pads as [number, number, number, number] };
  const weights = w.value!.data as Int8Array;
  const rt = ctx.rt;
  if (group === C && w.dims[1] === 1 && M % C === 0) {
    const packed = ctx.keep('int8dw', () => packQDepthwise(rt, weights, { ...quant, ...window, channels: C, depthMultiplier: M / C }), (k) => k.free());
    return () => qdepthwisePtr(rt, N, H, W, x.ptr, packed, y.ptr);
  }
  const packed = ctx.keep('int8conv', () => packQConv(rt, weights, { ...quant, ...window, inChannels: C, outChannels: M, group }), (k) => k.free());
  return () => qconvPtr(rt, N, H, W, x.ptr, packed, y.ptr);
}

export function int8QGemm(ctx: CpuPrepareContext<QGemmParams>): (() => void) | null {
  const [a, b, y] = [ctx.inputs[0]!, ctx.inputs[3]!, ctx.outputs[0]];
  if (ctx.params.requantize !== 'tflite' || !is8(a) || !is8(b) || !is8(y)) return null;
  const p = constants(ctx, { xs: 1, xzp: 2, w: 3, ws: 4, wzp: 5, bias: 6, ys: 7, yzp: 8 });
  const clamp = clampRange(y, ctx.params.clamp);
  if (!p || !clamp) return null;
  const transB = ctx.params.transB;
  const [K, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  const M = a.size / Math.max(1, K);
  const rt = ctx.rt;
  const packed = ctx.keep('int8gemm', () => packQGemm(rt, b.value!.data as Int8Array, K, N, {
    bias: p.bias, weightScales: p.ws, weightZeroPoints: p.wzp, inputScale: p.xs, inputZeroPoint: p.xzp, inputDType: a.dtype as Q8,
    outputScale: p.ys, outputZeroPoint: p.yzp, outputDType: y.dtype as Q8, transB, clamp,
  }), (k) => k.free());
  return () => qgemmPtr(rt, M, a.ptr, K, packed, y.ptr, N);
}
