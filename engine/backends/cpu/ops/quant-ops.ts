// CPU kernels of the ONNX quantization operators: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear (on the hybrid kernel's row quantizer), Round. The integer conv/matmul
// operators live in quant-conv.ts and quant-matmul.ts.
import { quantizeRowsDynamicPtr } from '../../../../kernels/hybrid-gemm.js';
import { dequantizeF32Ptr, quantizeF32Ptr } from '../../../../kernels/int8/qdq.js';
import type { QdqParams } from '../../../ops/quant-ops.js';
import { normAxis } from '../../../ops/dims.js';
import type { TypedData } from '../../../tensor.js';
import { floatToHalf } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { numbersOf } from './cast-ops.js';
import { axisGeometry, quantizeOne, rangeOf, roundHalfEven } from './quant-arith.js';
import { checkScales, paramReader, perChannel } from './quant-io.js';

const fr = Math.fround;

/** The axis the parameters run along, or -1 when they are per tensor. */
function paramAxis(ctx: CpuPrepareContext<QdqParams>, x: CpuTensor, scale: CpuTensor): number {
  if (scale.size === 1 && scale.dims.length <= 1) return -1;
  return normAxis(ctx.op, ctx.params.axis, x.dims.length);
}

defineCpuKernel<QdqParams>({
  type: 'QuantizeLinear',
  prepare: (ctx) => {
    const [x, s, z] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2] ?? null];
    const y = ctx.outputs[0];
    const [lo, hi] = rangeOf(y.dtype);
    const axis = paramAxis(ctx, x, s);
    const geo = axis < 0 ? { outer: 1, channels: 1, inner: x.size } : axisGeometry(x.dims, axis);
    const readScale = paramReader(ctx, s, 1);
    const readZp = paramReader(ctx, z, 0);
    // Per tensor, float32 to 8 bits: the SIMD kernel (bit-exact with the loop below).
    const simd = axis < 0 && x.dtype === 'float32' && (y.dtype === 'int8' || y.dtype === 'uint8');
    return () => {
      const scales = perChannel(readScale(), geo.channels, 'y_scale', ctx);
      checkScales(ctx, scales, 'y_scale');
      const zps = perChannel(readZp(), geo.channels, 'y_zero_point', ctx);
      if (simd && fr(scales[0]) === scales[0]) {
        quantizeF32Ptr(ctx.rt, x.size, x.ptr, y.ptr, { scale: scales[0], zeroPoint: zps[0], dtype: y.dtype as 'int8' });
        return;
      }
      const xs = numbersOf(x.dtype, ctx.view(x));
      const out = ctx.view(y) as Int8Array;
      let i = 0;
      for (let o = 0; o < geo.outer; o++) {
        for (let c = 0; c < geo.channels; c++) {
          const sc = scales[c];
          const zp = zps[c];
          for (let k = 0; k < geo.inner; k++, i++) out[i] = quantizeOne(xs[i], sc, zp, lo, hi);
        }
      }
    };
  },
});

defineCpuKernel<QdqParams>({
  type: 'DequantizeLinear',
  prepare: (ctx) => {
    const [x, s, z] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2] ?? null];
    const y = ctx.outputs[0];
    const axis = paramAxis(ctx, x, s);
    const geo = axis < 0 ? { outer: 1, channels: 1, inner: x.size } : axisGeometry(x.dims, axis);
    const readScale = paramReader(ctx, s, 1);
    const readZp = paramReader(ctx, z, 0);
    const half = y.dtype === 'float16';
    const simd = axis < 0 && y.dtype === 'float32' && (x.dtype === 'int8' || x.dtype === 'uint8');
    return () => {
      const scales = perChannel(readScale(), geo.channels, 'x_scale', ctx);
      for (let c = 0; c < scales.length; c++) {
        if (!Number.isFinite(scales[c])) throw ctx.error('InvalidArgument', `x_scale[${c}] is ${scales[c]}; a scale must be finite`);
      }
      const zps = perChannel(readZp(), geo.channels, 'x_zero_point', ctx);
      if (simd && scales[0] > 0 && fr(scales[0]) === scales[0]) {
        dequantizeF32Ptr(ctx.rt, x.size, x.ptr, y.ptr, { scale: scales[0], zeroPoint: zps[0], dtype: x.dtype as 'int8' });
        return;
      }
      const xs = ctx.view(x) as Int32Array;
      const out = ctx.view(y) as Float32Array;
      let i = 0;
      for (let o = 0; o < geo.outer; o++) {
        for (let c = 0; c < geo.channels; c++) {
          // (float(x) − float(zp)) · scale, each step in float32 (exact for 8-bit data).
          const sc = fr(scales[c]);
          const zp = fr(zps[c]);
          for (let k = 0; k < geo.inner; k++, i++) {
            const v = fr(fr(fr(xs[i]) - zp) * sc);
            out[i] = half ? floatToHalf(v) : v;
          }
        }
      }
    };
  },
});

defineCpuKernel({
  type: 'DynamicQuantizeLinear',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const [y, s, z] = ctx.outputs;
    const rt = ctx.rt;
    return () => quantizeRowsDynamicPtr(rt, 1, x.size, x.ptr, y.ptr, s.ptr, z.ptr);
  },
});

defineCpuKernel({
  type: 'Round',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    return () => {
      const xs = numbersOf(x.dtype, ctx.view(x) as TypedData);
      const out = ctx.view(y);
      if (y.dtype === 'float16') {
        const o = out as Uint16Array;
        for (let i = 0; i < xs.length; i++) o[i] = floatToHalf(roundHalfEven(xs[i]));
      } else {
        const o = out as Float32Array;
        for (let i = 0; i < xs.length; i++) o[i] = roundHalfEven(xs[i]);
      }
    };
  },
});
