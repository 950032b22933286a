// The ONNX quantization operators: QuantizeLinear / DequantizeLinear (per tensor, and per axis
// from opset 13), DynamicQuantizeLinear, the QOperator forms QLinearConv / QLinearMatMul, the
// raw-integer MatMulInteger / ConvInteger, and Round (the expanded DynamicQuantizeLinear
// function uses it). Quantized data is int8 or uint8 (int32 for biases going through
// DequantizeLinear); scales are float32.
import type { DType } from '../tensor.js';
import { ONNX_TO_DTYPE } from '../onnx/tensor-proto.js';
import { normAxis, spatialOutput, spatialParams } from './dims.js';
import { FLOAT_TYPES } from './elementwise.js';
import { convSpatial, type ConvParams } from './conv-ops.js';
import { matmulShape } from './matmul-ops.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';

export const QUANT_TYPES: readonly DType[] = ['int8', 'uint8'];
/** What DequantizeLinear reads: 8-bit data, int32 biases, and the 16-bit types of opset 21. */
export const DEQUANT_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

export interface QdqParams {
  /** Raw axis attribute (normalized against the rank at run time); used only with per-axis params. */
  axis: number;
  /** opset 21's output_dtype (QuantizeLinear), when no zero point says the type. */
  outputDType: DType | null;
  /** opset 19+: saturate is meaningful only for float8, which edgerun does not support. */
}

function qdqParams(ctx: OpContext): QdqParams {
  let outputDType: DType | null = null;
  if (ctx.node.has('output_dtype')) {
    const code = ctx.node.int('output_dtype');
    if (code !== 0) {
      outputDType = ONNX_TO_DTYPE[code] ?? null;
      if (!outputDType || !DEQUANT_TYPES.includes(outputDType) || outputDType === 'int32') {
        throw ctx.error('UnsupportedFeature', `output_dtype ${code} is not supported (int8, uint8, int16, uint16)`);
      }
    }
  }
  if (ctx.node.has('block_size') && ctx.node.int('block_size') !== 0) {
    throw ctx.error('UnsupportedFeature', 'blocked quantization (block_size > 0) is not supported');
  }
  return { axis: ctx.node.int('axis', 1), outputDType };
}

/** Scale (and zero point) shape: a scalar/[1] for per-tensor, [C] along `axis` for per-axis. */
export function checkQuantParamShapes(ctx: OpContext, x: ValueInfo, scale: ValueInfo, zp: ValueInfo | null, axis: number): void {
  const sizeOf = (v: ValueInfo) => (v.shape === null ? null : v.shape.reduce<number | null>((a, d) => (a === null || typeof d !== 'number' ? null : a * d), 1));
  const n = sizeOf(scale);
  if (scale.shape && scale.shape.length > 1) throw ctx.error('ShapeMismatch', `scale ('${ctx.node.inputs[1]?.name}') must be a scalar or 1-D, has shape [${scale.shape}]`);
  if (zp?.shape && scale.shape && zp.shape.length > 0 && n !== null && sizeOf(zp) !== n) {
    throw ctx.error('ShapeMismatch', `zero point ('${ctx.node.inputs[2]?.name}') has ${sizeOf(zp)} elements, scale has ${n}`);
  }
  if (n !== null && n > 1 && x.shape) {
    const a = normAxis(ctx, axis, x.shape.length);
    const c = x.shape[a];
    if (ctx.opset < 13) throw ctx.error('InvalidModel', `per-axis scales ([${n}]) need opset 13; this model is opset ${ctx.opset}`);
    if (typeof c === 'number' && c !== n) throw ctx.error('ShapeMismatch', `scale has ${n} elements; input dim ${a} (axis) is ${c}`);
  }
}

defineOp<QdqParams>({
  type: 'QuantizeLinear',
  params: qdqParams,
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'x');
    const scale = ctx.input(inputs, 1, 'y_scale');
    const zp = inputs[2] ?? null;
    ctx.expectDType(x, ['float32', 'float16', 'int32'], 'input 0');
    ctx.expectDType(scale, ['float32', 'float16'], 'input 1');
    if (zp) ctx.expectDType(zp, DEQUANT_TYPES.filter((t) => t !== 'int32'), 'input 2');
    if (zp && p.outputDType && zp.dtype !== p.outputDType) throw ctx.error('DTypeMismatch', `output_dtype is ${p.outputDType} but the zero point is ${zp.dtype}`);
    checkQuantParamShapes(ctx, x, scale, zp, p.axis);
    return [{ dtype: zp?.dtype ?? p.outputDType ?? 'uint8', shape: x.shape, value: null }];
  },
});

