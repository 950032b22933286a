// Binary elementwise ops (Add, Sub, Mul, Div, Max, Min, Pow, PRelu) on float32 with numpy/ONNX
// broadcasting. Variadic Sum/Mean/Max/Min are folds of these: the output may be one of the
// inputs (same shape), so `acc = acc op x` runs in place.
//
// Pointer API (arena addresses, no copies): binaryF32Ptr. Convenience API over Float32Arrays
// (copies in and out): binaryF32.
import { EdgeRunError } from '../engine/errors.js';
import { checkDims, fmt, planBroadcast, type BroadcastPlan } from './broadcast.js';
import { binaryRef } from './reference/eltwise.js';
import type { Runtime } from './runtime.js';

/** Codes are the index in this list; wasm/eltwise.ts uses the same order. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow', 'prelu'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export function binaryOpCode(op: BinaryOp, where: string): number {
  const code = BINARY_OPS.indexOf(op);
  if (code < 0) {
    throw new EdgeRunError('InvalidArgument', `${where}: unknown binary op '${String(op)}' (expected one of ${BINARY_OPS.join(', ')})`);
  }
  return code;
}

/** Throws unless [ptr, ptr + 4·n) is a float32 region inside the arena. */
export function checkF32Region(rt: Runtime, ptr: number, n: number, what: string): void {
  if (!Number.isInteger(ptr) || ptr % 4 !== 0) {
    throw new EdgeRunError('InvalidArgument', `${what}: address ${String(ptr)} is not a 4-byte aligned integer`);
  }
  rt.arena.check(ptr, 4 * n, what);
}

/**
 * An output may be exactly an input of the same size (in place) or lie apart from it; a partial
 * overlap would read elements already overwritten, so it is refused.
 */
export function checkAliasing(outPtr: number, outSize: number, inPtr: number, inSize: number, outName: string, inName: string): void {
  const overlap = outPtr < inPtr + 4 * inSize && inPtr < outPtr + 4 * outSize;
  if (!overlap || (outPtr === inPtr && outSize === inSize)) return;
  throw new EdgeRunError(
    'InvalidArgument',
    `${outName} (${outSize} floats at ${outPtr}) partly overlaps ${inName} (${inSize} floats at ${inPtr}); in place needs the same address and size`,
  );
}

/**
 * out = a op b, broadcasting a (dims aDims) with b (dims bDims); returns the output dims.
 * out must hold the broadcast shape. out may be a or b when that operand has the output's shape.
 */
export function binaryF32Ptr(
  rt: Runtime, op: BinaryOp,
  aPtr: number, aDims: readonly number[],
  bPtr: number, bDims: readonly number[],
  outPtr: number,
): number[] {
  const code = binaryOpCode(op, 'binaryF32Ptr op');
  const plan = planBroadcast(aDims, bDims);
  const aSize = checkDims(aDims, 'a dims');
  const bSize = checkDims(bDims, 'b dims');
  if (plan.outSize === 0) return plan.outDims;
  checkF32Region(rt, aPtr, aSize, 'a');
  checkF32Region(rt, bPtr, bSize, 'b');
  checkF32Region(rt, outPtr, plan.outSize, 'out');
  checkAliasing(outPtr, plan.outSize, aPtr, aSize, 'out', 'a');
  checkAliasing(outPtr, plan.outSize, bPtr, bSize, 'out', 'b');
  if (rt.wasm === null) {
    const ar = rt.arena;
    binaryRef(op, ar.f32(aPtr, aSize), aDims, ar.f32(bPtr, bSize), bDims, ar.f32(outPtr, plan.outSize), plan.outDims);
  } else {
    runPlan(rt.wasm.f32_eltwise_binary, code, plan, aPtr, bPtr, outPtr);
  }
  return plan.outDims;
}

type BinaryExport = (...args: number[]) => number;

/** The WASM kernel takes three outer loops; deeper plans (rare) iterate the rest here. */
function runPlan(kernel: BinaryExport, code: number, plan: BroadcastPlan, aPtr: number, bPtr: number, outPtr: number): void {
  const { loops, aStrides, bStrides, run, runLength } = plan;
  const pad = Math.max(0, 3 - loops.length);
  const d = [...new Array<number>(pad).fill(1), ...loops];
  const sa = [...new Array<number>(pad).fill(0), ...aStrides].map((s) => 4 * s);
  const sb = [...new Array<number>(pad).fill(0), ...bStrides].map((s) => 4 * s);
  const host = d.length - 3; // loops handled here
  const inner = d.slice(host);
  const innerBytes = 4 * runLength * inner[0] * inner[1] * inner[2];
  const index = new Array<number>(host).fill(0);
  let a = aPtr;
  let b = bPtr;
  let out = outPtr;
  for (;;) {
    kernel(code, run, a, b, out, runLength, inner[0], inner[1], inner[2],
      sa[host], sa[host + 1], sa[host + 2], sb[host], sb[host + 1], sb[host + 2]);
    out += innerBytes;
    let k = host - 1;
    for (; k >= 0; k--) {
      a += sa[k];
      b += sb[k];
      if (++index[k] < d[k]) break;
      a -= sa[k] * d[k];
      b -= sb[k] * d[k];
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

export interface F32Tensor {
  data: Float32Array;
  dims: number[];
}

/** a op b over Float32Arrays (copied into the runtime's arena and back). */
export function binaryF32(
  rt: Runtime, op: BinaryOp,
  a: Float32Array, aDims: readonly number[],
  b: Float32Array, bDims: readonly number[],
): F32Tensor {
  binaryOpCode(op, 'binaryF32 op');
  checkLength(a, aDims, 'a');
  checkLength(b, bDims, 'b');
  const outDims = planBroadcast(aDims, bDims).outDims;
  const outSize = outDims.reduce((p, x) => p * x, 1);
  const arena = rt.arena;
  const ap = arena.alloc(4 * a.length, 'binaryF32 a');
  const bp = arena.alloc(4 * b.length, 'binaryF32 b');
  const op_ = arena.alloc(4 * outSize, 'binaryF32 out');
  try {
    arena.f32(ap, a.length).set(a);
    arena.f32(bp, b.length).set(b);
    binaryF32Ptr(rt, op, ap, aDims, bp, bDims, op_);
    return { data: arena.f32(op_, outSize).slice(), dims: outDims };
  } finally {
    arena.free(op_);
    arena.free(bp);
    arena.free(ap);
  }
}

export function checkLength(data: Float32Array, dims: readonly number[], what: string): number {
  if (!(data instanceof Float32Array)) {
    throw new EdgeRunError('DTypeMismatch', `${what} must be a Float32Array, got ${Object.prototype.toString.call(data)}`);
  }
  const size = checkDims(dims, `${what} dims`);
  if (data.length !== size) {
    throw new EdgeRunError('ShapeMismatch', `${what} has ${data.length} elements but its dims ${fmt(dims)} need ${size}`);
  }
  return size;
}
