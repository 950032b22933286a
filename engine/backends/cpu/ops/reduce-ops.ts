// CPU kernels of the reductions and ArgMax/ArgMin. Inputs are read as numbers and accumulated in
// doubles; the axes are merged into runs (reduced / kept) at prepare time, so a ReduceMean over
// H×W of NCHW is one tight loop per channel and a reduction over the batch axis is a row update.
import { reduceAxes, type ArgParams, type ReduceOp, type ReduceParams, REDUCE_OPS } from '../../../ops/reduce-ops.js';
import { normAxis } from '../../../ops/dims.js';
import { sizeOf, type DType } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';
import { numbersOf, writeNumbers } from './cast-ops.js';
import { elementBytes } from './strided-copy.js';

type Kind = 'sum' | 'sumsq' | 'sumabs' | 'max' | 'min' | 'prod' | 'sumexp';

const KIND: Record<ReduceOp, Kind> = {
  ReduceSum: 'sum',
  ReduceMean: 'sum',
  ReduceLogSum: 'sum',
  ReduceSumSquare: 'sumsq',
  ReduceL2: 'sumsq',
  ReduceL1: 'sumabs',
  ReduceMax: 'max',
  ReduceMin: 'min',
  ReduceProd: 'prod',
  ReduceLogSumExp: 'sumexp',
};

const START: Record<Kind, number> = { sum: 0, sumsq: 0, sumabs: 0, sumexp: 0, prod: 1, max: -Infinity, min: Infinity };

/** Input axes merged into alternating runs; the last run is contiguous in memory. */
export interface ReduceNest {
  dims: number[];
  inStrides: number[];
  /** 0 on reduced runs. */
  outStrides: number[];
  reduced: boolean[];
  outSize: number;
  /** Input elements folded into each output. */
  count: number;
}

export function reduceNest(inDims: readonly number[], axes: readonly number[]): ReduceNest {
  const set = new Set(axes);
  const dims: number[] = [];
  const reduced: boolean[] = [];
  for (let a = 0; a < inDims.length; a++) {
    if (inDims[a] === 1) continue;
    const r = set.has(a);
    if (dims.length && reduced[reduced.length - 1] === r) dims[dims.length - 1] *= inDims[a];
    else {
      dims.push(inDims[a]);
      reduced.push(r);
    }
  }
  const inStrides = new Array<number>(dims.length);
  const outStrides = new Array<number>(dims.length);
  let s = 1;
  let o = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= dims[i];
    outStrides[i] = reduced[i] ? 0 : o;
    if (!reduced[i]) o *= dims[i];
  }
  const count = axes.reduce((c, a) => c * inDims[a], 1);
  return { dims, inStrides, outStrides, reduced, outSize: o, count };
}

/** acc[o] ⊕= every x in the contiguous run x[i .. i+n). */
function foldRow(kind: Kind, x: ArrayLike<number>, i: number, n: number, acc: Float64Array, o: number, shift: Float64Array | null): void {
  let a = acc[o];
  const end = i + n;
  switch (kind) {
    case 'sum':
      for (; i < end; i++) a += x[i];
      break;
    case 'sumsq':
      for (; i < end; i++) a += x[i] * x[i];
      break;
    case 'sumabs':
      for (; i < end; i++) a += Math.abs(x[i]);
      break;
    case 'prod':
      for (; i < end; i++) a *= x[i];
      break;
    case 'max':
      for (; i < end; i++) if (x[i] > a || x[i] !== x[i]) a = x[i];
      break;
    case 'min':
      for (; i < end; i++) if (x[i] < a || x[i] !== x[i]) a = x[i];
      break;
    case 'sumexp': {
      const m = shift![o];
      for (; i < end; i++) a += Math.exp(x[i] - m);
      break;
    }
  }
  acc[o] = a;
}

/** acc[o + j] ⊕= x[i + j] for j < n (a kept run: one accumulator per element). */
function foldInto(kind: Kind, x: ArrayLike<number>, i: number, n: number, acc: Float64Array, o: number, shift: Float64Array | null): void {
  for (let j = 0; j < n; j++) {
    const v = x[i + j];
    const a = acc[o + j];
    switch (kind) {
      case 'sum': acc[o + j] = a + v; break;
      case 'sumsq': acc[o + j] = a + v * v; break;
      case 'sumabs': acc[o + j] = a + Math.abs(v); break;
      case 'prod': acc[o + j] = a * v; break;
      case 'max': if (v > a || v !== v) acc[o + j] = v; break;
      case 'min': if (v < a || v !== v) acc[o + j] = v; break;
      case 'sumexp': acc[o + j] = a + Math.exp(v - shift![o + j]); break;
    }
  }
}

function traverse(nest: ReduceNest, kind: Kind, x: ArrayLike<number>, acc: Float64Array, shift: Float64Array | null): void {
  const last = nest.dims.length - 1;
  if (last < 0) {
    // Every axis had size 1: one element per output.
    foldRow(kind, x, 0, x.length === 0 ? 0 : 1, acc, 0, shift);
    return;
  }
  const n = nest.dims[last];
  const rowReduced = nest.reduced[last];
  const visit = (axis: number, i: number, o: number): void => {
    if (axis === last) {
      if (rowReduced) foldRow(kind, x, i, n, acc, o, shift);
      else foldInto(kind, x, i, n, acc, o, shift);
      return;
    }
    const d = nest.dims[axis];
    const si = nest.inStrides[axis];
    const so = nest.outStrides[axis];
    for (let k = 0; k < d; k++) visit(axis + 1, i + k * si, o + k * so);
  };
  visit(0, 0, 0);
}

