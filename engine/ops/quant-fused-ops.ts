// edgerun's integer operators (domain ai.edgerun), what engine/passes/fuse-qdq.ts turns QDQ
// patterns into. Their inputs follow onnxruntime's com.microsoft QLinear* contrib ops (every
// quantized tensor travels with its scale and zero point), so the graphs read the same:
//   QConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B)       + Conv attrs, clamp_min/max
//   QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp)       + transB, clamp_min/max
//   QAdd(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)
//   QAveragePool / QGlobalAveragePool(x, x_scale, x_zp, y_scale, y_zp) + pool attrs
//   QConcat(y_scale, y_zp, x0, s0, zp0, x1, s1, zp1, ...)             + axis
//   QLut(x, table[256])                                               any unary op as a table
//   DynamicQuantizeMatMul(A float, B int8, b_scale, b_zp, bias float) + transB (hybrid kernel)
// QConv/QGemm requantize with TFLite's fixed-point arithmetic (attribute requantize = 'float': as
// onnxruntime does); clamp_min/clamp_max (integers) are a fused Relu/Clip as TFLite applies it: a
// clamp of the quantized output.
import { broadcast } from './dims.js';
import { spatialOutput, spatialParams, type SpatialParams } from './dims.js';
import { EDGERUN_DOMAIN } from './fused-activation.js';
import { type ConvParams } from './conv-ops.js';
import { expectPerChannel, expectScalar, inferIntegerConv, QUANT_TYPES } from './quant-ops.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import { normAxis } from './dims.js';

export type RequantizeRule = 'tflite' | 'float';

export interface QConvParams extends ConvParams {
  clamp: [number | null, number | null];
  requantize: RequantizeRule;
}

/**
 * 'tflite' (default): fixed-point multiplier and shifts, bit-exact with TFLite's int8 kernels.
 * 'float': acc · (sx·sw/sy) rounded half to even, as onnxruntime's QLinearConv/QGemm and the
 * ONNX reference do — for outputs that match onnxruntime's (the rules differ by ≤ 1 LSB per layer).
 */
function requantizeAttr(ctx: OpContext): RequantizeRule {
  const r = ctx.node.string('requantize', 'tflite');
  if (r !== 'tflite' && r !== 'float') throw ctx.error('InvalidArgument', `requantize '${r}' is not 'tflite' or 'float'`);
  return r;
}

function clampAttrs(ctx: OpContext): [number | null, number | null] {
  const lo = ctx.node.has('clamp_min') ? ctx.node.int('clamp_min') : null;
  const hi = ctx.node.has('clamp_max') ? ctx.node.int('clamp_max') : null;
  if (lo !== null && hi !== null && lo > hi) throw ctx.error('InvalidArgument', `clamp_min ${lo} is above clamp_max ${hi}`);
  return [lo, hi];
}

defineOp<QConvParams>({
  type: 'QConv',
  domain: EDGERUN_DOMAIN,
  params: (ctx) => {
    const group = ctx.node.int('group', 1);
    if (!Number.isInteger(group) || group < 1) throw ctx.error('InvalidArgument', `group ${group} must be ≥ 1`);
    const spatial = ctx.node.has('kernel_shape') ? spatialParams(ctx, null) : null;
    return { spatial, group, activation: { kind: 'none' }, clamp: clampAttrs(ctx), requantize: requantizeAttr(ctx) };
  },
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'x');
    const w = ctx.input(inputs, 3, 'w');
    const yzp = ctx.input(inputs, 7, 'y_zero_point');
    expectScalar(ctx, inputs[1], 1, 'x_scale');
    expectScalar(ctx, inputs[2], 2, 'x_zero_point');
    expectPerChannel(ctx, inputs[4], 4, 'w_scale', w.shape?.[0] ?? null);
    expectScalar(ctx, inputs[6], 6, 'y_scale');
    ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
    if (inputs[8]) ctx.expectDType(inputs[8], ['int32'], 'bias B');
    return [{ dtype: yzp.dtype, shape: inferIntegerConv(ctx, x, w, p), value: null }];
  },
  macs: (inputs, outs) => {
    const w = inputs[3]?.shape;
    const y = outs[0]?.shape;
    if (!w || !y) return 0;
    return (y as number[]).reduce((a, d) => a * d, 1) * (w.slice(1) as number[]).reduce((a, d) => a * d, 1);
  },
});

