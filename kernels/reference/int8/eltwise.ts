// Oracles of the int8 elementwise kernels, transliterating TFLite's reference add.h / mul.h /
// LUT lookup and concatenation's ConcatenationWithScaling. Values are plain numbers in the
// dtype's own range (int8 or uint8).
import type { QuantizedMultiplier } from '../../int8/qparams.js';
import { multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierSmallerThanOneExp, roundHalfAwayFromZero } from './fixedpoint.js';

export interface AddRefParams {
  za: number; zb: number;
  m1: QuantizedMultiplier; m2: QuantizedMultiplier; mo: QuantizedMultiplier;
  outputZeroPoint: number; actMin: number; actMax: number;
  subtract: boolean;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** b of length 1 broadcasts. */
export function qaddRef(a: ArrayLike<number>, b: ArrayLike<number>, p: AddRefParams, out: { [i: number]: number }): void {
  for (let i = 0; i < a.length; i++) {
    const bv = b.length === 1 ? b[0] : b[i];
    const x = multiplyByQuantizedMultiplierSmallerThanOneExp((a[i] - p.za) * (1 << 20), p.m1.multiplier, p.m1.shift);
    const y = multiplyByQuantizedMultiplierSmallerThanOneExp((bv - p.zb) * (1 << 20), p.m2.multiplier, p.m2.shift);
    const raw = p.subtract ? (x - y) | 0 : (x + y) | 0;
    const v = multiplyByQuantizedMultiplierSmallerThanOneExp(raw, p.mo.multiplier, p.mo.shift) + p.outputZeroPoint;
    out[i] = clamp(v, p.actMin, p.actMax);
  }
}

export interface MulRefParams {
  za: number; zb: number; m: QuantizedMultiplier; outputZeroPoint: number; actMin: number; actMax: number;
}

export function qmulRef(a: ArrayLike<number>, b: ArrayLike<number>, p: MulRefParams, out: { [i: number]: number }): void {
  for (let i = 0; i < a.length; i++) {
    const bv = b.length === 1 ? b[0] : b[i];
    const v = multiplyByQuantizedMultiplier((a[i] - p.za) * (bv - p.zb), p.m.multiplier, p.m.shift) + p.outputZeroPoint;
    out[i] = clamp(v, p.actMin, p.actMax);
  }
}

/** table indexed by the value's byte (int8 −1 → 255), as TFLite's lut[(uint8)val]. */
export function lutRef(x: ArrayLike<number>, table: ArrayLike<number>, out: { [i: number]: number }): void {
  for (let i = 0; i < x.length; i++) out[i] = table[x[i] & 0xff];
}

/** ConcatenationWithScaling's element: round(q·scale + bias) + zp in float32, clamped to the dtype. */
export function requantCopyRef(x: ArrayLike<number>, scale: number, bias: number, zp: number, qmin: number, qmax: number, out: { [i: number]: number }): void {
  for (let i = 0; i < x.length; i++) {
    const f = Math.fround(Math.fround(x[i] * scale) + bias);
    out[i] = clamp(roundHalfAwayFromZero(f) + zp, qmin, qmax);
  }
}
