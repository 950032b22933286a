// Slice and Pad: the geometry (which input element lands where) is computed here, once, and used
// both for shape inference and by the CPU kernels.
import type { Dim } from '../graph/ir.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import { normAxis } from './dims.js';
import { intsOf } from './shape-ops.js';
import { inputName } from './tensor-ops.js';

// ---------------------------------------------------------------------------------------------
// Slice

export interface SliceArgs {
  starts: number[];
  ends: number[];
  axes: number[] | null;
  steps: number[] | null;
}

/** Per input axis: the first element taken, the step, and how many are taken. */
export interface SliceGeometry {
  start: number[];
  step: number[];
  count: Dim[];
}

/**
 * ONNX Slice on concrete or symbolic dims. Negative starts/ends count from the end; they are then
 * clamped to [0, dim] (step > 0) or [0, dim-1] / [-1, dim-1] (step < 0), so INT64_MAX/INT64_MIN
 * sentinels ("to the end") work.
 */
export function sliceGeometry(ctx: OpContext, dims: readonly Dim[], a: SliceArgs): SliceGeometry {
  const r = dims.length;
  const n = a.starts.length;
  if (a.ends.length !== n) throw ctx.error('InvalidArgument', `starts has ${n} values but ends has ${a.ends.length}`);
  const axes = a.axes ?? Array.from({ length: n }, (_, i) => i);
  const steps = a.steps ?? new Array<number>(n).fill(1);
  if (axes.length !== n) throw ctx.error('InvalidArgument', `axes [${axes.join(', ')}] has ${axes.length} values but starts has ${n}`);
  if (steps.length !== n) throw ctx.error('InvalidArgument', `steps [${steps.join(', ')}] has ${steps.length} values but starts has ${n}`);
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const count: Dim[] = [...dims];
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const axis = normAxis(ctx, axes[i], r, 'axes');
    if (seen.has(axis)) throw ctx.error('InvalidArgument', `axes [${axes.join(', ')}] names axis ${axis} twice`);
    seen.add(axis);
    const s = steps[i];
    if (s === 0 || !Number.isFinite(s)) throw ctx.error('InvalidArgument', `steps [${steps.join(', ')}]: a step of 0 is not allowed`);
    step[axis] = s;
    const dim = dims[axis];
    if (typeof dim !== 'number') {
      count[axis] = null;
      continue;
    }
    let b = a.starts[i];
    let e = a.ends[i];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (s > 0) {
      b = clamp(b, 0, dim);
      e = clamp(e, 0, dim);
    } else {
      b = clamp(b, 0, dim - 1);
      e = clamp(e, -1, dim - 1);
    }
    const c = Math.max(0, Math.ceil((e - b) / s));
    start[axis] = c > 0 ? b : 0;
    count[axis] = c;
  }
  return { start, step, count };
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export interface SliceParams {
  /** Opset < 10 takes starts/ends/axes as attributes. */
  attrs: SliceArgs | null;
}

/** starts/ends/axes/steps from the attributes or the (constant) inputs. */
export function sliceArgs(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: SliceParams): SliceArgs {
  if (p.attrs) return p.attrs;
  const opt = (i: number, what: string) => (inputs[i] ? intsOf(ctx.constant(inputs, i, what)) : null);
  return { starts: intsOf(ctx.constant(inputs, 1, 'starts')), ends: intsOf(ctx.constant(inputs, 2, 'ends')), axes: opt(3, 'axes'), steps: opt(4, 'steps') };
}

defineOp<SliceParams>({
  type: 'Slice',
  params: (ctx) => {
    const n = ctx.node;
    if (ctx.opset >= 10) return { attrs: null };
    return { attrs: { starts: n.ints('starts'), ends: n.ints('ends'), axes: n.has('axes') ? n.ints('axes') : null, steps: null } };
  },
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'data');
    for (let i = 1; i < 5; i++) if (inputs[i]) ctx.expectDType(inputs[i]!, ['int32', 'int64'], `input ${i}`);
    const args = sliceArgs(ctx, inputs, p);
    if (!x.shape) return [{ dtype: x.dtype, shape: null, value: null }];
    return [{ dtype: x.dtype, shape: sliceGeometry(ctx, x.shape, args).count, value: null }];
  },
});

