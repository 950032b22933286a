// CPU kernels of Slice and Pad. Slice is one strided copy (negative steps are negative strides).
// Constant Pad fills the output and copies the input into its window; edge/reflect/wrap map every
// output coordinate to an input coordinate per axis, then gather rows through those maps.
import { paddedDims, sliceGeometry, type PadParams, type SliceParams } from '../../../ops/slice-pad-ops.js';
import { floatToBf16, floatToHalf, sizeOf, type DType, type TypedData } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';
import { StridedCopy, elementBytes, stridesOf, wordsOf } from './strided-copy.js';
import { anyDynamic, readInts } from './tensor-ops.js';
import type { PadMode } from '../../../ops/slice-pad-ops.js';
import { normAxis } from '../../../ops/dims.js';

defineCpuKernel<SliceParams>({
  type: 'Slice',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    const eb = elementBytes(x.dtype);
    const inStrides = stridesOf(x.dims);
    const build = () => {
      const args = ctx.params.attrs ?? {
        starts: readInts(ctx, ctx.inputs[1]!),
        ends: readInts(ctx, ctx.inputs[2]!),
        axes: ctx.inputs[3] ? readInts(ctx, ctx.inputs[3]) : null,
        steps: ctx.inputs[4] ? readInts(ctx, ctx.inputs[4]) : null,
      };
      const g = sliceGeometry(ctx.op, x.dims, args);
      const offset = g.start.reduce((s, b, a) => s + b * inStrides[a], 0);
      const copy = new StridedCopy(eb, y.dims, g.step.map((s, a) => s * inStrides[a]), stridesOf(y.dims));
      return { copy, src: x.ptr + offset * eb };
    };
    const fixed = ctx.params.attrs || !anyDynamic(ctx, 1) ? build() : null;
    const arena = ctx.rt.arena;
    return () => {
      const plan = fixed ?? build();
      plan.copy.run(arena.buffer, plan.src, y.ptr);
    };
  },
});

/** The pad value as the output dtype stores it (float16/bfloat16 as their bits, bool as 0/1). */
function storedValue(dtype: DType, v: number): number | bigint {
  if (dtype === 'int64' || dtype === 'uint64') return BigInt(Math.trunc(v));
  if (dtype === 'float16') return floatToHalf(v);
  if (dtype === 'bfloat16') return floatToBf16(v);
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  return v;
}

/** Output index → input index along one axis, for the non-constant modes. */
function axisMap(mode: PadMode, out: number, before: number, dim: number): Int32Array {
  const map = new Int32Array(out);
  const period = 2 * (dim - 1);
  for (let o = 0; o < out; o++) {
    const i = o - before;
    if (mode === 'edge') map[o] = i < 0 ? 0 : i >= dim ? dim - 1 : i;
    else if (mode === 'wrap') map[o] = ((i % dim) + dim) % dim;
    else if (dim === 1) map[o] = 0;
    else {
      // reflect (numpy/ORT: the edge element is not repeated), folded as often as needed.
      const k = ((i % period) + period) % period;
      map[o] = k < dim ? k : period - k;
    }
  }
  return map;
}

