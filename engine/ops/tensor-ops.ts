// Operators that move elements without computing on them: Transpose, Concat, Split, Gather,
// GatherElements, DepthToSpace, SpaceToDepth. (Slice and Pad: slice-pad-ops.ts; Cast: cast-ops.ts.)
import type { Dim } from '../graph/ir.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import { normAxis } from './dims.js';
import { intsOf } from './shape-ops.js';

/** The name of input `i` for messages: "input 1 ('b')". */
export function inputName(ctx: OpContext, i: number, what = `input ${i}`): string {
  return `${what} ('${ctx.node.inputs[i]?.name ?? ''}')`;
}

function shapeText(shape: readonly Dim[] | null): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]` : '[?]';
}

// ---------------------------------------------------------------------------------------------
// Transpose

/** perm (default: reversed axes) checked to be a permutation of 0..rank-1. */
export function resolvePerm(ctx: OpContext, perm: number[] | null, rank: number): number[] {
  if (perm === null) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
    throw ctx.error('InvalidArgument', `perm [${perm.join(', ')}] is not a permutation of the ${rank} axes of ${inputName(ctx, 0, 'data')}`);
  }
  return perm;
}

defineOp({
  type: 'Transpose',
  params: (ctx) => ({ perm: ctx.node.has('perm') ? ctx.node.ints('perm') : null }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'data');
    if (!x.shape) return [{ dtype: x.dtype, shape: p.perm ? p.perm.map(() => null) : null, value: null }];
    const perm = resolvePerm(ctx, p.perm, x.shape.length);
    return [{ dtype: x.dtype, shape: perm.map((a) => x.shape![a]), value: null }];
  },
});

// ---------------------------------------------------------------------------------------------
// Concat

defineOp({
  type: 'Concat',
  // opset 1 defaulted axis to 1; from opset 4 it is required.
  params: (ctx) => ({ axis: ctx.opset < 4 ? ctx.node.int('axis', 1) : ctx.node.int('axis') }),
  infer: (ctx, inputs, p) => {
    if (inputs.length === 0) throw ctx.error('InvalidModel', 'Concat needs at least one input');
    const xs = inputs.map((_, i) => ctx.input(inputs, i));
    const first = xs[0];
    xs.forEach((x, i) => {
      if (x.dtype !== first.dtype) {
        throw ctx.error('DTypeMismatch', `${inputName(ctx, i)} has type ${x.dtype}; ${inputName(ctx, 0)} has ${first.dtype}`);
      }
    });
    const ranked = xs.map((x, i) => [x, i] as const).filter(([x]) => x.shape !== null);
    if (ranked.length === 0) return [{ dtype: first.dtype, shape: null, value: null }];
    const [ref, refIndex] = ranked[0];
    const rank = ref.shape!.length;
    for (const [x, i] of ranked) {
      if (x.shape!.length !== rank) {
        throw ctx.error(
          'ShapeMismatch',
          `${inputName(ctx, i)} has rank ${x.shape!.length} (shape ${shapeText(x.shape)}); ${inputName(ctx, refIndex)} has rank ${rank} (shape ${shapeText(ref.shape)})`,
        );
      }
    }
    const axis = normAxis(ctx, p.axis, rank);
    const out: Dim[] = [...ref.shape!];
    for (let a = 0; a < rank; a++) {
      if (a === axis) continue;
      for (const [x, i] of ranked) {
        const d = x.shape![a];
        if (typeof d === 'number' && typeof out[a] === 'number' && d !== out[a]) {
          throw ctx.error('ShapeMismatch', `${inputName(ctx, i)} has shape ${shapeText(x.shape)}: dim ${a} is ${d}, other inputs have ${out[a]} (only axis ${axis} may differ)`);
        }
        if (typeof out[a] !== 'number' && typeof d === 'number') out[a] = d;
      }
    }
    let total: number | null = 0;
    for (const x of xs) {
      const d = x.shape?.[axis];
      total = typeof d === 'number' && total !== null ? total + d : null;
    }
    out[axis] = total;
    return [{ dtype: first.dtype, shape: out, value: null }];
  },
});

// ---------------------------------------------------------------------------------------------
// Split

export interface SplitParams {
  axis: number;
  /** The `split` attribute (opset < 13). */
  splitAttr: number[] | null;
  /** The `num_outputs` attribute (opset 18). */
  numOutputs: number | null;
  outputs: number;
}

/** Sizes of each output along the axis, for a concrete dim. */
export function splitSizes(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: SplitParams, dim: Dim): (number | null)[] {
  let sizes: number[] | null = p.splitAttr;
  if (!sizes && inputs[1]) sizes = intsOf(ctx.constant(inputs, 1, 'split'));
  if (sizes) {
    if (sizes.length !== p.outputs) throw ctx.error('InvalidArgument', `split [${sizes.join(', ')}] has ${sizes.length} sizes for ${p.outputs} outputs`);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0)) throw ctx.error('InvalidArgument', `split [${sizes.join(', ')}] must be non-negative integers`);
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (typeof dim === 'number' && sum !== dim) {
      throw ctx.error('ShapeMismatch', `split [${sizes.join(', ')}] sums to ${sum}, but axis ${p.axis} of ${inputName(ctx, 0)} has ${dim} elements`);
    }
    return sizes;
  }
  if (typeof dim !== 'number') return new Array(p.outputs).fill(null);
  if (p.numOutputs !== null) {
    if (p.numOutputs !== p.outputs) throw ctx.error('InvalidModel', `num_outputs is ${p.numOutputs} but the node has ${p.outputs} outputs`);
    // Opset 18: chunks of ceil(dim / n), the last one smaller.
    const chunk = Math.ceil(dim / p.outputs);
    const out = Array.from({ length: p.outputs }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    if (out[p.outputs - 1] === 0 && dim > 0) throw ctx.error('ShapeMismatch', `axis ${p.axis} of size ${dim} cannot be split into ${p.outputs} non-empty chunks`);
    return out;
  }
  if (dim % p.outputs !== 0) {
    throw ctx.error('ShapeMismatch', `axis ${p.axis} of size ${dim} does not split evenly into ${p.outputs} outputs; give 'split' sizes`);
  }
  return new Array(p.outputs).fill(dim / p.outputs);
}

defineOp<SplitParams>({
  type: 'Split',
  params: (ctx) => {
    const n = ctx.node;
    const numOutputs = ctx.opset >= 18 && n.has('num_outputs') ? n.int('num_outputs') : null;
    if (numOutputs !== null && (!Number.isInteger(numOutputs) || numOutputs < 1)) throw ctx.error('InvalidArgument', `num_outputs ${numOutputs} must be ≥ 1`);
    return { axis: n.int('axis', 0), splitAttr: ctx.opset < 13 && n.has('split') ? n.ints('split') : null, numOutputs, outputs: n.outputs.length };
  },
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'input');
    if (p.numOutputs !== null && inputs[1]) throw ctx.error('InvalidModel', `give either the 'split' input or num_outputs, not both`);
    if (!x.shape) {
      splitSizes(ctx, inputs, p, null);
      return Array.from({ length: p.outputs }, () => ({ dtype: x.dtype, shape: null, value: null }));
    }
    const axis = normAxis(ctx, p.axis, x.shape.length);
    const sizes = splitSizes(ctx, inputs, { ...p, axis }, x.shape[axis]);
    return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape!.map((d, a) => (a === axis ? s : d)), value: null }));
  },
});

// ---------------------------------------------------------------------------------------------
// Gather

defineOp({
  type: 'Gather',
  params: (ctx) => ({ axis: ctx.node.int('axis', 0) }),
  infer: (ctx, inputs, p) => {
    const data = ctx.input(inputs, 0, 'data');
    const indices = ctx.input(inputs, 1, 'indices');
    ctx.expectDType(indices, ['int32', 'int64'], 'input 1');
    if (!data.shape || !indices.shape) return [{ dtype: data.dtype, shape: null, value: null }];
    const r = data.shape.length;
    if (r === 0) throw ctx.error('ShapeMismatch', `${inputName(ctx, 0, 'data')} is a scalar; Gather needs rank ≥ 1`);
    const axis = normAxis(ctx, p.axis, r);
    const dim = data.shape[axis];
    if (indices.value && typeof dim === 'number') checkIndices(ctx, indices.value.toNumbers(), dim, axis);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)], value: null }];
  },
});

/** Indices must lie in [-dim, dim). Reports the first one that does not. */
export function checkIndices(ctx: OpContext, idx: ArrayLike<number>, dim: number, axis: number): void {
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (!(k >= -dim && k < dim)) {
      throw ctx.error('InvalidArgument', `${inputName(ctx, 1, 'indices')} holds ${k} at [${i}], out of range for axis ${axis} of size ${dim} (allowed ${-dim}..${dim - 1})`);
    }
  }
}

defineOp({
  type: 'GatherElements',
  params: (ctx) => ({ axis: ctx.node.int('axis', 0) }),
  infer: (ctx, inputs, p) => {
    const data = ctx.input(inputs, 0, 'data');
    const indices = ctx.input(inputs, 1, 'indices');
    ctx.expectDType(indices, ['int32', 'int64'], 'input 1');
    if (!data.shape || !indices.shape) return [{ dtype: data.dtype, shape: indices.shape, value: null }];
    const r = data.shape.length;
    if (indices.shape.length !== r) {
      throw ctx.error('ShapeMismatch', `${inputName(ctx, 1, 'indices')} has rank ${indices.shape.length}; ${inputName(ctx, 0, 'data')} has rank ${r} (they must match)`);
    }
    const axis = normAxis(ctx, p.axis, r);
    indices.shape.forEach((d, a) => {
      const limit = data.shape![a];
      if (a !== axis && typeof d === 'number' && typeof limit === 'number' && d > limit) {
        throw ctx.error('ShapeMismatch', `${inputName(ctx, 1, 'indices')} has shape ${shapeText(indices.shape)}, larger than data ${shapeText(data.shape)} on axis ${a}`);
      }
    });
    const dim = data.shape[axis];
    if (indices.value && typeof dim === 'number') checkIndices(ctx, indices.value.toNumbers(), dim, axis);
    return [{ dtype: data.dtype, shape: [...indices.shape], value: null }];
  },
});

// ---------------------------------------------------------------------------------------------
// DepthToSpace, SpaceToDepth

function blockParams(ctx: OpContext): { blocksize: number; mode: 'DCR' | 'CRD' } {
  const blocksize = ctx.node.int('blocksize');
  if (!Number.isInteger(blocksize) || blocksize < 1) throw ctx.error('InvalidArgument', `blocksize ${blocksize} must be ≥ 1`);
  const mode = ctx.node.string('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') throw ctx.error('InvalidArgument', `mode '${mode}' is not DCR or CRD`);
  return { blocksize, mode };
}

const divide = (d: Dim, k: number): Dim => (typeof d === 'number' ? d / k : null);
const times = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : null);

defineOp({
  type: 'DepthToSpace',
  params: blockParams,
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'input');
    ctx.expectRank(x, 4, 'input 0', 'rank 4 (NCHW)');
    if (!x.shape) return [{ dtype: x.dtype, shape: [null, null, null, null], value: null }];
    const [n, c, h, w] = x.shape;
    const b = p.blocksize;
    if (typeof c === 'number' && c % (b * b) !== 0) throw ctx.error('ShapeMismatch', `${c} channels are not divisible by blocksize² = ${b * b}`);
    return [{ dtype: x.dtype, shape: [n, divide(c, b * b), times(h, b), times(w, b)], value: null }];
  },
});

defineOp({
  type: 'SpaceToDepth',
  params: (ctx) => ({ blocksize: blockParams(ctx).blocksize }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'input');
    ctx.expectRank(x, 4, 'input 0', 'rank 4 (NCHW)');
    if (!x.shape) return [{ dtype: x.dtype, shape: [null, null, null, null], value: null }];
    const [n, c, h, w] = x.shape;
    const b = p.blocksize;
    for (const [d, name] of [[h, 'height'], [w, 'width']] as const) {
      if (typeof d === 'number' && d % b !== 0) throw ctx.error('ShapeMismatch', `${name} ${d} is not divisible by blocksize ${b}`);
    }
    return [{ dtype: x.dtype, shape: [n, times(c, b * b), divide(h, b), divide(w, b)], value: null }];
  },
});
