// Normalisations and softmax: BatchNormalization, InstanceNormalization, LRN, Softmax, LogSoftmax.
import { normAxis } from './dims.js';
import { FLOAT_TYPES } from './elementwise.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';

function perChannel(ctx: OpContext, inputs: readonly (ValueInfo | null)[], x: ValueInfo, first: number, names: string[]): void {
  const c = x.shape?.[1];
  names.forEach((name, k) => {
    const v = ctx.input(inputs, first + k, name);
    if (v.dtype !== x.dtype && !(name === 'mean' || name === 'var')) {
      throw ctx.error('DTypeMismatch', `${name} is ${v.dtype}, X is ${x.dtype}`);
    }
    if (v.shape && typeof c === 'number' && (v.shape.length !== 1 || (typeof v.shape[0] === 'number' && v.shape[0] !== c))) {
      throw ctx.error('ShapeMismatch', `${name} ('${ctx.node.inputs[first + k]?.name}') has shape [${v.shape}], X has ${c} channels`);
    }
  });
}

export interface BatchNormParams {
  epsilon: number;
  training: boolean;
}

defineOp<BatchNormParams>({
  type: 'BatchNormalization',
  params: (ctx) => {
    const epsilon = ctx.node.float('epsilon', 1e-5);
    if (!(epsilon >= 0)) throw ctx.error('InvalidArgument', `epsilon ${epsilon} must be ≥ 0`);
    return { epsilon, training: ctx.node.int('training_mode', 0) !== 0 || (ctx.opset < 9 && ctx.node.int('is_test', 0) === 0 && ctx.node.outputs.length > 1) };
  },
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'X');
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    ctx.expectRank(x, (r) => r >= 2, 'input X', 'rank ≥ 2');
    perChannel(ctx, inputs, x, 1, ['scale', 'B', 'mean', 'var']);
    const y: ValueInfo = { dtype: x.dtype, shape: x.shape, value: null };
    if (!p.training) return [y];
    const stat: ValueInfo = { dtype: inputs[3]!.dtype, shape: x.shape ? [x.shape[1]] : null, value: null };
    return [y, ...ctx.node.outputs.slice(1).map(() => stat)];
  },
  macs: (inputs) => ((inputs[0]?.shape as number[] | undefined) ?? []).reduce((a, d) => a * d, 1),
});

defineOp({
  type: 'InstanceNormalization',
  params: (ctx) => ({ epsilon: ctx.node.float('epsilon', 1e-5) }),
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0, 'input');
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    ctx.expectRank(x, (r) => r >= 3, 'input', 'rank ≥ 3');
    perChannel(ctx, inputs, x, 1, ['scale', 'B']);
    return [{ dtype: x.dtype, shape: x.shape, value: null }];
  },
});

export interface LrnParams {
  alpha: number;
  beta: number;
  bias: number;
  size: number;
}

defineOp<LrnParams>({
  type: 'LRN',
  params: (ctx) => {
    const size = ctx.node.int('size');
    if (size < 1) throw ctx.error('InvalidArgument', `size ${size} must be ≥ 1`);
    return { alpha: ctx.node.float('alpha', 1e-4), beta: ctx.node.float('beta', 0.75), bias: ctx.node.float('bias', 1), size };
  },
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0, 'X');
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    ctx.expectRank(x, (r) => r >= 3, 'input X', 'rank ≥ 3');
    return [{ dtype: x.dtype, shape: x.shape, value: null }];
  },
});

export interface SoftmaxParams {
  axis: number;
  /** Opset < 13: the input is coerced to 2-D at `axis` and normalised over all trailing dims. */
  flatten: boolean;
}

for (const type of ['Softmax', 'LogSoftmax']) {
  defineOp<SoftmaxParams>({
    type,
    params: (ctx) => ({ axis: ctx.node.int('axis', ctx.opset < 13 ? 1 : -1), flatten: ctx.opset < 13 }),
    infer: (ctx, inputs, p) => {
      const x = ctx.input(inputs, 0, 'input');
      ctx.expectDType(x, FLOAT_TYPES, 'input 0');
      if (x.shape) normAxis(ctx, p.axis, x.shape.length);
      return [{ dtype: x.dtype, shape: x.shape, value: null }];
    },
  });
}
