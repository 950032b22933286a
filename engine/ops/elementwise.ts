// Elementwise operators: numpy-broadcasting binaries (and their variadic forms), unary math and
// activations, Clip, Cast-free passes. Output dtype follows the inputs.
import type { DType } from '../tensor.js';
import { broadcast } from './dims.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import { EDGERUN_DOMAIN } from './fused-activation.js';

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float64', 'float16'];
export const NUMERIC_TYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];

function sameTypes(ctx: OpContext, inputs: readonly ValueInfo[]): DType {
  const t = inputs[0].dtype;
  inputs.forEach((v, i) => {
    if (v.dtype !== t) throw ctx.error('DTypeMismatch', `input ${i} ('${ctx.node.inputs[i]?.name}') is ${v.dtype} but input 0 is ${t}`);
  });
  return t;
}

function broadcastInfer(ctx: OpContext, inputs: readonly (ValueInfo | null)[], allowed: readonly DType[], outType?: DType): ValueInfo[] {
  const ins = inputs.map((_, i) => ctx.input(inputs, i));
  if (ins.length === 0) throw ctx.error('InvalidModel', 'needs at least one input');
  const t = sameTypes(ctx, ins);
  ctx.expectDType(ins[0], allowed, 'input 0');
  const shapes = ins.map((v) => v.shape);
  const shape = shapes.some((s) => s === null) ? null : broadcast(ctx, shapes as never, 'inputs');
  return [{ dtype: outType ?? t, shape, value: null }];
}

export const BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu'] as const;
export const VARIADIC_OPS = ['Sum', 'Mean', 'Max', 'Min'] as const;

for (const type of ['Add', 'Sub', 'Mul', 'Div']) {
  defineOp({
    type,
    params: () => null,
    infer: (ctx, inputs) => {
      if (inputs.length !== 2) throw ctx.error('InvalidModel', `takes 2 inputs, got ${inputs.length}`);
      return broadcastInfer(ctx, inputs, NUMERIC_TYPES);
    },
    macs: (_i, outs) => sizeOfInfo(outs[0]),
  });
}

defineOp({
  type: 'Pow',
  params: () => null,
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0);
    const y = ctx.input(inputs, 1);
    ctx.expectDType(x, NUMERIC_TYPES, 'input 0');
    const shape = x.shape && y.shape ? broadcast(ctx, [x.shape, y.shape]) : null;
    return [{ dtype: x.dtype, shape, value: null }];
  },
});

defineOp({
  type: 'PRelu',
  params: () => null,
  infer: (ctx, inputs) => broadcastInfer(ctx, inputs, FLOAT_TYPES),
});

for (const type of VARIADIC_OPS) {
  defineOp({
    type,
    params: () => null,
    infer: (ctx, inputs) => broadcastInfer(ctx, inputs, type === 'Mean' || type === 'Sum' ? FLOAT_TYPES.concat(['int32', 'int64']) : NUMERIC_TYPES),
  });
}

/** Unary ops and the attributes they read. */
export const UNARY_OPS: Record<string, (ctx: OpContext) => Record<string, number>> = {
  Abs: () => ({}),
  Neg: () => ({}),
  Exp: () => ({}),
  Log: () => ({}),
  Sqrt: () => ({}),
  Reciprocal: () => ({}),
  Relu: () => ({}),
  Sigmoid: () => ({}),
  Tanh: () => ({}),
  Softplus: () => ({}),
  Softsign: () => ({}),
  HardSwish: () => ({}),
  LeakyRelu: (ctx) => ({ alpha: ctx.node.float('alpha', 0.01) }),
  Elu: (ctx) => ({ alpha: ctx.node.float('alpha', 1) }),
  Selu: (ctx) => ({ alpha: ctx.node.float('alpha', 1.67326319217681884765625), gamma: ctx.node.float('gamma', 1.05070102214813232421875) }),
  ThresholdedRelu: (ctx) => ({ alpha: ctx.node.float('alpha', 1) }),
  HardSigmoid: (ctx) => ({ alpha: ctx.node.float('alpha', 0.2), beta: ctx.node.float('beta', 0.5) }),
};

/** Unary ops that are defined on signed integers too. */
const INT_OK = new Set(['Abs', 'Neg', 'Relu']);

for (const [type, read] of Object.entries(UNARY_OPS)) {
  defineOp({
    type,
    params: read,
    infer: (ctx, inputs) => {
      const x = ctx.input(inputs, 0);
      ctx.expectDType(x, INT_OK.has(type) ? NUMERIC_TYPES : FLOAT_TYPES, 'input 0');
      return [{ dtype: x.dtype, shape: x.shape, value: null }];
    },
  });
}

export interface ClipParams {
  /** Bounds from attributes (opset < 11); inputs 1 and 2 otherwise. */
  min: number | null;
  max: number | null;
}

defineOp<ClipParams>({
  type: 'Clip',
  params: (ctx) =>
    ctx.opset < 11
      ? { min: ctx.node.float('min', -3.4028234663852886e38), max: ctx.node.float('max', 3.4028234663852886e38) }
      : { min: null, max: null },
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0);
    ctx.expectDType(x, NUMERIC_TYPES, 'input 0');
    for (const i of [1, 2]) {
      const b = inputs[i];
      if (b && b.shape && b.shape.length > 0 && !(b.shape.length === 1 && b.shape[0] === 1)) {
        throw ctx.error('ShapeMismatch', `input ${i} (${i === 1 ? 'min' : 'max'}) must be a scalar, has shape [${b.shape}]`);
      }
      if (b && b.dtype !== x.dtype) throw ctx.error('DTypeMismatch', `input ${i} is ${b.dtype}, input 0 is ${x.dtype}`);
    }
    return [{ dtype: x.dtype, shape: x.shape, value: null }];
  },
});

export function sizeOfInfo(v: ValueInfo | undefined): number {
  if (!v?.shape) return 0;
  return v.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
}

// The Heaviside step of the classic perceptron: 1 where x ≥ 0, else 0 (step(±0) = 1, NaN stays
// NaN). ONNX has no such op, so it lives in edgerun's domain.
defineOp({
  type: 'Heaviside',
  domain: EDGERUN_DOMAIN,
  params: () => ({}),
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0);
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    return [{ dtype: x.dtype, shape: x.shape, value: null }];
  },
});
