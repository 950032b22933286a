// CPU kernels of the element-moving ops: Transpose, Concat, Split, Gather, GatherElements, DepthToSpace,
// SpaceToDepth. Geometry is worked out at prepare time into StridedCopy plans; the closures only
// move bytes (any dtype: elements travel as raw bits).
import type { SplitParams } from '../../../ops/tensor-ops.js';
import { checkIndices, resolvePerm } from '../../../ops/tensor-ops.js';
import { normAxis } from '../../../ops/dims.js';
import { sizeOf, type TypedData } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { BlockMover, StridedCopy, elementBytes, stridesOf, wordsOf } from './strided-copy.js';

/**
 * Integer values of a small input (starts, pads, split, indices): from the constant when there is
 * one, else read from the arena when the closure runs (a fed value; plans are keyed on those).
 */
export function readInts(ctx: CpuPrepareContext<unknown>, t: CpuTensor): number[] {
  if (t.value) return t.value.toNumbers();
  return Array.from(ctx.view(t) as ArrayLike<number | bigint>, Number);
}

/** Whether any of these inputs is only known at run time. */
export function anyDynamic(ctx: CpuPrepareContext<unknown>, from: number, to = ctx.inputs.length - 1): boolean {
  for (let i = from; i <= to; i++) if (ctx.inputs[i] && !ctx.inputs[i]!.value) return true;
  return false;
}

/** A copy that reads `x` (viewed with dims `inDims`) in the axis order `perm`, writing densely. */
export function permutedCopy(elemBytes: number, inDims: readonly number[], perm: readonly number[]): StridedCopy {
  const inStrides = stridesOf(inDims);
  const outDims = perm.map((a) => inDims[a]);
  return new StridedCopy(elemBytes, outDims, perm.map((a) => inStrides[a]), stridesOf(outDims));
}

function runCopy(ctx: CpuPrepareContext<unknown>, copy: StridedCopy, src: number, dst: number): () => void {
  const arena = ctx.rt.arena;
  return () => copy.run(arena.buffer, src, dst);
}

defineCpuKernel<{ perm: number[] | null }>({
  type: 'Transpose',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const perm = resolvePerm(ctx.op, ctx.params.perm, x.dims.length);
    return runCopy(ctx, permutedCopy(elementBytes(x.dtype), x.dims, perm), x.ptr, ctx.outputs[0].ptr);
  },
});

interface Part {
  copy: StridedCopy;
  src: number;
  dst: number;
}

function runParts(ctx: CpuPrepareContext<unknown>, parts: Part[]): () => void {
  const arena = ctx.rt.arena;
  return () => {
    const buffer = arena.buffer;
    for (const p of parts) p.copy.run(buffer, p.src, p.dst);
  };
}

defineCpuKernel<{ axis: number }>({
  type: 'Concat',
  prepare: (ctx) => {
    const y = ctx.outputs[0];
    const axis = normAxis(ctx.op, ctx.params.axis, y.dims.length);
    const eb = elementBytes(y.dtype);
    const outer = sizeOf(y.dims.slice(0, axis));
    const outRow = sizeOf(y.dims.slice(axis));
    let offset = 0;
    const parts = ctx.inputs.map((x) => {
      const row = sizeOf(x!.dims.slice(axis));
      const part = { copy: new StridedCopy(eb, [outer, row], [row, 1], [outRow, 1]), src: x!.ptr, dst: y.ptr + offset * eb };
      offset += row;
      return part;
    });
    return runParts(ctx, parts);
  },
});

defineCpuKernel<SplitParams>({
  type: 'Split',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const axis = normAxis(ctx.op, ctx.params.axis, x.dims.length);
    const eb = elementBytes(x.dtype);
    const outer = sizeOf(x.dims.slice(0, axis));
    const inRow = sizeOf(x.dims.slice(axis));
    let offset = 0;
    const parts = ctx.outputs.map((y) => {
      const row = sizeOf(y.dims.slice(axis));
      const part = { copy: new StridedCopy(eb, [outer, row], [inRow, 1], [row, 1]), src: x.ptr + offset * eb, dst: y.ptr };
      offset += row;
      return part;
    });
    return runParts(ctx, parts);
  },
});

