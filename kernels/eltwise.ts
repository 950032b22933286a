// Binary elementwise ops (Add, Sub, Mul, Div, Max, Min, Pow, PRelu) on float32 with numpy/ONNX
// broadcasting. Variadic Sum/Mean/Max/Min are folds of these: the output may be one of the
// inputs (same shape), so `acc = acc op x` runs in place.
//
// Pointer API (arena addresses, no copies): planBinaryF32 once per pair of shapes, then
// runBinaryF32 per call (what the graph executor uses); binaryF32Ptr does both in one call.
// Convenience API over Float32Arrays (copies in and out): binaryF32.
import { EdgeRunError } from '../engine/errors.js';
import { checkDims, fmt, planBroadcast } from './broadcast.js';
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
 * Everything about a binary op that depends only on the shapes: computed once (the executor does
 * it when it compiles a graph), then run on any buffers. Frozen, and only plans made by
 * planBinaryF32 are run: the kernel arguments in it are trusted.
 */
export interface BinaryPlanF32 {
  readonly op: BinaryOp;
  readonly code: number;
  readonly aDims: readonly number[];
  readonly bDims: readonly number[];
  readonly outDims: readonly number[];
  readonly aSize: number;
  readonly bSize: number;
  readonly outSize: number;
  /** The WASM kernel's shape arguments: run kind, run length, 3 loop extents, 3+3 byte strides. */
  readonly kernelArgs: readonly number[];
  /** Loops beyond the kernel's three (outermost first), iterated on the host; usually empty. */
  readonly hostLoops: readonly { extent: number; aBytes: number; bBytes: number }[];
  /** Output bytes one kernel call writes. */
  readonly bytesPerCall: number;
}

export function planBinaryF32(op: BinaryOp, aDims: readonly number[], bDims: readonly number[]): BinaryPlanF32 {
  const code = binaryOpCode(op, 'binary op');
  const aSize = checkDims(aDims, 'a dims');
  const bSize = checkDims(bDims, 'b dims');
  const plan = planBroadcast(aDims, bDims);
  const { loops, aStrides, bStrides, run, runLength } = plan;
  const pad = Math.max(0, 3 - loops.length);
  const d = [...new Array<number>(pad).fill(1), ...loops];
  const sa = [...new Array<number>(pad).fill(0), ...aStrides].map((x) => 4 * x);
  const sb = [...new Array<number>(pad).fill(0), ...bStrides].map((x) => 4 * x);
  const host = d.length - 3;
  const hostLoops = d.slice(0, host).map((extent, k) => Object.freeze({ extent, aBytes: sa[k], bBytes: sb[k] }));
  const made: BinaryPlanF32 = Object.freeze({
    op, code, aSize, bSize,
    aDims: Object.freeze([...aDims]),
    bDims: Object.freeze([...bDims]),
    outDims: Object.freeze(plan.outDims),
    outSize: plan.outSize,
    kernelArgs: Object.freeze([run, runLength, ...d.slice(host), ...sa.slice(host), ...sb.slice(host)]),
    hostLoops: Object.freeze(hostLoops),
    bytesPerCall: 4 * runLength * d[host] * d[host + 1] * d[host + 2],
  });
  madePlans.add(made);
  return made;
}

const madePlans = new WeakSet<BinaryPlanF32>();

/** Runs a plan: out = a op b. out may be a or b when that operand has the output's shape. */
export function runBinaryF32(rt: Runtime, plan: BinaryPlanF32, aPtr: number, bPtr: number, outPtr: number): void {
  if (!madePlans.has(plan)) throw new EdgeRunError('InvalidArgument', 'runBinaryF32 plan was not made by planBinaryF32');
  if (plan.outSize === 0) return;
  checkF32Region(rt, aPtr, plan.aSize, 'a');
  checkF32Region(rt, bPtr, plan.bSize, 'b');
  checkF32Region(rt, outPtr, plan.outSize, 'out');
  checkAliasing(outPtr, plan.outSize, aPtr, plan.aSize, 'out', 'a');
  checkAliasing(outPtr, plan.outSize, bPtr, plan.bSize, 'out', 'b');
  if (rt.wasm === null) {
    const ar = rt.arena;
    binaryRef(plan.op, ar.f32(aPtr, plan.aSize), plan.aDims, ar.f32(bPtr, plan.bSize), plan.bDims,
      ar.f32(outPtr, plan.outSize), plan.outDims);
    return;
  }
  const kernel = rt.wasm.f32_eltwise_binary;
  const [run, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2] = plan.kernelArgs;
  const host = plan.hostLoops;
  if (host.length === 0) {
    kernel(plan.code, run, aPtr, bPtr, outPtr, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
    return;
  }
  // Deeper plans (operands alternating between broadcasting and not over 5+ axes): an odometer
  // over the extra outer loops.
  const index = new Array<number>(host.length).fill(0);
  let a = aPtr;
  let b = bPtr;
  let out = outPtr;
  for (;;) {
    kernel(plan.code, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
    out += plan.bytesPerCall;
    let k = host.length - 1;
    for (; k >= 0; k--) {
      a += host[k].aBytes;
      b += host[k].bBytes;
      if (++index[k] < host[k].extent) break;
      a -= host[k].aBytes * host[k].extent;
      b -= host[k].bBytes * host[k].extent;
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

/**
 * out = a op b, broadcasting a (dims aDims) with b (dims bDims); returns the output dims.
 * out must hold the broadcast shape. out may be a or b when that operand has the output's shape.
 * (planBinaryF32 + runBinaryF32 in one call; callers that repeat a shape should keep the plan.)
 */
export function binaryF32Ptr(
  rt: Runtime, op: BinaryOp,
  aPtr: number, aDims: readonly number[],
  bPtr: number, bDims: readonly number[],
  outPtr: number,
): number[] {
  const plan = planBinaryF32(op, aDims, bDims);
  runBinaryF32(rt, plan, aPtr, bPtr, outPtr);
  return [...plan.outDims];
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
  const plan = planBinaryF32(op, aDims, bDims);
  const outSize = plan.outSize;
  const arena = rt.arena;
  const ap = arena.alloc(4 * a.length, 'binaryF32 a');
  const bp = arena.alloc(4 * b.length, 'binaryF32 b');
  const outp = arena.alloc(4 * outSize, 'binaryF32 out');
  try {
    arena.f32(ap, a.length).set(a);
    arena.f32(bp, b.length).set(b);
    runBinaryF32(rt, plan, ap, bp, outp);
    return { data: arena.f32(outp, outSize).slice(), dims: [...plan.outDims] };
  } finally {
    arena.free(outp);
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