export function reduceNumbers(op: ReduceOp, x: ArrayLike<number>, nest: ReduceNest): Float64Array {
  const kind = KIND[op];
  const acc = new Float64Array(nest.outSize);
  let shift: Float64Array | null = null;
  if (kind === 'sumexp') {
    // log Σ exp(x) = m + log Σ exp(x - m), m the max: no overflow.
    shift = new Float64Array(nest.outSize).fill(-Infinity);
    if (nest.count > 0) traverse(nest, 'max', x, shift, null);
    for (let i = 0; i < shift.length; i++) if (!Number.isFinite(shift[i])) shift[i] = 0;
  }
  acc.fill(START[kind]);
  if (nest.count > 0) traverse(nest, kind, x, acc, shift);
  switch (op) {
    case 'ReduceMean':
      for (let i = 0; i < acc.length; i++) acc[i] /= nest.count;
      break;
    case 'ReduceL2':
      for (let i = 0; i < acc.length; i++) acc[i] = Math.sqrt(acc[i]);
      break;
    case 'ReduceLogSum':
      for (let i = 0; i < acc.length; i++) acc[i] = Math.log(acc[i]);
      break;
    case 'ReduceLogSumExp':
      for (let i = 0; i < acc.length; i++) acc[i] = shift![i] + Math.log(acc[i]);
      break;
    default:
  }
  return acc;
}

const FLOATS = new Set<DType>(['float32', 'float64', 'float16', 'bfloat16']);

/** Reductions that give back the element itself when there is one per output. */
const IDENTITY_ON_ONE = new Set<ReduceOp>(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd']);

/** Integer outputs truncate (an integer ReduceMean divides like C). */
function writeResult(dtype: DType, out: ReturnType<CpuPrepareContext<unknown>['view']>, acc: Float64Array): void {
  if (!FLOATS.has(dtype)) for (let i = 0; i < acc.length; i++) acc[i] = Math.trunc(acc[i]);
  writeNumbers(dtype, out, acc, !FLOATS.has(dtype));
}

for (const op of REDUCE_OPS) {
  defineCpuKernel<ReduceParams>({
    type: op,
    prepare: (ctx) => {
      const x = ctx.inputs[0]!;
      const y = ctx.outputs[0];
      const axesInput = ctx.inputs[1];
      const build = (): ReduceNest & { noop: boolean } => {
        const given = axesInput ? { ...ctx.params, axesAttr: axesInput.value ? axesInput.value.toNumbers() : Array.from(ctx.view(axesInput) as BigInt64Array, Number) } : ctx.params;
        const axes = reduceAxes(ctx.op, [null], given, x.dims.length);
        // noop_with_empty_axes passes the input through, even for L1/L2/SumSquare/LogSum.
        return { ...reduceNest(x.dims, axes), noop: axes.length === 0 };
      };
      const fixed = axesInput && !axesInput.value ? null : build();
      const arena = ctx.rt.arena;
      const bytes = x.size * elementBytes(x.dtype);
      return () => {
        const nest = fixed ?? build();
        if (nest.noop || (nest.count === 1 && IDENTITY_ON_ONE.has(op))) {
          new Uint8Array(arena.buffer).copyWithin(y.ptr, x.ptr, x.ptr + bytes);
          return;
        }
        writeResult(y.dtype, ctx.view(y), reduceNumbers(op, numbersOf(x.dtype, ctx.view(x)), nest));
      };
    },
  });
}

for (const type of ['ArgMax', 'ArgMin']) {
  const max = type === 'ArgMax';
  defineCpuKernel<ArgParams>({
    type,
    prepare: (ctx) => {
      const x = ctx.inputs[0]!;
      const y = ctx.outputs[0];
      const axis = normAxis(ctx.op, ctx.params.axis, x.dims.length);
      const outer = sizeOf(x.dims.slice(0, axis));
      const dim = x.dims[axis];
      const inner = sizeOf(x.dims.slice(axis + 1));
      const last = ctx.params.selectLastIndex;
      return () => {
        const v = numbersOf(x.dtype, ctx.view(x));
        const out = ctx.view(y) as BigInt64Array;
        for (let o = 0; o < outer; o++) {
          for (let k = 0; k < inner; k++) {
            const base = o * dim * inner + k;
            let best = v[base];
            let at = 0;
            for (let j = 1; j < dim; j++) {
              const e = v[base + j * inner];
              // Ties keep the first index unless select_last_index; NaN wins like numpy's argmax.
              const better = best !== best ? false : e !== e || (max ? (last ? e >= best : e > best) : last ? e <= best : e < best);
              if (better) {
                best = e;
                at = j;
              }
            }
            out[o * inner + k] = BigInt(at);
          }
        }
      };
    },
  });
}
