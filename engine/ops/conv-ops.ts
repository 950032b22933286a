// Convolutions and pooling (NCHW, 1–3 spatial dims).
import type { Activation } from '../../kernels/activation.js';
import { spatialOutput, spatialParams, type SpatialParams } from './dims.js';
import { FLOAT_TYPES } from './elementwise.js';
import { activationFromAttrs, EDGERUN_DOMAIN } from './fused-activation.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import type { Dim } from '../graph/ir.js';

export interface ConvParams {
  spatial: SpatialParams | null; // null until the weight's kernel dims are known (kernel_shape absent)
  group: number;
  activation: Activation;
}

function convParams(ctx: OpContext, fused: boolean): ConvParams {
  const group = ctx.node.int('group', 1);
  if (!Number.isInteger(group) || group < 1) throw ctx.error('InvalidArgument', `group ${group} must be ≥ 1`);
  const spatial = ctx.node.has('kernel_shape') ? spatialParams(ctx, null) : null;
  return { spatial, group, activation: fused ? activationFromAttrs(ctx) : { kind: 'none' } };
}

/** Spatial params with kernel_shape taken from the weight when the attribute is absent. */
export function convSpatial(ctx: OpContext, p: ConvParams, w: ValueInfo): SpatialParams {
  if (p.spatial) return p.spatial;
  const k = w.shape?.slice(2);
  if (!k || k.some((d) => typeof d !== 'number')) throw ctx.error('InvalidModel', 'kernel_shape is absent and the weight shape is unknown');
  return spatialParams(ctx, k.length, k as number[]);
}

function inferConv(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: ConvParams): ValueInfo[] {
  const x = ctx.input(inputs, 0, 'X');
  const w = ctx.input(inputs, 1, 'W');
  ctx.expectDType(x, FLOAT_TYPES, 'input 0');
  if (w.dtype !== x.dtype) throw ctx.error('DTypeMismatch', `weight W is ${w.dtype}, input X is ${x.dtype}`);
  ctx.expectRank(x, (r) => r >= 3 && r <= 5, 'input X', 'N, C and 1–3 spatial dims');
  ctx.expectRank(w, x.shape ? x.shape.length : (r) => r >= 3, 'weight W', `rank ${x.shape?.length}`);
  const sp = convSpatial(ctx, p, w);
  const [n, c] = x.shape ?? [null, null];
  const [m, cPerGroup] = w.shape ?? [null, null];
  if (typeof c === 'number' && typeof cPerGroup === 'number' && c !== cPerGroup * p.group) {
    throw ctx.error('ShapeMismatch', `input X ('${ctx.node.inputs[0]?.name}') has ${c} channels, weight W ('${ctx.node.inputs[1]?.name}') expects ${cPerGroup * p.group} (${cPerGroup} per group × group ${p.group})`);
  }
  if (typeof m === 'number' && m % p.group !== 0) throw ctx.error('ShapeMismatch', `${m} output channels do not split into ${p.group} groups`);
  const b = inputs[2];
  if (b?.shape && typeof m === 'number' && (b.shape.length !== 1 || (typeof b.shape[0] === 'number' && b.shape[0] !== m))) {
    throw ctx.error('ShapeMismatch', `bias B has shape [${b.shape}], expected [${m}]`);
  }
  const spatialIn = x.shape ? x.shape.slice(2) : sp.kernel.map(() => null);
  const out = spatialOutput(ctx, spatialIn, sp);
  return [{ dtype: x.dtype, shape: [n, m, ...out.dims], value: null }];
}

function convMacs(inputs: readonly (ValueInfo | null)[], outs: readonly ValueInfo[]): number {
  const w = inputs[1]?.shape;
  const y = outs[0]?.shape;
  if (!w || !y) return 0;
  const perOut = (w.slice(1) as number[]).reduce((a, d) => a * d, 1);
  return (y as number[]).reduce((a, d) => a * d, 1) * perOut;
}

defineOp<ConvParams>({ type: 'Conv', params: (ctx) => convParams(ctx, false), infer: inferConv, macs: convMacs });
defineOp<ConvParams>({ type: 'FusedConv', domain: EDGERUN_DOMAIN, params: (ctx) => convParams(ctx, true), infer: inferConv, macs: convMacs });

export interface ConvTransposeParams extends ConvParams {
  outputPadding: number[] | null;
  outputShape: number[] | null;
}

