// int8/uint8 Add, Sub and Mul with TFLite's arithmetic (kernels/add.cc, sub.cc, mul.cc Prepare;
// reference add.h, mul.h). Same-shape operands, or b with one element (broadcast); other
// broadcasts are the graph engine's to lay out.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { qaddRef, qmulRef } from '../reference/int8/eltwise.js';
import { checkDType, dtypeOf, newQArray, qview, type QArray } from './common.js';
import {
  activationRange, checkScale, checkZeroPoint, quantizeMultiplier, quantizeMultiplierSmallerThanOne, wasmOutputParams,
  type QuantActivation, type QuantDType, type QuantizedMultiplier, type QuantParams,
} from './qparams.js';

export interface QBinaryParams {
  a: QuantParams;
  b: QuantParams;
  out: QuantParams;
  /** Of inputs and output (TFLite requires them equal). Default int8. */
  dtype?: QuantDType;
  act?: QuantActivation;
}

interface Prepared {
  dtype: QuantDType;
  range: [number, number];
}

function prepare(p: QBinaryParams, where: string): Prepared {
  if (typeof p !== 'object' || p === null) throw new EdgeRunError('InvalidArgument', `${where}: quantization parameters are required`);
  const dtype = checkDType(p.dtype, `${where}: dtype`);
  for (const [k, q] of [['a', p.a], ['b', p.b], ['out', p.out]] as const) {
    if (typeof q !== 'object' || q === null) throw new EdgeRunError('InvalidArgument', `${where}: ${k} needs { scale, zeroPoint }`);
    checkScale(q.scale, `${where}: ${k}.scale`);
    checkZeroPoint(q.zeroPoint, dtype, `${where}: ${k}.zeroPoint`);
  }
  return { dtype, range: activationRange(p.act, p.out, dtype) };
}

/** TFLite add.cc Prepare (int8/uint8): left shift 20 and three multipliers smaller than one. */
export function addMultipliers(a: number, b: number, out: number): { m1: QuantizedMultiplier; m2: QuantizedMultiplier; mo: QuantizedMultiplier } {
  const twiceMax = Math.fround(2 * Math.max(Math.fround(a), Math.fround(b)));
  return {
    m1: quantizeMultiplierSmallerThanOne(Math.fround(a) / twiceMax, 'input 1 multiplier'),
    m2: quantizeMultiplierSmallerThanOne(Math.fround(b) / twiceMax, 'input 2 multiplier'),
    mo: quantizeMultiplierSmallerThanOne(twiceMax / Math.fround((1 << 20) * Math.fround(out)), 'output multiplier'),
  };
}

/** TFLite mul.cc Prepare: input1·input2/output in float32, then QuantizeMultiplier. */
export function mulMultiplier(a: number, b: number, out: number): QuantizedMultiplier {
  return quantizeMultiplier(Math.fround(Math.fround(Math.fround(a) * Math.fround(b)) / Math.fround(out)), 'mul multiplier');
}

function checkOperands(rt: Runtime, n: number, aPtr: number, bPtr: number, bLength: number, outPtr: number, where: string): void {
  if (!Number.isInteger(n) || n < 0) throw new EdgeRunError('InvalidArgument', `${where}: n must be a non-negative integer, got ${n}`);
  if (bLength !== n && bLength !== 1) throw new EdgeRunError('ShapeMismatch', `${where}: b has ${bLength} elements, expected ${n} or 1`);
  if (n === 0) return;
  rt.arena.check(aPtr, n, `${where}: a`);
  rt.arena.check(bPtr, bLength, `${where}: b`);
  rt.arena.check(outPtr, n, `${where}: out`);
}

