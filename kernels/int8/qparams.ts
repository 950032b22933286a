// How TFLite turns float scales into integer requantization parameters, and the activation
// range of a quantized output. These run at pack/prepare time on the host; the per-element
// arithmetic lives in kernels/reference/int8/fixedpoint.ts (scalar) and wasm/lib/requant.ts (SIMD).
import { EdgeRunError } from '../../engine/errors.js';
import { roundHalfAwayFromZero } from '../reference/int8/fixedpoint.js';

/** A real multiplier as TFLite stores it: value ≈ multiplier · 2^(shift − 31), multiplier in [2^30, 2^31) or 0. */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

const frexpView = new DataView(new ArrayBuffer(8));

/** C frexp for a finite x > 0: [q, e] with x = q · 2^e and q in [0.5, 1). */
export function frexp(x: number): [number, number] {
  let bias = 0;
  if (x < 2 ** -1022) {
    // Subnormal: scale into the normal range first so the exponent field is meaningful.
    x *= 2 ** 64;
    bias = -64;
  }
  frexpView.setFloat64(0, x);
  const hi = frexpView.getUint32(0);
  const e = ((hi >>> 20) & 0x7ff) - 1022;
  // Replace the exponent by the one of 0.5 (1022) to read q.
  frexpView.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [frexpView.getFloat64(0), e + bias];
}

/**
 * TFLite QuantizeMultiplier (quantization_util.cc): q = frexp(m); round q·2^31 half away from
 * zero; q == 2^31 renormalises; shifts below −31 flush to zero. Multipliers ≥ 2^30 would make
 * the kernels' int32 left shift meaningless and are refused.
 */
export function quantizeMultiplier(realMultiplier: number, what = 'multiplier'): QuantizedMultiplier {
  if (!Number.isFinite(realMultiplier) || realMultiplier < 0) {
    throw new EdgeRunError('InvalidArgument', `${what} must be finite and >= 0, got ${realMultiplier}`);
  }
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  let [q, shift] = frexp(realMultiplier);
  let qFixed = roundHalfAwayFromZero(q * 2 ** 31);
  if (qFixed === 2 ** 31) {
    qFixed /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) throw new EdgeRunError('InvalidArgument', `${what} ${realMultiplier} is too large (>= 2^30) for int32 requantization`);
  return { multiplier: qFixed, shift };
}

/** QuantizeMultiplierSmallerThanOneExp: the same, for multipliers < 1 (add/sub). */
export function quantizeMultiplierSmallerThanOne(realMultiplier: number, what = 'multiplier'): QuantizedMultiplier {
  if (!(realMultiplier < 1)) throw new EdgeRunError('InvalidArgument', `${what} must be < 1, got ${realMultiplier}`);
  const q = quantizeMultiplier(realMultiplier, what);
  if (q.shift > 0) throw new EdgeRunError('Internal', `${what}: shift ${q.shift} > 0 for a multiplier < 1`);
  return q;
}

/**
 * Conv / depthwise / per-channel FC (PopulateConvolutionQuantizationParams): the three float32
 * scales widened to double, then input·filter/output in double.
 */
export function convolutionMultiplier(inputScale: number, filterScale: number, outputScale: number): number {
  return (Math.fround(inputScale) * Math.fround(filterScale)) / Math.fround(outputScale);
}

/** Per-tensor FullyConnected (GetQuantizedConvolutionMultipler): input·filter is a float32 product. */
export function fullyConnectedMultiplier(inputScale: number, filterScale: number, outputScale: number): number {
  return Math.fround(Math.fround(inputScale) * Math.fround(filterScale)) / Math.fround(outputScale);
}

/** Quantization of a tensor: real = (q − zeroPoint) · scale. */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

export type QuantDType = 'int8' | 'uint8';

export function dtypeRange(dtype: QuantDType): [number, number] {
  return dtype === 'int8' ? [-128, 127] : [0, 255];
}

/** Fused activations a quantized kernel clamps to (TFLite's fused_activation_function). */
export type QuantActivation = 'none' | 'relu' | 'relu6' | 'reluN1To1';

/**
 * CalculateActivationRangeQuantized (kernel_util.cc): quantize(f) = zp + round(f / scale), with
 * the division in float32 and TfLiteRound (half away from zero), intersected with the dtype range.
 */
