// Elementwise unary ops on float32: activations (Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid,
// HardSwish, Tanh, Elu, Selu, ThresholdedRelu, Softplus, Softsign), plain math (Exp, Log, Abs,
// Neg, Sqrt, Reciprocal) and the perceptron's Heaviside step (step(0) = 1, step(NaN) = NaN; ONNX
// has no such op). Contiguous; in place allowed (out === in).
//
// Pointer API: unaryF32Ptr. Convenience API over Float32Arrays: unaryF32.
import { EdgeRunError } from '../engine/errors.js';
import { MAX_ELEMENTS } from './broadcast.js';
import { checkAliasing, checkF32Region } from './eltwise.js';
import { unaryRef } from './reference/unary.js';
import type { Runtime } from './runtime.js';

/** Codes are the index in this list; wasm/unary.ts uses the same order. */
export const UNARY_OPS = [
  'relu', 'leakyRelu', 'clip', 'sigmoid', 'hardSigmoid', 'hardSwish', 'tanh', 'elu', 'selu',
  'thresholdedRelu', 'softplus', 'softsign', 'exp', 'log', 'abs', 'neg', 'sqrt', 'reciprocal', 'step',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Op parameters by their ONNX attribute names; omitted ones take the ONNX defaults. */
export interface UnaryParams {
  alpha?: number;
  beta?: number;
  gamma?: number;
  min?: number;
  max?: number;
}
type ParamName = keyof UnaryParams;

interface ParamSpec {
  name: ParamName;
  default: number;
  /** Clip bounds may be infinite (no bound); other parameters must be finite. */
  infiniteOk?: boolean;
}

/** The parameters each op takes, in the order the kernel receives them (p0, p1). */
const PARAMS: Partial<Record<UnaryOp, readonly ParamSpec[]>> = {
  leakyRelu: [{ name: 'alpha', default: 0.01 }],
  clip: [{ name: 'min', default: -Infinity, infiniteOk: true }, { name: 'max', default: Infinity, infiniteOk: true }],
  hardSigmoid: [{ name: 'alpha', default: 0.2 }, { name: 'beta', default: 0.5 }],
  elu: [{ name: 'alpha', default: 1 }],
  selu: [{ name: 'alpha', default: 1.67326319217681884765625 }, { name: 'gamma', default: 1.05070102214813232421875 }],
  thresholdedRelu: [{ name: 'alpha', default: 1 }],
};

export function unaryOpCode(op: UnaryOp, where: string): number {
  const code = UNARY_OPS.indexOf(op);
  if (code < 0) {
    throw new EdgeRunError('InvalidArgument', `${where}: unknown unary op '${String(op)}' (expected one of ${UNARY_OPS.join(', ')})`);
  }
  return code;
}

/** [p0, p1] rounded to float32 as the kernels use them; rejects unknown names and NaN. */
export function unaryParamValues(op: UnaryOp, params: UnaryParams | undefined, where: string): [number, number] {
  const specs = PARAMS[op] ?? [];
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    throw new EdgeRunError('InvalidArgument', `${where}: params must be an object, got ${String(params)}`);
  }
  for (const key of Object.keys(params ?? {})) {
    if ((params as Record<string, unknown>)[key] === undefined) continue;
    if (!specs.some((s) => s.name === key)) {
      const takes = specs.length ? specs.map((s) => s.name).join(', ') : 'no parameters';
      throw new EdgeRunError('InvalidArgument', `${where}: ${op} has no parameter '${key}' (it takes ${takes})`);
    }
  }
  const values: [number, number] = [0, 0];
  specs.forEach((spec, i) => {
    const given = params?.[spec.name];
    const v = given === undefined ? spec.default : given;
    const f = Math.fround(v);
    const ok = typeof v === 'number' && !Number.isNaN(v) && (spec.infiniteOk || Number.isFinite(f));
    if (!ok) {
      throw new EdgeRunError('InvalidArgument', `${where}: ${op} ${spec.name} must be a ${spec.infiniteOk ? '' : 'finite float32 '}number, got ${String(v)}`);
    }
    values[i] = f;
  });
  return values;
}

export function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_ELEMENTS) {
    throw new EdgeRunError('InvalidArgument', `${what} must be an integer in [0, ${MAX_ELEMENTS}], got ${String(n)}`);
  }
}

/** out[i] = op(in[i]) for n floats; outPtr may equal inPtr. */
export function unaryF32Ptr(rt: Runtime, op: UnaryOp, params: UnaryParams | undefined, inPtr: number, outPtr: number, n: number): void {
  const code = unaryOpCode(op, 'unaryF32Ptr op');
  const [p0, p1] = unaryParamValues(op, params, 'unaryF32Ptr params');
  checkCount(n, 'unaryF32Ptr n');
  if (n === 0) return;
  checkF32Region(rt, inPtr, n, 'unaryF32Ptr in');
  checkF32Region(rt, outPtr, n, 'unaryF32Ptr out');
  checkAliasing(outPtr, n, inPtr, n, 'out', 'in');
  if (rt.wasm === null) unaryRef(op, p0, p1, rt.arena.f32(inPtr, n), rt.arena.f32(outPtr, n));
  else rt.wasm.f32_unary(code, inPtr, outPtr, n, p0, p1);
}

/** op(x) over a Float32Array (copied into the runtime's arena and back). */
export function unaryF32(rt: Runtime, op: UnaryOp, x: Float32Array, params?: UnaryParams): Float32Array {
  unaryOpCode(op, 'unaryF32 op');
  unaryParamValues(op, params, 'unaryF32 params');
  if (!(x instanceof Float32Array)) {
    throw new EdgeRunError('DTypeMismatch', `unaryF32 x must be a Float32Array, got ${Object.prototype.toString.call(x)}`);
  }
  const p = rt.arena.alloc(4 * x.length, 'unaryF32 x');
  try {
    rt.arena.f32(p, x.length).set(x);
    unaryF32Ptr(rt, op, params, p, p, x.length);
    return rt.arena.f32(p, x.length).slice();
  } finally {
    rt.arena.free(p);
  }
}
