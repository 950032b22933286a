// Quantization parameters (TFLite's int8 scheme, which onnxruntime's S8S8 QDQ default matches):
//  - activations: per tensor, asymmetric int8: scale = (max − min) / 255 over a range widened to
//    contain 0, zero point = round(−128 − min / scale), so real 0 is exactly representable;
//  - weights: per output channel, symmetric int8 in [−127, 127], zero point 0;
//  - biases: int32 at scale input_scale × weight_scale[c], zero point 0.
// All in float32 like the runtimes that will read them.
import { EdgeRunError } from '../errors.js';
import { roundHalfEven } from '../backends/cpu/ops/quant-arith.js';

const fr = Math.fround;
/** Smallest normal float32: a scale under it would make requantization multipliers vanish. */
const MIN_SCALE = 2 ** -126;

export interface ActivationParams {
  scale: number;
  zeroPoint: number;
  /** The range the parameters were made from (after widening to contain 0). */
  min: number;
  max: number;
  /** The range was empty (constant zero): the fallback scale was used. */
  fallback: boolean;
}

/**
 * Asymmetric int8 parameters for a real range. A range that is empty after widening to contain 0
 * (a tensor that was 0 on every calibration sample) — or so narrow its scale would be subnormal —
 * gets the fallback scale 1 with zero point 0 (onnxruntime's choice): 0 stays exact, and values
 * that show up later keep their integer part up to ±127 instead of saturating at a tiny range.
 */
export function activationParams(min: number, max: number): ActivationParams {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new EdgeRunError('InvalidArgument', `activation range [${min}, ${max}] is not a finite, ordered range`);
  }
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = fr(fr(hi - lo) / 255);
  if (!(scale >= MIN_SCALE)) return { scale: 1, zeroPoint: 0, min: lo, max: hi, fallback: true };
  const zp = roundHalfEven(fr(-128 - fr(lo / scale)));
  return { scale, zeroPoint: Math.max(-128, Math.min(127, zp)), min: lo, max: hi, fallback: false };
}

/** The real values a per-tensor int8 quantization can represent. */
export function representableRange(p: { scale: number; zeroPoint: number }): [number, number] {
  return [fr(p.scale * (-128 - p.zeroPoint)), fr(p.scale * (127 - p.zeroPoint))];
}

/** Outer × channels × inner split of a tensor around `axis`. */
function split(dims: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i];
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  return [outer, dims[axis], inner];
}

export interface QuantizedWeights {
  data: Int8Array;
  /** One per channel along `axis` (or a single one per tensor). */
  scales: Float32Array;
  /** Channels whose weights were all zero (scale 1 there). */
  zeroChannels: number;
}

/**
 * Symmetric int8 weights, one scale per channel along `axis` (axis −1: one scale for the tensor):
 * scale = max|w| / qmax, q = round_half_even(w / scale) in [−qmax, qmax]; qmax is 127, or 64 for
 * onnxruntime's reduce_range (7-bit weights, which its AVX2 kernels without VNNI need: their
 * u8×s8 pair sums saturate 16 bits with full-range weights). An all-zero channel gets
 * scale 1 (any scale is exact there). Non-finite weights are refused.
 */
export function quantizeWeights(w: Float32Array, dims: readonly number[], axis: number, what: string, qmax = 127): QuantizedWeights {
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new EdgeRunError('InvalidArgument', `${what}: element ${i} is ${w[i]}; weights must be finite to be quantized`);
  }
  const [outer, channels, inner] = axis < 0 ? [1, 1, w.length] : split(dims, axis);
  const scales = new Float32Array(channels);
  let zeroChannels = 0;
  for (let c = 0; c < channels; c++) {
    let amax = 0;
    for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) amax = Math.max(amax, Math.abs(w[(o * channels + c) * inner + k]));
    const s = fr(amax / qmax);
    if (s >= MIN_SCALE) scales[c] = s;
    else {
      scales[c] = 1;
      zeroChannels++;
    }
  }
  const data = new Int8Array(w.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const s = scales[c];
      for (let k = 0; k < inner; k++) {
        const i = (o * channels + c) * inner + k;
        data[i] = Math.max(-qmax, Math.min(qmax, roundHalfEven(fr(w[i] / s))));
      }
    }
  }
  return { data, scales, zeroChannels };
}

export interface QuantizedBias {
  data: Int32Array;
  scales: Float32Array;
  /** Elements that did not fit int32 and were saturated (reported; only degenerate scales cause it). */
  saturated: number;
}

/** int32 bias at scale input_scale × weight_scale[c]. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: Float32Array): QuantizedBias {
  const n = b.length;
  const scales = new Float32Array(n);
  const data = new Int32Array(n);
  let saturated = 0;
  for (let c = 0; c < n; c++) {
    const s = fr(inputScale * weightScales[weightScales.length === 1 ? 0 : c]);
    scales[c] = s;
    const q = roundHalfEven(fr(b[c] / s));
    if (q > 2147483647 || q < -2147483648 || !Number.isFinite(q)) saturated++;
    data[c] = Math.max(-2147483648, Math.min(2147483647, Number.isFinite(q) ? q : 0));
  }
  return { data, scales, saturated };
}