export function activationRange(act: QuantActivation | undefined, output: QuantParams, dtype: QuantDType = 'int8'): [number, number] {
  const [qmin, qmax] = dtypeRange(dtype);
  const scale = Math.fround(output.scale);
  const quantize = (f: number) => output.zeroPoint + roundHalfAwayFromZero(Math.fround(f / scale));
  switch (act ?? 'none') {
    case 'none':
      return [qmin, qmax];
    case 'relu':
      return [Math.max(qmin, quantize(0)), qmax];
    case 'relu6':
      return [Math.max(qmin, quantize(0)), Math.min(qmax, quantize(6))];
    case 'reluN1To1':
      return [Math.max(qmin, quantize(-1)), Math.min(qmax, quantize(1))];
    default:
      throw new EdgeRunError('InvalidArgument', `unknown quantized activation '${String(act)}' (none, relu, relu6, reluN1To1)`);
  }
}

/** Throws unless scale is a finite float > 0. */
export function checkScale(scale: unknown, what: string): void {
  if (typeof scale !== 'number' || !Number.isFinite(scale) || !(Math.fround(scale) > 0)) {
    throw new EdgeRunError('InvalidArgument', `${what} must be a finite number > 0, got ${String(scale)}`);
  }
}

/** Throws unless zp is an integer inside the dtype's range. */
export function checkZeroPoint(zp: unknown, dtype: QuantDType, what: string): void {
  const [lo, hi] = dtypeRange(dtype);
  if (typeof zp !== 'number' || !Number.isInteger(zp) || zp < lo || zp > hi) {
    throw new EdgeRunError('InvalidArgument', `${what} must be an integer in [${lo}, ${hi}] for ${dtype}, got ${String(zp)}`);
  }
}

// ---- the WASM kernels' parameter records (wasm/lib/requant.ts, wasm/lib/i8-gemm-4x8.ts) ----

/** Int32 words of the per-lane record of 4 channels (LANE_PARAMS_BYTES / 4). */
export const LANE_PARAMS_WORDS = 24;
/** Int32 words of a per-row record: bias, multiplier, left shift, right shift. */
export const ROW_PARAM_WORDS = 4;

/**
 * Writes the per-lane record of channels [c0, c0+4) at words[at..]: multipliers, 2^left,
 * 2^(31 − right) (as uint32 bits), a mask of right ≥ 1, and 2^30 as int64 where right ≥ 1.
 * Channels past `count` get multiplier 0 (their lanes are padding).
 */
export function writeLaneParams(words: Int32Array, at: number, q: readonly QuantizedMultiplier[], c0: number): void {
  for (let l = 0; l < 4; l++) {
    const p = q[c0 + l] ?? { multiplier: 0, shift: 0 };
    const left = Math.max(p.shift, 0);
    const right = Math.max(-p.shift, 0);
    words[at + l] = p.multiplier;
    words[at + 4 + l] = 2 ** left;
    words[at + 8 + l] = 2 ** (31 - right) | 0;
    words[at + 12 + l] = right >= 1 ? -1 : 0;
    // int64 lanes, little-endian: low word, high word.
    words[at + 16 + 2 * l] = right >= 1 ? 2 ** 30 : 0;
    words[at + 17 + 2 * l] = 0;
  }
}

/** Writes a per-row record (bias, multiplier, left, right) at words[at..]. */
export function writeRowParams(words: Int32Array, at: number, bias: number, q: QuantizedMultiplier): void {
  words[at] = bias;
  words[at + 1] = q.multiplier;
  words[at + 2] = Math.max(q.shift, 0);
  words[at + 3] = Math.max(-q.shift, 0);
}

/**
 * The output side as the WASM kernels take it: zero point and clamp range on the int8 scale,
 * and whether to flip the sign bit on the way out (uint8: everything moves down by 128).
 */
export function wasmOutputParams(zeroPoint: number, range: [number, number], dtype: QuantDType): { zp: number; lo: number; hi: number; flip: number } {
  const shift = dtype === 'uint8' ? 128 : 0;
  return { zp: zeroPoint - shift, lo: range[0] - shift, hi: range[1] - shift, flip: shift ? 1 : 0 };
}
