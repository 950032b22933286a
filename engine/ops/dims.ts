// Dimension arithmetic shared by the operator definitions. Dims may be numbers, symbols or
// unknown (null); arithmetic on a non-number gives null unless the result is obviously the same
// symbol (a broadcast against 1, a pass-through).
import type { Dim } from '../graph/ir.js';
import type { OpContext } from './registry.js';

export function isKnown(shape: readonly Dim[] | null): shape is number[] {
  return shape !== null && shape.every((d) => typeof d === 'number');
}

export function product(shape: readonly Dim[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/** numpy multidirectional broadcasting of any number of shapes. */
export function broadcast(ctx: OpContext, shapes: readonly (readonly Dim[])[], what = 'inputs'): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d === 1) d = x;
      else if (typeof d === 'number' && typeof x === 'number' && d !== x) {
        throw ctx.error(
          'ShapeMismatch',
          `${what} cannot be broadcast together: ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')} (dimension ${i}: ${d} vs ${x})`,
        );
      } else if (d !== x) d = typeof d === 'number' ? d : typeof x === 'number' ? x : d === x ? d : null;
    }
    out.push(d);
  }
  return out;
}

/** Axis in [-rank, rank) to [0, rank); error otherwise. */
export function normAxis(ctx: OpContext, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw ctx.error('InvalidArgument', `${what} ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

export interface SpatialParams {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin_0, begin_1, ..., end_0, end_1, ...] as ONNX orders them. */
  pads: number[];
  autoPad: 'NOTSET' | 'VALID' | 'SAME_UPPER' | 'SAME_LOWER';
  ceilMode: boolean;
}

/** Read kernel_shape/strides/dilations/pads/auto_pad/ceil_mode and check their ranges. */
export function spatialParams(ctx: OpContext, spatialRank: number | null, kernelFromWeight?: number[]): SpatialParams {
  const n = ctx.node;
  const kernel = n.has('kernel_shape') ? n.ints('kernel_shape') : (kernelFromWeight ?? null);
  if (!kernel) throw ctx.error('InvalidModel', `attribute 'kernel_shape' is required`);
  const r = spatialRank ?? kernel.length;
  if (kernel.length !== r) throw ctx.error('InvalidArgument', `kernel_shape has ${kernel.length} dims; the input has ${r} spatial dims`);
  const strides = n.ints('strides', new Array(r).fill(1));
  const dilations = n.ints('dilations', new Array(r).fill(1));
  const pads = n.ints('pads', new Array(2 * r).fill(0));
  const autoPad = n.string('auto_pad', 'NOTSET') as SpatialParams['autoPad'];
  const ceilMode = n.int('ceil_mode', 0) !== 0;
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) throw ctx.error('InvalidArgument', `auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  if (strides.length !== r || strides.some((s) => !Number.isInteger(s) || s < 1)) throw ctx.error('InvalidArgument', `strides [${strides}] must be ${r} integers ≥ 1`);
  if (dilations.length !== r || dilations.some((s) => !Number.isInteger(s) || s < 1)) throw ctx.error('InvalidArgument', `dilations [${dilations}] must be ${r} integers ≥ 1`);
  if (pads.length !== 2 * r || pads.some((s) => !Number.isInteger(s) || s < 0)) throw ctx.error('InvalidArgument', `pads [${pads}] must be ${2 * r} integers ≥ 0`);
  if (kernel.some((k) => !Number.isInteger(k) || k < 1)) throw ctx.error('InvalidArgument', `kernel_shape [${kernel}] must be integers ≥ 1`);
  return { kernel, strides, dilations, pads, autoPad, ceilMode };
}

/**
 * Output spatial dims and the effective pads for concrete input dims. SAME_* pads so that
 * out = ceil(in / stride), the odd pad going to the end (UPPER) or the beginning (LOWER).
 */
export function spatialOutput(ctx: OpContext, input: readonly Dim[], p: SpatialParams): { dims: Dim[]; pads: number[] | null } {
  const r = p.kernel.length;
  const pads = [...p.pads];
  const dims: Dim[] = [];
  let known = true;
  for (let i = 0; i < r; i++) {
    const x = input[i];
    const k = (p.kernel[i] - 1) * p.dilations[i] + 1;
    if (typeof x !== 'number') {
      dims.push(null);
      known = false;
      continue;
    }
    let out: number;
    if (p.autoPad === 'VALID') {
      pads[i] = pads[i + r] = 0;
      out = Math.floor((x - k) / p.strides[i]) + 1;
    } else if (p.autoPad === 'SAME_UPPER' || p.autoPad === 'SAME_LOWER') {
      out = Math.ceil(x / p.strides[i]);
      const total = Math.max(0, (out - 1) * p.strides[i] + k - x);
      const small = Math.floor(total / 2);
      pads[i] = p.autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + r] = total - pads[i];
    } else {
      const span = x + pads[i] + pads[i + r] - k;
      out = (p.ceilMode ? Math.ceil(span / p.strides[i]) : Math.floor(span / p.strides[i])) + 1;
      // With ceil_mode the last window must start inside the input or left padding (PyTorch/ORT rule).
      if (p.ceilMode && (out - 1) * p.strides[i] >= x + pads[i]) out--;
    }
    if (out < 1) {
      throw ctx.error(
        'ShapeMismatch',
        `spatial dim ${i} is ${x} (+ pads ${pads[i]}, ${pads[i + r]}), too small for kernel ${p.kernel[i]} with dilation ${p.dilations[i]}`,
      );
    }
    dims.push(out);
  }
  return { dims, pads: known ? pads : null };
}
