// int8/uint8 Logistic and Tanh as a 256-entry table (TFLite LUTPopulate, the default
// GenericOptimized/Reference int8 kernels), and the lookup kernel.
//
// The table is built in float32 exactly as TFLite does (dequantize, transform, × 1/outScale,
// TfLiteRound, + zero point, clamp), with exp/tanh from Math.exp/Math.tanh rounded to float32.
// A libm expf/tanhf that is not correctly rounded can differ in the last ulp, which moves an
// entry only when it sits on a rounding boundary.
import { EdgeRunError } from '../../engine/errors.js';
import { roundHalfAwayFromZero } from '../reference/int8/fixedpoint.js';
import { lutRef } from '../reference/int8/eltwise.js';
import type { Runtime } from '../runtime.js';
import { checkDType, dtypeOf, newQArray, qview, type QArray } from './common.js';
import { checkScale, checkZeroPoint, dtypeRange, type QuantDType, type QuantParams } from './qparams.js';

export type LutFunction = 'logistic' | 'tanh';

const f = Math.fround;

function transform(fn: LutFunction, x: number): number {
  // TFLite: 1.f / (1.f + std::exp(-x)) and std::tanh(x), all in float.
  return fn === 'logistic' ? f(1 / f(1 + f(Math.exp(-x)))) : f(Math.tanh(x));
}

/** The 256-byte table, indexed by the input's byte (int8 −1 → 255), as TFLite's lut[(uint8)val]. */
export function buildLut(fn: LutFunction, input: QuantParams, output: QuantParams, dtype: QuantDType = 'int8'): Uint8Array {
  const where = 'buildLut';
  if (fn !== 'logistic' && fn !== 'tanh') throw new EdgeRunError('InvalidArgument', `${where}: function must be 'logistic' or 'tanh', got ${String(fn)}`);
  checkDType(dtype, `${where}: dtype`);
  checkScale(input?.scale, `${where}: input.scale`);
  checkScale(output?.scale, `${where}: output.scale`);
  checkZeroPoint(input.zeroPoint, dtype, `${where}: input.zeroPoint`);
  checkZeroPoint(output.zeroPoint, dtype, `${where}: output.zeroPoint`);
  const [lo, hi] = dtypeRange(dtype);
  const inverseScale = f(1 / f(output.scale));
  const table = new Uint8Array(256);
  for (let v = lo; v <= hi; v++) {
    const dequantized = f(f(input.scale) * (v - input.zeroPoint));
    const rescaled = roundHalfAwayFromZero(f(transform(fn, dequantized) * inverseScale));
    const q = rescaled + output.zeroPoint;
    table[v & 0xff] = Math.max(lo, Math.min(hi, q)) & 0xff;
  }
  return table;
}

/** out[i] = table[x[i]]: n bytes at xPtr → n bytes at outPtr; the table is 256 bytes at tablePtr. */
export function lutPtr(rt: Runtime, n: number, xPtr: number, tablePtr: number, outPtr: number): void {
  const where = 'lutPtr';
  if (!Number.isInteger(n) || n < 0) throw new EdgeRunError('InvalidArgument', `${where}: n must be a non-negative integer, got ${n}`);
  rt.arena.check(tablePtr, 256, `${where}: table`);
  if (n === 0) return;
  rt.arena.check(xPtr, n, `${where}: x`);
  rt.arena.check(outPtr, n, `${where}: out`);
  if (rt.wasm) {
    rt.wasm.i8_lut(n, xPtr, tablePtr, outPtr);
    return;
  }
  lutRef(rt.arena.u8(xPtr, n), rt.arena.u8(tablePtr, 256), rt.arena.u8(outPtr, n));
}

/** Convenience: applies a table from buildLut to x (int8 or uint8; the output has x's dtype). */
export function lookup(rt: Runtime, x: QArray, table: Uint8Array): QArray {
  const where = 'lookup';
  const dt = dtypeOf(x, `${where}: x`);
  if (!(table instanceof Uint8Array) || table.length !== 256) throw new EdgeRunError('InvalidArgument', `${where}: table must be a Uint8Array of 256 entries`);
  const out = newQArray(dt, x.length);
  const tPtr = rt.arena.alloc(256, `${where}: table`);
  const xPtr = rt.arena.alloc(x.length, `${where}: x`);
  const oPtr = rt.arena.alloc(x.length, `${where}: out`);
  try {
    rt.arena.u8(tPtr, 256).set(table);
    qview(rt, dt, xPtr, x.length).set(x);
    lutPtr(rt, x.length, xPtr, tPtr, oPtr);
    out.set(qview(rt, dt, oPtr, x.length));
  } finally {
    rt.arena.free(oPtr);
    rt.arena.free(xPtr);
    rt.arena.free(tPtr);
  }
  return out;
}
