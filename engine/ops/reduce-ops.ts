// Reductions (ReduceMax/Min/Mean/Sum/Prod/SumSquare/L1/L2/LogSum/LogSumExp) and ArgMax/ArgMin.
// Axes come from an attribute up to opset 12 (ReduceSum) or 17 (the others), from an optional
// input after that; no axes means every axis, unless noop_with_empty_axes makes it an identity.
import type { Dim } from '../graph/ir.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import { normAxis } from './dims.js';
import { intsOf } from './shape-ops.js';

export const REDUCE_OPS = ['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export interface ReduceParams {
  keepdims: boolean;
  noopWithEmptyAxes: boolean;
  /** The axes attribute, in the opsets that have one (null: absent). */
  axesAttr: number[] | null;
}

/** The sorted, normalised axes to reduce; [] with noop_with_empty_axes means "reduce nothing". */
export function reduceAxes(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: ReduceParams, rank: number): number[] {
  let axes = p.axesAttr;
  if (!axes && inputs[1]) {
    ctx.expectDType(inputs[1], ['int64'], 'input 1');
    axes = intsOf(ctx.constant(inputs, 1, 'axes'));
  }
  if (!axes || axes.length === 0) return p.noopWithEmptyAxes ? [] : Array.from({ length: rank }, (_, i) => i);
  const norm = axes.map((a) => normAxis(ctx, a, rank, 'axes'));
  if (new Set(norm).size !== norm.length) throw ctx.error('InvalidArgument', `axes [${axes.join(', ')}] repeat an axis`);
  return norm.sort((a, b) => a - b);
}

export function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  const set = new Set(axes);
  return keepdims ? shape.map((d, i) => (set.has(i) ? 1 : d)) : shape.filter((_, i) => !set.has(i));
}

const NUMERIC_ONLY = new Set(['bool', 'string']);

for (const type of REDUCE_OPS) {
  // ReduceSum took its axes as an input from opset 13, the others from opset 18.
  const axesInputFrom = type === 'ReduceSum' ? 13 : 18;
  defineOp<ReduceParams>({
    type,
    params: (ctx) => {
      const n = ctx.node;
      return {
        keepdims: n.int('keepdims', 1) !== 0,
        noopWithEmptyAxes: n.int('noop_with_empty_axes', 0) !== 0,
        axesAttr: ctx.opset < axesInputFrom && n.has('axes') ? n.ints('axes') : null,
      };
    },
    infer: (ctx, inputs, p) => {
      const x = ctx.input(inputs, 0, 'data');
      if (NUMERIC_ONLY.has(x.dtype)) throw ctx.error('DTypeMismatch', `input 0 ('${ctx.node.inputs[0]?.name}') has type ${x.dtype}; ${type} needs numbers`);
      if (!x.shape) return [{ dtype: x.dtype, shape: null, value: null }];
      const axes = reduceAxes(ctx, inputs, p, x.shape.length);
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, p.keepdims), value: null }];
    },
  });
}

export interface ArgParams {
  axis: number;
  keepdims: boolean;
  selectLastIndex: boolean;
}

for (const type of ['ArgMax', 'ArgMin']) {
  defineOp<ArgParams>({
    type,
    params: (ctx) => ({
      axis: ctx.node.int('axis', 0),
      keepdims: ctx.node.int('keepdims', 1) !== 0,
      selectLastIndex: ctx.node.int('select_last_index', 0) !== 0,
    }),
    infer: (ctx, inputs, p) => {
      const x = ctx.input(inputs, 0, 'data');
      if (NUMERIC_ONLY.has(x.dtype)) throw ctx.error('DTypeMismatch', `input 0 ('${ctx.node.inputs[0]?.name}') has type ${x.dtype}; ${type} needs numbers`);
      if (!x.shape) return [{ dtype: 'int64', shape: null, value: null }];
      const axis = normAxis(ctx, p.axis, x.shape.length);
      if (x.shape[axis] === 0) throw ctx.error('ShapeMismatch', `axis ${axis} of input 0 is empty; ${type} has nothing to choose from`);
      return [{ dtype: 'int64', shape: reducedShape(x.shape, [axis], p.keepdims), value: null }];
    },
  });
}