function binaryPtr(kind: 'add' | 'sub' | 'mul', rt: Runtime, n: number, aPtr: number, bPtr: number, bLength: number, outPtr: number, p: QBinaryParams): void {
  const where = `q${kind}Ptr`;
  const { dtype, range } = prepare(p, where);
  checkOperands(rt, n, aPtr, bPtr, bLength, outPtr, where);
  if (n === 0) return;
  const o = wasmOutputParams(p.out.zeroPoint, range, dtype);
  if (kind === 'mul') {
    const m = mulMultiplier(p.a.scale, p.b.scale, p.out.scale);
    if (rt.wasm) {
      rt.wasm.i8_mul(n, aPtr, bPtr, bLength === 1 ? 0 : 1, outPtr, dtype === 'uint8' ? 1 : 0, p.a.zeroPoint, p.b.zeroPoint,
        m.multiplier, Math.max(m.shift, 0), Math.max(-m.shift, 0), o.zp, o.lo, o.hi, o.flip);
      return;
    }
    qmulRef(qview(rt, dtype, aPtr, n), qview(rt, dtype, bPtr, bLength), { za: p.a.zeroPoint, zb: p.b.zeroPoint, m, outputZeroPoint: p.out.zeroPoint, actMin: range[0], actMax: range[1] }, qview(rt, dtype, outPtr, n));
    return;
  }
  const { m1, m2, mo } = addMultipliers(p.a.scale, p.b.scale, p.out.scale);
  if (rt.wasm) {
    rt.wasm.i8_add(n, aPtr, bPtr, bLength === 1 ? 0 : 1, outPtr, dtype === 'uint8' ? 1 : 0, kind === 'sub' ? 1 : 0, p.a.zeroPoint, p.b.zeroPoint,
      m1.multiplier, -m1.shift, m2.multiplier, -m2.shift, mo.multiplier, -mo.shift, o.zp, o.lo, o.hi, o.flip);
    return;
  }
  qaddRef(qview(rt, dtype, aPtr, n), qview(rt, dtype, bPtr, bLength), {
    za: p.a.zeroPoint, zb: p.b.zeroPoint, m1, m2, mo, outputZeroPoint: p.out.zeroPoint, actMin: range[0], actMax: range[1], subtract: kind === 'sub',
  }, qview(rt, dtype, outPtr, n));
}

/** out[i] = a[i] + b[i] (b[0] when bLength = 1), requantized; arena byte addresses. */
export const qaddPtr = (rt: Runtime, n: number, aPtr: number, bPtr: number, bLength: number, outPtr: number, p: QBinaryParams) => binaryPtr('add', rt, n, aPtr, bPtr, bLength, outPtr, p);
export const qsubPtr = (rt: Runtime, n: number, aPtr: number, bPtr: number, bLength: number, outPtr: number, p: QBinaryParams) => binaryPtr('sub', rt, n, aPtr, bPtr, bLength, outPtr, p);
export const qmulPtr = (rt: Runtime, n: number, aPtr: number, bPtr: number, bLength: number, outPtr: number, p: QBinaryParams) => binaryPtr('mul', rt, n, aPtr, bPtr, bLength, outPtr, p);

function binary(kind: 'add' | 'sub' | 'mul', rt: Runtime, a: QArray, b: QArray, p: QBinaryParams): QArray {
  const where = `q${kind}`;
  const dt = dtypeOf(a, `${where}: a`);
  if (dtypeOf(b, `${where}: b`) !== dt || dt !== (p?.dtype ?? 'int8')) {
    throw new EdgeRunError('DTypeMismatch', `${where}: a, b and params.dtype must agree (a ${dt}, b ${dtypeOf(b, where)}, dtype ${p?.dtype ?? 'int8'})`);
  }
  const n = a.length;
  const out = newQArray(dt, n);
  if (b.length !== n && b.length !== 1) throw new EdgeRunError('ShapeMismatch', `${where}: b has ${b.length} elements, expected ${n} or 1`);
  const aPtr = rt.arena.alloc(n, `${where}: a`);
  const bPtr = rt.arena.alloc(b.length, `${where}: b`);
  const oPtr = rt.arena.alloc(n, `${where}: out`);
  try {
    qview(rt, dt, aPtr, n).set(a);
    qview(rt, dt, bPtr, b.length).set(b);
    binaryPtr(kind, rt, n, aPtr, bPtr, b.length, oPtr, p);
    out.set(qview(rt, dt, oPtr, n));
  } finally {
    rt.arena.free(oPtr);
    rt.arena.free(bPtr);
    rt.arena.free(aPtr);
  }
  return out;
}

export const qadd = (rt: Runtime, a: QArray, b: QArray, p: QBinaryParams) => binary('add', rt, a, b, p);
export const qsub = (rt: Runtime, a: QArray, b: QArray, p: QBinaryParams) => binary('sub', rt, a, b, p);
export const qmul = (rt: Runtime, a: QArray, b: QArray, p: QBinaryParams) => binary('mul', rt, a, b, p);
