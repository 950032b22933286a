// Integer arithmetic of the quantized operators, in plain TypeScript over typed arrays: the
// reference the CPU kernels run until (and where) no int8 WASM kernel exists.
//
// Two requantization rules live here, on purpose:
//  - ONNX (QLinearConv, QLinearMatMul, QuantizeLinear): in floating point, as the ONNX
//    reference implementation and onnxruntime do: y = round_half_even(acc · (sx·sw/sy)) + zy.
//  - TFLite (the fused ai.edgerun QConv/QGemm): the real multiplier sx·sw/sy (in double) becomes
//    a 31-bit fixed-point multiplier and a shift (QuantizeMultiplier), applied with
//    SaturatingRoundingDoublingHighMul and RoundingDivideByPOT. Ties round away from zero there,
//    and the multiplier is rounded to 31 bits, so the two rules may differ by 1 LSB.
import type { DType } from '../../../tensor.js';

const fr = Math.fround;

/** Round half to even (numpy.rint); NaN stays NaN. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export const QRANGE: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
};

export function rangeOf(dtype: DType): [number, number] {
  const r = QRANGE[dtype];
  if (!r) throw new Error(`no integer range for ${dtype}`);
  return r;
}

/**
 * QuantizeLinear of one value: saturate(round_half_even(x / scale) + zp). x / scale is a float32
 * division (the spec's and numpy's). NaN quantizes to the zero point (real 0): the spec leaves it
 * undefined and a NaN must not turn into an arbitrary integer.
 */
export function quantizeOne(x: number, scale: number, zp: number, lo: number, hi: number): number {
  const r = roundHalfEven(fr(x / scale));
  if (r !== r) return zp;
  const q = r + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

/** Outer × channels × inner decomposition of a tensor around `axis` (per-axis parameters). */
export function axisGeometry(dims: readonly number[], axis: number): { outer: number; channels: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i];
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  return { outer, channels: dims[axis] ?? 1, inner };
}

// ---- TFLite fixed-point requantization (tensorflow/lite/kernels/internal/common.h) ----

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** QuantizeMultiplier: m = q · 2^shift with q in [0.5, 1) as a Q31 integer (round half away from zero). */
export function quantizeMultiplier(m: number): QuantizedMultiplier {
  if (m === 0) return { multiplier: 0, shift: 0 };
  if (!(m > 0) || !Number.isFinite(m)) throw new Error(`requantization multiplier ${m} must be positive and finite`);
  let shift = Math.floor(Math.log2(m)) + 1;
  let q = m / 2 ** shift;
  // log2 may be off by one at exact powers of two: bring q into [0.5, 1).
  if (q >= 1) {
    q /= 2;
    shift++;
  } else if (q < 0.5) {
    q *= 2;
    shift--;
  }
  let fixed = Math.round(q * 2 ** 31); // q > 0, so Math.round is round-half-away-from-zero here
  if (fixed === 2 ** 31) {
    fixed /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: fixed, shift };
}

const TWO31 = 2 ** 31;

/** SaturatingRoundingDoublingHighMul(a, b): round(a·b / 2^31), ties toward +∞, int32 saturated. */
export function srdhm(a: number, b: number): number {
  if (a === -TWO31 && b === -TWO31) return TWO31 - 1;
  const ab = a * b;
  if (Math.abs(ab) < 2 ** 53) {
    const nudge = ab >= 0 ? 2 ** 30 : 1 - 2 ** 30;
    return Math.trunc((ab + nudge) / TWO31);
  }
  const big = BigInt(a) * BigInt(b);
  const nudge = big >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((big + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C++ does
}

/** RoundingDivideByPOT(x, e): x / 2^e rounded to nearest, ties away from zero. */
export function roundingDivideByPOT(x: number, e: number): number {
  if (e === 0) return x;
  const mask = e >= 31 ? 0x7fffffff : (1 << e) - 1;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > threshold ? 1 : 0);
}

/** MultiplyByQuantizedMultiplier (double-rounding path, TFLite's default build). */
export function multiplyByQuantizedMultiplier(x: number, q: QuantizedMultiplier): number {
  const left = q.shift > 0 ? q.shift : 0;
  const right = q.shift > 0 ? 0 : -q.shift;
  return roundingDivideByPOT(srdhm((x * 2 ** left) | 0, q.multiplier), right);
}

/** TFLite's conv/FC multiplier: float32 scales widened to double, then sx·sw/sy in double. */
export function tfliteMultiplier(sx: number, sw: number, sy: number): QuantizedMultiplier {
  return quantizeMultiplier((fr(sx) * fr(sw)) / fr(sy));
}

// ---- Integer convolution and matrix product (int32 accumulation) ----

export interface ConvGeometry {
  n: number;
  c: number;
  /** Input spatial dims (1-D convs have h = 1). */
  h: number;
  w: number;
  m: number;
  group: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  strides: [number, number];
  dilations: [number, number];
  /** [top, left] (bottom/right are implied by the output size). */
  padsBegin: [number, number];
}

/**
 * acc[n, m, oh, ow] = Σ (x − xzp)·wc over in-image taps, where `wc` already has its zero points
 * subtracted ([m, c/group, kh, kw] as int32). Out-of-image taps are skipped, which is padding
 * with the input zero point (TFLite's rule, and what a zero real value means).
 */
export function convAccumulate(x: ArrayLike<number>, xzp: number, wc: Int32Array, g: ConvGeometry): Int32Array {
  const acc = new Int32Array(g.n * g.m * g.oh * g.ow);
  const cg = g.c / g.group;
  const mg = g.m / g.group;
  const taps = cg * g.kh * g.kw;
  for (let n = 0; n < g.n; n++) {
    for (let m = 0; m < g.m; m++) {
      const grp = Math.floor(m / mg);
      const wBase = m * taps;
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          let s = 0;
          for (let ci = 0; ci < cg; ci++) {
            const xBase = ((n * g.c + grp * cg + ci) * g.h) * g.w;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strides[0] - g.padsBegin[0] + ky * g.dilations[0];
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strides[1] - g.padsBegin[1] + kx * g.dilations[1];
                if (ix < 0 || ix >= g.w) continue;
                s += (x[xBase + iy * g.w + ix] - xzp) * wc[wBase + (ci * g.kh + ky) * g.kw + kx];
              }
            }
          }
          acc[((n * g.m + m) * g.oh + oy) * g.ow + ox] = s;
        }
      }
    }
  }
  return acc;
}

/** acc[M×N] = Σ_k (a[m,k] − azp)·bc[k,n], bc already centred (int32, K×N row-major). */
export function matmulAccumulate(a: ArrayLike<number>, aOffset: number, azp: number, bc: Int32Array, M: number, K: number, N: number, out: Int32Array, outOffset: number): void {
  const row = new Int32Array(N);
  for (let m = 0; m < M; m++) {
    row.fill(0);
    const aBase = aOffset + m * K;
    for (let k = 0; k < K; k++) {
      const av = a[aBase + k] - azp;
      if (av === 0) continue;
      const bBase = k * N;
      for (let n = 0; n < N; n++) row[n] += av * bc[bBase + n];
    }
    out.set(row, outOffset + m * N);
  }
}