defineOp<ConvTransposeParams>({
  type: 'ConvTranspose',
  params: (ctx) => ({
    ...convParams(ctx, false),
    outputPadding: ctx.node.has('output_padding') ? ctx.node.ints('output_padding') : null,
    outputShape: ctx.node.has('output_shape') ? ctx.node.ints('output_shape') : null,
  }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'X');
    const w = ctx.input(inputs, 1, 'W');
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    ctx.expectRank(x, (r) => r >= 3 && r <= 5, 'input X', 'N, C and 1–3 spatial dims');
    const sp = convSpatial(ctx, p, w);
    const [n, c] = x.shape ?? [null, null];
    if (w.shape && typeof c === 'number' && typeof w.shape[0] === 'number' && w.shape[0] !== c) {
      throw ctx.error('ShapeMismatch', `input X has ${c} channels, weight W expects ${w.shape[0]}`);
    }
    const m = typeof w.shape?.[1] === 'number' ? (w.shape[1] as number) * p.group : null;
    const dims = convTransposeGeometry(ctx, x.shape ? x.shape.slice(2) : sp.kernel.map(() => null), sp, p).dims;
    return [{ dtype: x.dtype, shape: [n, m, ...dims], value: null }];
  },
  macs: (inputs, outs) => {
    const x = inputs[0]?.shape as number[] | undefined;
    const w = inputs[1]?.shape as number[] | undefined;
    if (!x || !w || !outs[0]) return 0;
    return x.reduce((a, d) => a * d, 1) * (w.slice(1) as number[]).reduce((a, d) => a * d, 1);
  },
});

/** Output dims and effective pads of ConvTranspose (ONNX's formulas, output_shape wins over pads). */
export function convTransposeGeometry(ctx: OpContext, input: readonly Dim[], sp: SpatialParams, p: ConvTransposeParams): { dims: Dim[]; pads: number[] } {
  const r = sp.kernel.length;
  const outPad = p.outputPadding ?? new Array(r).fill(0);
  const pads = [...sp.pads];
  const dims: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const x = input[i];
    const k = (sp.kernel[i] - 1) * sp.dilations[i] + 1;
    if (typeof x !== 'number') {
      dims.push(null);
      continue;
    }
    const full = sp.strides[i] * (x - 1) + outPad[i] + k;
    const target = p.outputShape ? p.outputShape[p.outputShape.length - r + i] : sp.autoPad === 'SAME_UPPER' || sp.autoPad === 'SAME_LOWER' ? x * sp.strides[i] : null;
    if (target !== null) {
      const total = Math.max(0, full - target);
      const half = Math.floor(total / 2);
      if (sp.autoPad === 'SAME_UPPER') {
        pads[i] = half;
        pads[i + r] = total - half;
      } else {
        pads[i] = total - half;
        pads[i + r] = half;
      }
      dims.push(target);
    } else {
      if (sp.autoPad === 'VALID') pads[i] = pads[i + r] = 0;
      const out = full - pads[i] - pads[i + r];
      if (out < 1) throw ctx.error('ShapeMismatch', `spatial dim ${i}: output size ${out} < 1`);
      dims.push(out);
    }
  }
  return { dims, pads };
}

export interface PoolParams {
  spatial: SpatialParams;
  countIncludePad: boolean;
  storageOrder: number;
}

function inferPool(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: PoolParams): ValueInfo[] {
  const x = ctx.input(inputs, 0, 'X');
  ctx.expectDType(x, [...FLOAT_TYPES, 'int8', 'uint8'], 'input 0');
  ctx.expectRank(x, p.spatial.kernel.length + 2, 'input X', `rank ${p.spatial.kernel.length + 2} (N, C and ${p.spatial.kernel.length} spatial dims for kernel_shape [${p.spatial.kernel}])`);
  const [n, c] = x.shape ?? [null, null];
  const out = spatialOutput(ctx, x.shape ? x.shape.slice(2) : p.spatial.kernel.map(() => null), p.spatial);
  const y: ValueInfo = { dtype: x.dtype, shape: [n, c, ...out.dims], value: null };
  return ctx.node.outputs.length > 1 ? [y, { dtype: 'int64', shape: y.shape, value: null }] : [y];
}

for (const type of ['MaxPool', 'AveragePool']) {
  defineOp<PoolParams>({
    type,
    params: (ctx) => {
      const spatial = spatialParams(ctx, null);
      return { spatial, countIncludePad: ctx.node.int('count_include_pad', 0) !== 0, storageOrder: ctx.node.int('storage_order', 0) };
    },
    infer: inferPool,
    macs: (inputs, outs, p) => {
      const y = outs[0]?.shape as number[] | undefined;
      return y ? y.reduce((a, d) => a * d, 1) * p.spatial.kernel.reduce((a, k) => a * k, 1) : 0;
    },
  });
}

for (const type of ['GlobalAveragePool', 'GlobalMaxPool']) {
  defineOp({
    type,
    params: () => null,
    infer: (ctx, inputs) => {
      const x = ctx.input(inputs, 0, 'X');
      ctx.expectDType(x, [...FLOAT_TYPES, 'int8', 'uint8'], 'input 0');
      ctx.expectRank(x, (r) => r >= 3, 'input X', 'rank ≥ 3');
      return [{ dtype: x.dtype, shape: x.shape ? [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] : null, value: null }];
    },
    macs: (inputs) => ((inputs[0]?.shape as number[] | undefined) ?? []).reduce((a, d) => a * d, 1),
  });
}
