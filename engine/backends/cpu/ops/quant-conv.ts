// Integer convolutions on the CPU backend: ONNX QLinearConv (float requantization, as the ONNX
// reference and onnxruntime do) and ConvInteger (raw int32 sums), and edgerun's fused QConv
// (TFLite fixed-point requantization and activation clamp). 1-D and 2-D, any group.
// QConv runs on the int8 WASM kernels when it can (quant-int8-kernels.ts); the rest is the
// reference arithmetic in TypeScript (quant-arith.ts), weights centred once when constant.
import { convSpatial, type ConvParams } from '../../../ops/conv-ops.js';
import { spatialOutput } from '../../../ops/dims.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import type { QConvParams } from '../../../ops/quant-fused-ops.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { convAccumulate, multiplyByQuantizedMultiplier, rangeOf, roundHalfEven, tfliteMultiplier, type ConvGeometry } from './quant-arith.js';
import { checkScales, paramReader, perChannel, scalarReader, type Numbers } from './quant-io.js';
import { int8QConv } from './quant-int8-kernels.js';

const fr = Math.fround;

function geometry(ctx: CpuPrepareContext<ConvParams>, x: CpuTensor, w: CpuTensor): ConvGeometry {
  const sp = convSpatial(ctx.op, ctx.params, { dtype: w.dtype, shape: [...w.dims], value: w.value });
  const rank = x.dims.length - 2;
  const out = spatialOutput(ctx.op, x.dims.slice(2), sp);
  const pads = out.pads!;
  const dims = out.dims as number[];
  if (rank === 1) {
    return {
      n: x.dims[0], c: x.dims[1], h: 1, w: x.dims[2], m: w.dims[0], group: ctx.params.group, kh: 1, kw: w.dims[2],
      oh: 1, ow: dims[0], strides: [1, sp.strides[0]], dilations: [1, sp.dilations[0]], padsBegin: [0, pads[0]],
    };
  }
  if (rank !== 2) throw ctx.error('UnsupportedFeature', `integer convolution with ${rank} spatial dims (1-D and 2-D only)`);
  return {
    n: x.dims[0], c: x.dims[1], h: x.dims[2], w: x.dims[3], m: w.dims[0], group: ctx.params.group, kh: w.dims[2], kw: w.dims[3],
    oh: dims[0], ow: dims[1], strides: [sp.strides[0], sp.strides[1]], dilations: [sp.dilations[0], sp.dilations[1]], padsBegin: [pads[0], pads[1]],
  };
}

/** Weights minus their (per output channel) zero points, as int32. */
function centredWeights(w: Numbers, zps: Numbers, m: number, ctx: CpuPrepareContext<unknown>): Int32Array {
  const z = perChannel(zps, m, 'w_zero_point', ctx);
  const per = w.length / m;
  const out = new Int32Array(w.length);
  for (let o = 0; o < m; o++) for (let k = 0; k < per; k++) out[o * per + k] = w[o * per + k] - z[o];
  return out;
}

interface ConvInputs {
  x: CpuTensor;
  w: CpuTensor;
  xzp: CpuTensor | null;
  wzp: CpuTensor | null;
}

/** A closure computing the int32 accumulators (weights centred once when they are constants). */
function accumulator(ctx: CpuPrepareContext<ConvParams>, io: ConvInputs): { g: ConvGeometry; run: () => Int32Array } {
  const g = geometry(ctx, io.x, io.w);
  const readW = paramReader(ctx, io.w, 0);
  const readWzp = paramReader(ctx, io.wzp, 0);
  const readXzp = scalarReader(ctx, io.xzp, 0, 'x_zero_point');
  const constant = !!io.w.value && (!io.wzp || !!io.wzp.value);
  const fixed = constant ? ctx.keep('centredW', () => centredWeights(readW(), readWzp(), g.m, ctx)) : null;
  return {
    g,
    run: () => convAccumulate(ctx.view(io.x) as Int8Array, readXzp(), fixed ?? centredWeights(readW(), readWzp(), g.m, ctx), g),
  };
}

defineCpuKernel<ConvParams>({
  type: 'ConvInteger',
  prepare: (ctx) => {
    const [x, w, xzp, wzp] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2] ?? null, ctx.inputs[3] ?? null];
    const acc = accumulator(ctx, { x, w, xzp, wzp });
    const y = ctx.outputs[0];
    return () => (ctx.view(y) as Int32Array).set(acc.run());
  },
});

/** QLinearConv and QConv share their inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B. */
function prepareQLinear(ctx: CpuPrepareContext<ConvParams>, rule: 'onnx' | 'tflite', clamp?: [number | null, number | null]): () => void {
  const t = (i: number) => ctx.inputs[i] ?? null;
  const [x, w] = [t(0)!, t(3)!];
  const y = ctx.outputs[0];
  const acc = accumulator(ctx, { x, w, xzp: t(2), wzp: t(5) });
  const m = acc.g.m;
  const plane = acc.g.oh * acc.g.ow;
  const readXs = scalarReader(ctx, t(1), 1, 'x_scale');
  const readWs = paramReader(ctx, t(4), 1);
  const readYs = scalarReader(ctx, t(6), 1, 'y_scale');
  const readYzp = scalarReader(ctx, t(7), 0, 'y_zero_point');
  const readBias = paramReader(ctx, t(8), 0);
  const [qlo, qhi] = rangeOf(y.dtype);
  const lo = Math.max(qlo, clamp?.[0] ?? qlo);
  const hi = Math.min(qhi, clamp?.[1] ?? qhi);
  return () => {
    const xs = readXs();
    const ws = perChannel(readWs(), m, 'w_scale', ctx);
    const ys = readYs();
    checkScales(ctx, [xs], 'x_scale');
    checkScales(ctx, ws, 'w_scale');
    checkScales(ctx, [ys], 'y_scale');
    const yzp = readYzp();
    const bias = perChannel(t(8) ? readBias() : [0], m, 'bias B', ctx);
    const sums = acc.run();
    const out = ctx.view(y) as Int8Array;
    for (let o = 0; o < m; o++) {
      const b = bias[o];
      if (rule === 'onnx') {
        // numpy: the float32 product of the scales, then the int32 sums times it in double.
        const mult = fr(fr(xs * ws[o]) / ys);
        for (let n = 0; n < acc.g.n; n++) {
          const base = (n * m + o) * plane;
          for (let p = 0; p < plane; p++) {
            const v = roundHalfEven((sums[base + p] + b) * mult + yzp);
            out[base + p] = v < lo ? lo : v > hi ? hi : v;
          }
        }
      } else {
        const q = tfliteMultiplier(xs, ws[o], ys);
        for (let n = 0; n < acc.g.n; n++) {
          const base = (n * m + o) * plane;
          for (let p = 0; p < plane; p++) {
            const v = multiplyByQuantizedMultiplier((sums[base + p] + b) | 0, q) + yzp;
            out[base + p] = v < lo ? lo : v > hi ? hi : v;
          }
        }
      }
    }
  };
}

defineCpuKernel<ConvParams>({ type: 'QLinearConv', prepare: (ctx) => prepareQLinear(ctx, 'onnx') });

defineCpuKernel<QConvParams>({
  type: 'QConv',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => int8QConv(ctx) ?? prepareQLinear(ctx, ctx.params.requantize === 'float' ? 'onnx' : 'tflite', ctx.params.clamp),
});