export interface QGemmParams {
  transB: boolean;
  clamp: [number | null, number | null];
  requantize: RequantizeRule;
}

/** [..., K] × B (2-D, [K, N] or [N, K] with transB) → [..., N]. */
function gemmShape(ctx: OpContext, a: ValueInfo, b: ValueInfo, transB: boolean): ValueInfo['shape'] {
  ctx.expectRank(b, 2, 'B');
  ctx.expectRank(a, (r) => r >= 1, 'A', 'rank ≥ 1');
  if (!a.shape || !b.shape) return null;
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  const ka = a.shape[a.shape.length - 1];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) throw ctx.error('ShapeMismatch', `A has K = ${ka}, B has K = ${kb}`);
  return [...a.shape.slice(0, -1), n];
}

defineOp<QGemmParams>({
  type: 'QGemm',
  domain: EDGERUN_DOMAIN,
  params: (ctx) => ({ transB: ctx.node.int('transB', 0) !== 0, clamp: clampAttrs(ctx), requantize: requantizeAttr(ctx) }),
  infer: (ctx, inputs, p) => {
    const a = ctx.input(inputs, 0, 'A');
    const b = ctx.input(inputs, 3, 'B');
    const yzp = ctx.input(inputs, 8, 'y_zero_point');
    ctx.expectDType(a, QUANT_TYPES, 'input A');
    ctx.expectDType(b, QUANT_TYPES, 'input B');
    ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
    expectScalar(ctx, inputs[1], 1, 'a_scale');
    expectScalar(ctx, inputs[2], 2, 'a_zero_point');
    const n = b.shape ? b.shape[p.transB ? 0 : 1] : null;
    expectPerChannel(ctx, inputs[4], 4, 'b_scale', n);
    expectPerChannel(ctx, inputs[5], 5, 'b_zero_point', n);
    if (inputs[6]) ctx.expectDType(inputs[6], ['int32'], 'bias C');
    expectScalar(ctx, inputs[7], 7, 'y_scale');
    return [{ dtype: yzp.dtype, shape: gemmShape(ctx, a, b, p.transB), value: null }];
  },
  macs: (inputs, outs) => {
    const a = inputs[0]?.shape;
    const y = outs[0]?.shape;
    return a && y ? (y as number[]).reduce((s, d) => s * d, 1) * (a[a.length - 1] as number) : 0;
  },
});

defineOp<{ transB: boolean }>({
  type: 'DynamicQuantizeMatMul',
  domain: EDGERUN_DOMAIN,
  params: (ctx) => ({ transB: ctx.node.int('transB', 0) !== 0 }),
  infer: (ctx, inputs, p) => {
    const a = ctx.input(inputs, 0, 'A');
    const b = ctx.input(inputs, 1, 'B');
    ctx.expectDType(a, ['float32'], 'input A');
    ctx.expectDType(b, ['int8'], 'input B');
    const n = b.shape ? b.shape[p.transB ? 0 : 1] : null;
    expectPerChannel(ctx, ctx.input(inputs, 2, 'b_scale'), 2, 'b_scale', n);
    if (inputs[4]) ctx.expectDType(inputs[4], ['float32'], 'bias');
    return [{ dtype: 'float32', shape: gemmShape(ctx, a, b, p.transB), value: null }];
  },
});

defineOp({
  type: 'QLut',
  domain: EDGERUN_DOMAIN,
  params: () => null,
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0, 'x');
    const table = ctx.input(inputs, 1, 'table');
    ctx.expectDType(x, QUANT_TYPES, 'input x');
    ctx.expectDType(table, QUANT_TYPES, 'table');
    if (table.shape && !(table.shape.length === 1 && table.shape[0] === 256)) throw ctx.error('ShapeMismatch', `table must have shape [256], has [${table.shape}]`);
    return [{ dtype: table.dtype, shape: x.shape, value: null }];
  },
});