defineCpuKernel<PadParams>({
  type: 'Pad',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    const r = x.dims.length;
    const eb = elementBytes(x.dtype);
    const pads = (): number[] => {
      if (ctx.params.padsAttr) return ctx.params.padsAttr;
      const raw = readInts(ctx, ctx.inputs[1]!);
      const axesIn = ctx.inputs[3];
      const axes = axesIn ? readInts(ctx, axesIn).map((a) => normAxis(ctx.op, a, r, 'axes')) : Array.from({ length: r }, (_, i) => i);
      const full = new Array<number>(2 * r).fill(0);
      axes.forEach((a, i) => {
        full[a] = raw[i];
        full[a + r] = raw[i + axes.length];
      });
      paddedDims(ctx.op, x.dims, full, ctx.params.mode);
      return full;
    };
    const arena = ctx.rt.arena;
    if (ctx.params.mode === 'constant') {
      const valueIn = ctx.params.padsAttr ? null : ctx.inputs[2];
      const fixedValue = valueIn ? (valueIn.value ? (valueIn.value.data as TypedData)[0] : null) : storedValue(x.dtype, ctx.params.valueAttr);
      const build = () => constantPadCopy(eb, x.dims, y.dims, pads(), x.ptr, y.ptr);
      const fixed = anyDynamic(ctx, 1, 1) || (ctx.inputs[3] && !ctx.inputs[3].value) ? null : build();
      return () => {
        const value = fixedValue ?? (valueIn ? ctx.view(valueIn)[0] : 0);
        (ctx.view(y) as Float32Array).fill(value as number);
        const plan = fixed ?? build();
        plan.copy.run(arena.buffer, plan.src, plan.dst);
      };
    }
    const build = () => {
      const p = pads();
      return y.dims.map((out, a) => axisMap(ctx.params.mode, out, p[a], x.dims[a]));
    };
    const fixed = anyDynamic(ctx, 1) ? null : build();
    const inStrides = stridesOf(x.dims);
    return () => gatherRows(arena.buffer, eb, fixed ?? build(), inStrides, y.dims, x.ptr, y.ptr);
  },
});

/** Fill first, then this copy puts the (possibly cropped) input in its window of the output. */
function constantPadCopy(eb: number, inDims: readonly number[], outDims: readonly number[], pads: number[], src: number, dst: number) {
  const r = inDims.length;
  const inStrides = stridesOf(inDims);
  const outStrides = stridesOf(outDims);
  const counts: number[] = [];
  let s = 0;
  let d = 0;
  for (let a = 0; a < r; a++) {
    // Output o holds input o - before; keep the o in [0, out) whose input is in [0, dim).
    const before = pads[a];
    const first = Math.max(0, before);
    const end = Math.min(outDims[a], before + inDims[a]);
    counts.push(Math.max(0, end - first));
    s += (first - before) * inStrides[a];
    d += first * outStrides[a];
  }
  const empty = counts.some((c) => c === 0);
  return { copy: new StridedCopy(eb, empty ? [0] : counts, inStrides, outStrides), src: src + s * eb, dst: dst + d * eb };
}

/** out[o_0, .., o_{r-1}] = in[map_0[o_0], .., map_{r-1}[o_{r-1}]], moving raw words. */
function gatherRows(buffer: ArrayBuffer, eb: number, maps: Int32Array[], inStrides: number[], outDims: readonly number[], src: number, dst: number): void {
  const r = outDims.length;
  const total = sizeOf(outDims);
  if (total === 0) return;
  const per = eb === 8 ? 2 : 1;
  const w = eb === 8 ? 4 : eb;
  const v = wordsOf(buffer, w);
  const s0 = src / w;
  let d = dst / w;
  if (r === 0) {
    for (let k = 0; k < per; k++) v[d + k] = v[s0 + k];
    return;
  }
  const last = maps[r - 1];
  const n = outDims[r - 1];
  const idx = new Array<number>(r - 1).fill(0);
  const rows = total / n;
  for (let row = 0; row < rows; row++) {
    let base = s0;
    for (let a = 0; a < r - 1; a++) base += maps[a][idx[a]] * inStrides[a] * per;
    if (per === 1) {
      for (let j = 0; j < n; j++) v[d + j] = v[base + last[j]];
    } else {
      for (let j = 0; j < n; j++) {
        const s = base + 2 * last[j];
        v[d + 2 * j] = v[s];
        v[d + 2 * j + 1] = v[s + 1];
      }
    }
    d += n * per;
    for (let a = r - 2; a >= 0; a--) {
      if (++idx[a] < outDims[a]) break;
      idx[a] = 0;
    }
  }
}