// ---------------------------------------------------------------------------------------------
// Pad

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

export interface PadParams {
  mode: PadMode;
  /** Opset < 11: pads and value are attributes. */
  padsAttr: number[] | null;
  valueAttr: number;
}

/** [begin_0 .. begin_{r-1}, end_0 .. end_{r-1}] over every axis of a rank-r input. */
export function padAmounts(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: PadParams, rank: number): number[] {
  const pads = p.padsAttr ?? intsOf(ctx.constant(inputs, 1, 'pads'));
  const axesInput = p.padsAttr ? null : inputs[3];
  const axes = axesInput ? intsOf(ctx.constant(inputs, 3, 'axes')).map((a) => normAxis(ctx, a, rank, 'axes')) : Array.from({ length: rank }, (_, i) => i);
  if (new Set(axes).size !== axes.length) throw ctx.error('InvalidArgument', `axes [${axes.join(', ')}] repeat an axis`);
  if (pads.length !== 2 * axes.length) {
    throw ctx.error('InvalidArgument', `pads [${pads.join(', ')}] has ${pads.length} values; ${inputName(ctx, 0, 'data')} of rank ${rank} needs ${2 * axes.length}`);
  }
  if (pads.some((v) => !Number.isInteger(v))) throw ctx.error('InvalidArgument', `pads [${pads.join(', ')}] must be integers`);
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, i) => {
    full[a] = pads[i];
    full[a + rank] = pads[i + axes.length];
  });
  return full;
}

/** Output dims of a pad; negative pads crop, but no dim may go below 0. */
export function paddedDims(ctx: OpContext, dims: readonly Dim[], pads: readonly number[], mode: PadMode): Dim[] {
  const r = dims.length;
  return dims.map((d, a) => {
    if (typeof d !== 'number') return pads[a] === 0 && pads[a + r] === 0 ? d : null;
    const out = d + pads[a] + pads[a + r];
    if (out < 0) throw ctx.error('ShapeMismatch', `pads ${pads[a]}, ${pads[a + r]} crop axis ${a} of size ${d} below zero`);
    if (mode !== 'constant' && d === 0 && out > 0) throw ctx.error('InvalidArgument', `${mode} padding of axis ${a} needs a non-empty input, but it has size 0`);
    return out;
  });
}

defineOp<PadParams>({
  type: 'Pad',
  params: (ctx) => {
    const n = ctx.node;
    const mode = n.string('mode', 'constant') as PadMode;
    if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) throw ctx.error('InvalidArgument', `mode '${mode}' is not constant, reflect, edge or wrap`);
    if (ctx.opset >= 11) return { mode, padsAttr: null, valueAttr: 0 };
    return { mode, padsAttr: n.ints(ctx.opset < 2 ? 'paddings' : 'pads'), valueAttr: n.float('value', 0) };
  },
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'data');
    if (inputs[1]) ctx.expectDType(inputs[1], ['int64'], 'input 1');
    const value = inputs[2];
    if (value) {
      if (value.dtype !== x.dtype) throw ctx.error('DTypeMismatch', `${inputName(ctx, 2, 'constant_value')} has type ${value.dtype}; data has ${x.dtype}`);
      if (value.shape && value.shape.some((d) => typeof d === 'number' && d !== 1)) throw ctx.error('ShapeMismatch', `${inputName(ctx, 2, 'constant_value')} must hold one value`);
    }
    if (!x.shape) return [{ dtype: x.dtype, shape: null, value: null }];
    const pads = padAmounts(ctx, inputs, p, x.shape.length);
    return [{ dtype: x.dtype, shape: paddedDims(ctx, x.shape, pads, p.mode), value: null }];
  },
});