defineOp({
  type: 'QAdd',
  domain: EDGERUN_DOMAIN,
  params: () => null,
  infer: (ctx, inputs) => {
    const a = ctx.input(inputs, 0, 'a');
    const b = ctx.input(inputs, 3, 'b');
    const yzp = ctx.input(inputs, 7, 'y_zero_point');
    ctx.expectDType(a, QUANT_TYPES, 'input a');
    ctx.expectDType(b, QUANT_TYPES, 'input b');
    ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
    for (const [i, what] of [[1, 'a_scale'], [2, 'a_zero_point'], [4, 'b_scale'], [5, 'b_zero_point'], [6, 'y_scale']] as const) expectScalar(ctx, inputs[i], i, what);
    return [{ dtype: yzp.dtype, shape: a.shape && b.shape ? broadcast(ctx, [a.shape, b.shape]) : null, value: null }];
  },
});

export interface QPoolParams {
  spatial: SpatialParams | null;
  countIncludePad: boolean;
}

function inferQPool(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: QPoolParams): ValueInfo[] {
  const x = ctx.input(inputs, 0, 'x');
  const yzp = ctx.input(inputs, 4, 'y_zero_point');
  ctx.expectDType(x, QUANT_TYPES, 'input x');
  ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
  for (const [i, what] of [[1, 'x_scale'], [2, 'x_zero_point'], [3, 'y_scale']] as const) expectScalar(ctx, inputs[i], i, what);
  if (!x.shape) return [{ dtype: yzp.dtype, shape: null, value: null }];
  if (!p.spatial) return [{ dtype: yzp.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], value: null }];
  ctx.expectRank(x, p.spatial.kernel.length + 2, 'input x', `rank ${p.spatial.kernel.length + 2}`);
  const out = spatialOutput(ctx, x.shape.slice(2), p.spatial);
  return [{ dtype: yzp.dtype, shape: [x.shape[0], x.shape[1], ...out.dims], value: null }];
}

defineOp<QPoolParams>({
  type: 'QAveragePool',
  domain: EDGERUN_DOMAIN,
  params: (ctx) => ({ spatial: spatialParams(ctx, null), countIncludePad: ctx.node.int('count_include_pad', 0) !== 0 }),
  infer: inferQPool,
});

defineOp<QPoolParams>({
  type: 'QGlobalAveragePool',
  domain: EDGERUN_DOMAIN,
  params: () => ({ spatial: null, countIncludePad: false }),
  infer: inferQPool,
});

defineOp<{ axis: number }>({
  type: 'QConcat',
  domain: EDGERUN_DOMAIN,
  params: (ctx) => ({ axis: ctx.node.int('axis') }),
  infer: (ctx, inputs, p) => {
    const yzp = ctx.input(inputs, 1, 'y_zero_point');
    ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
    if (inputs.length < 5 || (inputs.length - 2) % 3 !== 0) throw ctx.error('InvalidModel', `takes y_scale, y_zero_point and (x, scale, zero point) triples; got ${inputs.length} inputs`);
    const xs = [];
    for (let i = 2; i < inputs.length; i += 3) {
      const x = ctx.input(inputs, i, `input ${i}`);
      ctx.expectDType(x, QUANT_TYPES, `input ${i}`);
      expectScalar(ctx, inputs[i + 1], i + 1, 'scale');
      expectScalar(ctx, inputs[i + 2], i + 2, 'zero point');
      xs.push(x);
    }
    if (xs.some((x) => !x.shape)) return [{ dtype: yzp.dtype, shape: null, value: null }];
    const rank = xs[0].shape!.length;
    const axis = normAxis(ctx, p.axis, rank);
    const shape = [...xs[0].shape!];
    let total: number | null = 0;
    for (const x of xs) {
      if (x.shape!.length !== rank) throw ctx.error('ShapeMismatch', `inputs have different ranks`);
      const d = x.shape![axis];
      total = total !== null && typeof d === 'number' ? total + d : null;
    }
    shape[axis] = total;
    return [{ dtype: yzp.dtype, shape, value: null }];
  },
});
