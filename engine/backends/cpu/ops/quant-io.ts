// Reading quantization parameters (scales, zero points, biases) inside CPU kernels. They may be
// constants (read once at prepare time) or graph inputs (read at each run, as the ONNX node tests
// feed them): `paramReader` hides the difference.
import type { CpuPrepareContext, CpuTensor } from '../kernel-def.js';
import { numbersOf } from './cast-ops.js';
import type { TypedData } from '../../../tensor.js';

export type Numbers = ArrayLike<number>;

/** A function returning the tensor's elements as numbers (a constant's are computed once). */
export function paramReader(ctx: CpuPrepareContext<unknown>, t: CpuTensor | null, fallback: number): () => Numbers {
  if (!t) {
    const one = [fallback];
    return () => one;
  }
  if (t.value) {
    const nums = numbersOf(t.dtype, t.value.data as TypedData);
    return () => nums;
  }
  return () => numbersOf(t.dtype, ctx.view(t));
}

/** A parameter that must hold one value (per-tensor scale or zero point). */
export function scalarReader(ctx: CpuPrepareContext<unknown>, t: CpuTensor | null, fallback: number, what: string): () => number {
  if (t && t.size !== 1) throw ctx.error('ShapeMismatch', `${what} must hold one value (per-tensor), has ${t.size}`);
  const read = paramReader(ctx, t, fallback);
  return () => read()[0];
}

/** Per-channel values expanded to `n` (a single value repeats). */
export function perChannel(values: Numbers, n: number, what: string, ctx: CpuPrepareContext<unknown>): Float64Array {
  if (values.length !== 1 && values.length !== n) throw ctx.error('ShapeMismatch', `${what} has ${values.length} values; expected 1 or ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = values.length === 1 ? values[0] : values[i];
  return out;
}

/** A scale must be a positive finite number: 0, negative, inf or NaN would turn outputs into garbage. */
export function checkScales(ctx: CpuPrepareContext<unknown>, scales: Numbers, what: string): void {
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i];
    if (!(s > 0) || !Number.isFinite(s)) throw ctx.error('InvalidArgument', `${what}${scales.length > 1 ? `[${i}]` : ''} is ${s}; a scale must be positive and finite`);
  }
}