defineOp<QdqParams>({
  type: 'DequantizeLinear',
  params: qdqParams,
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'x');
    const scale = ctx.input(inputs, 1, 'x_scale');
    const zp = inputs[2] ?? null;
    ctx.expectDType(x, DEQUANT_TYPES, 'input 0');
    ctx.expectDType(scale, ['float32', 'float16'], 'input 1');
    if (zp && zp.dtype !== x.dtype) throw ctx.error('DTypeMismatch', `zero point ('${ctx.node.inputs[2]?.name}') is ${zp.dtype}, x is ${x.dtype}`);
    checkQuantParamShapes(ctx, x, scale, zp, p.axis);
    return [{ dtype: scale.dtype, shape: x.shape, value: null }];
  },
});

defineOp({
  type: 'DynamicQuantizeLinear',
  params: () => null,
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0, 'x');
    ctx.expectDType(x, ['float32'], 'input 0');
    return [
      { dtype: 'uint8', shape: x.shape, value: null },
      { dtype: 'float32', shape: [], value: null },
      { dtype: 'uint8', shape: [], value: null },
    ];
  },
});

defineOp({
  type: 'Round',
  params: () => null,
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0, 'X');
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    return [{ dtype: x.dtype, shape: x.shape, value: null }];
  },
});

/** A per-tensor quantization parameter input: a scalar or a one-element vector. */
export function expectScalar(ctx: OpContext, v: ValueInfo | null, i: number, what: string): void {
  if (!v?.shape) return;
  const n = v.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  if (v.shape.length > 1 || n !== 1) throw ctx.error('ShapeMismatch', `${what} (input ${i}, '${ctx.node.inputs[i]?.name}') must be a scalar or [1], has shape [${v.shape}]`);
}

/** Per-channel params (scale/zero point of a weight) must have 1 or `channels` elements. */
export function expectPerChannel(ctx: OpContext, v: ValueInfo | null, i: number, what: string, channels: number | string | null): void {
  if (!v?.shape) return;
  if (v.shape.length > 1) throw ctx.error('ShapeMismatch', `${what} (input ${i}) must be a scalar or 1-D, has shape [${v.shape}]`);
  const n = v.shape.length === 0 ? 1 : v.shape[0];
  if (typeof n === 'number' && n !== 1 && typeof channels === 'number' && n !== channels) {
    throw ctx.error('ShapeMismatch', `${what} (input ${i}) has ${n} elements; expected 1 or ${channels} (one per output channel)`);
  }
}

function convParams(ctx: OpContext): ConvParams {
  const group = ctx.node.int('group', 1);
  if (!Number.isInteger(group) || group < 1) throw ctx.error('InvalidArgument', `group ${group} must be ≥ 1`);
  const spatial = ctx.node.has('kernel_shape') ? spatialParams(ctx, null) : null;
  return { spatial, group, activation: { kind: 'none' } };
}

/** Output shape of an integer conv (X int8/uint8 NCHW, W [M, C/group, k...]). */
export function inferIntegerConv(ctx: OpContext, x: ValueInfo, w: ValueInfo, p: ConvParams): ValueInfo['shape'] {
  ctx.expectDType(x, QUANT_TYPES, 'input X');
  ctx.expectDType(w, QUANT_TYPES, 'weight W');
  ctx.expectRank(x, (r) => r >= 3 && r <= 4, 'input X', 'N, C and 1–2 spatial dims');
  ctx.expectRank(w, x.shape ? x.shape.length : (r) => r >= 3, 'weight W', `rank ${x.shape?.length}`);
  const sp = convSpatial(ctx, p, w);
  const [n, c] = x.shape ?? [null, null];
  const [m, cPerGroup] = w.shape ?? [null, null];
  if (typeof c === 'number' && typeof cPerGroup === 'number' && c !== cPerGroup * p.group) {
    throw ctx.error('ShapeMismatch', `input X has ${c} channels, weight W expects ${cPerGroup * p.group} (${cPerGroup} per group × group ${p.group})`);
  }
  if (typeof m === 'number' && m % p.group !== 0) throw ctx.error('ShapeMismatch', `${m} output channels do not split into ${p.group} groups`);
  const out = spatialOutput(ctx, x.shape ? x.shape.slice(2) : sp.kernel.map(() => null), sp);
  return [n, m, ...out.dims];
}

