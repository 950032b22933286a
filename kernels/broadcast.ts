// numpy/ONNX multidirectional broadcasting, and the loop plan the binary kernels run.
//
// The plan collapses the broadcast into as few loops as possible: axes where the output has
// extent 1 are dropped, and adjacent axes are merged when both operands behave the same way on
// them (both full, or the same one broadcasting). What remains alternates between those kinds,
// so most real cases become one or two loops: equal shapes → one run; x + scalar → one run with
// b repeated; [N,C,H,W] + [C,1,1] → N × C runs of H·W with one b value per run; [M,K] + [K] →
// M runs of K with b's row repeated.
import { EdgeRunError } from '../engine/errors.js';

/** Largest element count the kernels accept: 4 GiB of float32 would not fit wasm32 memory. */
export const MAX_ELEMENTS = 2 ** 30;

/** Throws unless dims is an array of non-negative integers; returns the element count. */
export function checkDims(dims: readonly number[], what: string): number {
  if (!Array.isArray(dims)) throw new EdgeRunError('InvalidArgument', `${what} must be an array of dims, got ${String(dims)}`);
  let size = 1;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (!Number.isInteger(d) || d < 0) {
      throw new EdgeRunError('InvalidArgument', `${what}[${i}] = ${String(d)} is not a non-negative integer (dims ${fmt(dims)})`);
    }
    size *= d;
  }
  if (size > MAX_ELEMENTS) {
    throw new EdgeRunError('OutOfMemory', `${what} ${fmt(dims)} has ${size} elements, more than the ${MAX_ELEMENTS} a kernel can address`);
  }
  return size;
}

export function fmt(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`;
}

/** The shape a op b broadcasts to (dims aligned from the right; 1 stretches to any extent). */
export function broadcastShapes(a: readonly number[], b: readonly number[], aName = 'a', bName = 'b'): number[] {
  checkDims(a, `${aName} dims`);
  checkDims(b, `${bName} dims`);
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new EdgeRunError(
        'ShapeMismatch',
        `cannot broadcast ${aName} ${fmt(a)} with ${bName} ${fmt(b)}: axis ${i} of the aligned shapes has ${da} vs ${db}`,
      );
    }
  }
  checkDims(out, 'broadcast result');
  return out;
}

/** What an operand does along a collapsed axis. */
const A_FULL = 1;
const B_FULL = 2;

/** How the innermost run treats the operands (codes shared with wasm/eltwise.ts). */
export const RUN_VV = 0; // both advance
export const RUN_VS = 1; // a advances, b is one value
export const RUN_SV = 2; // a is one value, b advances

export interface BroadcastPlan {
  /** The broadcast output shape. */
  outDims: number[];
  outSize: number;
  /** Collapsed outer loops, outermost first, and their element strides in a and b (0 = repeat). */
  loops: number[];
  aStrides: number[];
  bStrides: number[];
  /** The innermost run: its length and which operands advance in it. */
  run: number;
  runLength: number;
}

export function planBroadcast(aDims: readonly number[], bDims: readonly number[], aName = 'a', bName = 'b'): BroadcastPlan {
  const outDims = broadcastShapes(aDims, bDims, aName, bName);
  const rank = outDims.length;
  const outSize = outDims.reduce((p, d) => p * d, 1);
  // Collapsed axes: extent and kind (A_FULL | B_FULL bits).
  const extents: number[] = [];
  const kinds: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = outDims[i];
    if (d === 1) continue; // contributes nothing to any index
    const da = i < rank - aDims.length ? 1 : aDims[i - (rank - aDims.length)];
    const db = i < rank - bDims.length ? 1 : bDims[i - (rank - bDims.length)];
    const kind = (da === d ? A_FULL : 0) | (db === d ? B_FULL : 0);
    const last = kinds.length - 1;
    if (last >= 0 && kinds[last] === kind) extents[last] *= d;
    else {
      extents.push(d);
      kinds.push(kind);
    }
  }
  if (extents.length === 0) {
    // Every extent is 1 (or the shapes are rank 0): one element.
    extents.push(1);
    kinds.push(A_FULL | B_FULL);
  }
  // Element strides from the innermost axis out; an operand's stride grows only where it is full.
  const n = extents.length;
  const aStrides = new Array<number>(n);
  const bStrides = new Array<number>(n);
  let sa = 1;
  let sb = 1;
  for (let i = n - 1; i >= 0; i--) {
    aStrides[i] = kinds[i] & A_FULL ? sa : 0;
    bStrides[i] = kinds[i] & B_FULL ? sb : 0;
    if (kinds[i] & A_FULL) sa *= extents[i];
    if (kinds[i] & B_FULL) sb *= extents[i];
  }
  const innerKind = kinds[n - 1];
  const run = innerKind === (A_FULL | B_FULL) ? RUN_VV : innerKind === A_FULL ? RUN_VS : RUN_SV;
  return {
    outDims,
    outSize,
    loops: extents.slice(0, n - 1),
    aStrides: aStrides.slice(0, n - 1),
    bStrides: bStrides.slice(0, n - 1),
    run,
    runLength: extents[n - 1],
  };
}