defineCpuKernel<{ axis: number }>({
  type: 'Gather',
  prepare: (ctx) => {
    const data = ctx.inputs[0]!;
    const indices = ctx.inputs[1]!;
    const y = ctx.outputs[0];
    const axis = normAxis(ctx.op, ctx.params.axis, data.dims.length);
    const eb = elementBytes(data.dtype);
    const outer = sizeOf(data.dims.slice(0, axis));
    const dim = data.dims[axis];
    const inner = sizeOf(data.dims.slice(axis + 1));
    const count = indices.size;
    const normalise = (idx: ArrayLike<number>): Int32Array => {
      checkIndices(ctx.op, idx, dim, axis);
      return Int32Array.from(idx, (k) => (k < 0 ? k + dim : k));
    };
    const known = indices.value ? normalise(indices.value.toNumbers()) : null;
    const arena = ctx.rt.arena;
    const src = data.ptr;
    const dst = y.ptr;
    return () => {
      const idx = known ?? normalise(readIndices(ctx.view(indices)));
      const mover = new BlockMover(arena.buffer, eb);
      const rowBytes = inner * eb;
      let d = dst;
      for (let o = 0; o < outer; o++) {
        const base = src + o * dim * rowBytes;
        for (let j = 0; j < count; j++, d += rowBytes) mover.move(base + idx[j] * rowBytes, d, inner);
      }
    };
  },
});

defineCpuKernel<{ axis: number }>({
  type: 'GatherElements',
  prepare: (ctx) => {
    const data = ctx.inputs[0]!;
    const indices = ctx.inputs[1]!;
    const y = ctx.outputs[0];
    const r = data.dims.length;
    const axis = normAxis(ctx.op, ctx.params.axis, r);
    const dim = data.dims[axis];
    const dataStrides = stridesOf(data.dims);
    const outDims = indices.dims;
    const eb = elementBytes(data.dtype);
    const per = eb === 8 ? 2 : 1;
    const width = eb === 8 ? 4 : eb;
    const arena = ctx.rt.arena;
    return () => {
      const idx = readIndices(ctx.view(indices));
      checkIndices(ctx.op, idx, dim, axis);
      const v = wordsOf(arena.buffer, width);
      const s0 = data.ptr / width;
      const d0 = y.ptr / width;
      // Walk the output in order, keeping the data offset of its coordinates minus the axis term.
      const coord = new Array<number>(r).fill(0);
      let base = 0;
      for (let i = 0; i < idx.length; i++) {
        const k = idx[i] < 0 ? idx[i] + dim : idx[i];
        const s = s0 + (base + k * dataStrides[axis]) * per;
        for (let w = 0; w < per; w++) v[d0 + i * per + w] = v[s + w];
        for (let a = r - 1; a >= 0; a--) {
          if (a !== axis) base += dataStrides[a];
          if (++coord[a] < outDims[a]) break;
          if (a !== axis) base -= coord[a] * dataStrides[a];
          coord[a] = 0;
        }
      }
    };
  },
});

function readIndices(v: TypedData): ArrayLike<number> {
  return v instanceof BigInt64Array ? Array.from(v, Number) : (v as Int32Array);
}

defineCpuKernel<{ blocksize: number; mode: 'DCR' | 'CRD' }>({
  type: 'DepthToSpace',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const [n, c, h, w] = x.dims;
    const b = ctx.params.blocksize;
    const cb = c / (b * b);
    // DCR: depth is (b, b, C'); CRD: (C', b, b). Both end as [N, C', H, b, W, b].
    const copy =
      ctx.params.mode === 'DCR'
        ? permutedCopy(elementBytes(x.dtype), [n, b, b, cb, h, w], [0, 3, 4, 1, 5, 2])
        : permutedCopy(elementBytes(x.dtype), [n, cb, b, b, h, w], [0, 1, 4, 2, 5, 3]);
    return runCopy(ctx, copy, x.ptr, ctx.outputs[0].ptr);
  },
});

defineCpuKernel<{ blocksize: number }>({
  type: 'SpaceToDepth',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const [n, c, h, w] = x.dims;
    const b = ctx.params.blocksize;
    // [N, C, H', b, W', b] → [N, b, b, C, H', W'].
    const copy = permutedCopy(elementBytes(x.dtype), [n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4]);
    return runCopy(ctx, copy, x.ptr, ctx.outputs[0].ptr);
  },
});