function convMacs(inputs: readonly (ValueInfo | null)[], outs: readonly ValueInfo[], wIndex: number): number {
  const w = inputs[wIndex]?.shape;
  const y = outs[0]?.shape;
  if (!w || !y) return 0;
  return (y as number[]).reduce((a, d) => a * d, 1) * (w.slice(1) as number[]).reduce((a, d) => a * d, 1);
}

defineOp<ConvParams>({
  type: 'QLinearConv',
  params: convParams,
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'x');
    const w = ctx.input(inputs, 3, 'w');
    const yzp = ctx.input(inputs, 7, 'y_zero_point');
    expectScalar(ctx, inputs[1], 1, 'x_scale');
    expectScalar(ctx, inputs[2], 2, 'x_zero_point');
    expectPerChannel(ctx, inputs[4], 4, 'w_scale', w.shape?.[0] ?? null);
    expectPerChannel(ctx, inputs[5], 5, 'w_zero_point', w.shape?.[0] ?? null);
    expectScalar(ctx, inputs[6], 6, 'y_scale');
    ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
    if (inputs[8]) ctx.expectDType(inputs[8], ['int32'], 'bias B');
    return [{ dtype: yzp.dtype, shape: inferIntegerConv(ctx, x, w, p), value: null }];
  },
  macs: (i, o) => convMacs(i, o, 3),
});

defineOp<ConvParams>({
  type: 'ConvInteger',
  params: convParams,
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'x');
    const w = ctx.input(inputs, 1, 'w');
    expectScalar(ctx, inputs[2], 2, 'x_zero_point');
    expectPerChannel(ctx, inputs[3], 3, 'w_zero_point', w.shape?.[0] ?? null);
    return [{ dtype: 'int32', shape: inferIntegerConv(ctx, x, w, p), value: null }];
  },
  macs: (i, o) => convMacs(i, o, 1),
});

function matmulMacs(a: ValueInfo | null, y: ValueInfo | undefined): number {
  if (!a?.shape || !y?.shape) return 0;
  return (y.shape as number[]).reduce((s, d) => s * d, 1) * (a.shape[a.shape.length - 1] as number);
}

defineOp({
  type: 'QLinearMatMul',
  params: () => null,
  infer: (ctx, inputs) => {
    const a = ctx.input(inputs, 0, 'a');
    const b = ctx.input(inputs, 3, 'b');
    const yzp = ctx.input(inputs, 7, 'y_zero_point');
    ctx.expectDType(a, QUANT_TYPES, 'input a');
    ctx.expectDType(b, QUANT_TYPES, 'input b');
    ctx.expectDType(yzp, QUANT_TYPES, 'y_zero_point');
    expectScalar(ctx, inputs[1], 1, 'a_scale');
    expectScalar(ctx, inputs[2], 2, 'a_zero_point');
    const n = b.shape ? b.shape[b.shape.length - 1] : null;
    expectPerChannel(ctx, inputs[4], 4, 'b_scale', n);
    expectPerChannel(ctx, inputs[5], 5, 'b_zero_point', n);
    expectScalar(ctx, inputs[6], 6, 'y_scale');
    return [{ dtype: yzp.dtype, shape: a.shape && b.shape ? matmulShape(ctx, a.shape, b.shape) : null, value: null }];
  },
  macs: (i, o) => matmulMacs(i[0], o[0]),
});

defineOp({
  type: 'MatMulInteger',
  params: () => null,
  infer: (ctx, inputs) => {
    const a = ctx.input(inputs, 0, 'A');
    const b = ctx.input(inputs, 1, 'B');
    ctx.expectDType(a, QUANT_TYPES, 'input A');
    ctx.expectDType(b, QUANT_TYPES, 'input B');
    if (inputs[2]) {
      if (inputs[2].dtype !== a.dtype) throw ctx.error('DTypeMismatch', `a_zero_point is ${inputs[2].dtype}, A is ${a.dtype}`);
      // Per-row zero points of A are allowed by the spec only as [M]; edgerun takes a scalar.
      expectScalar(ctx, inputs[2], 2, 'a_zero_point');
    }
    if (inputs[3]) {
      if (inputs[3].dtype !== b.dtype) throw ctx.error('DTypeMismatch', `b_zero_point is ${inputs[3].dtype}, B is ${b.dtype}`);
      expectPerChannel(ctx, inputs[3], 3, 'b_zero_point', b.shape ? b.shape[b.shape.length - 1] : null);
    }
    return [{ dtype: 'int32', shape: a.shape && b.shape ? matmulShape(ctx, a.shape, b.shape) : null, value: null }];
  },
  macs: (i, o) => matmulMacs(i[0], o[0]),
});
