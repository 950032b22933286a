// The quantization parameters of a convolution (regular or depthwise), as ONNX QLinearConv and
// TFLite CONV_2D / DEPTHWISE_CONV_2D give them, validated and turned into per-output-channel
// multipliers (TFLite PopulateConvolutionQuantizationParams).
import { EdgeRunError } from '../../engine/errors.js';
import { checkDType, checkInt32Array, checkScales, checkZeroPoints, perChannel, type QArray, dtypeOf } from './common.js';
import {
  activationRange, checkScale, checkZeroPoint, convolutionMultiplier, quantizeMultiplier, writeRowParams, ROW_PARAM_WORDS,
  type QuantActivation, type QuantDType, type QuantizedMultiplier,
} from './qparams.js';

/**
 * The quantization of a weighted layer (convolution, depthwise convolution, GEMM): weights per
 * output channel (a GEMM's column) or per tensor, activations per tensor.
 */
export interface QuantizedLayerOptions {
  /** int32 per output channel (scale inputScale·weightScale[oc], zero point 0). */
  bias?: Int32Array;
  /** Per output channel or per tensor. */
  weightScales: number | ArrayLike<number>;
  /** Per output channel or per tensor; default 0 (TFLite's symmetric weights). */
  weightZeroPoints?: number | ArrayLike<number>;
  inputScale: number;
  inputZeroPoint: number;
  inputDType?: QuantDType;
  outputScale: number;
  outputZeroPoint: number;
  outputDType?: QuantDType;
  act?: QuantActivation;
  /** A clamp on the output's integer scale (e.g. a fused Relu/Clip), intersected with act's range. */
  clamp?: [number, number];
}

export type QConvQuantOptions = QuantizedLayerOptions;

export interface ConvQuant {
  wDType: QuantDType;
  inDType: QuantDType;
  outDType: QuantDType;
  zw: number[];
  bias: number[];
  multipliers: QuantizedMultiplier[];
  range: [number, number];
  inputZeroPoint: number;
  outputZeroPoint: number;
}

export function prepareConvQuant(weights: QArray, Cout: number, o: QConvQuantOptions, where: string): ConvQuant {
  if (typeof o !== 'object' || o === null) throw new EdgeRunError('InvalidArgument', `${where}: options with scales and zero points are required`);
  const wDType = dtypeOf(weights, `${where}: weights`);
  const inDType = checkDType(o.inputDType, `${where}: inputDType`);
  const outDType = checkDType(o.outputDType, `${where}: outputDType`);
  checkScale(o.inputScale, `${where}: inputScale`);
  checkScale(o.outputScale, `${where}: outputScale`);
  checkZeroPoint(o.inputZeroPoint, inDType, `${where}: inputZeroPoint`);
  checkZeroPoint(o.outputZeroPoint, outDType, `${where}: outputZeroPoint`);
  const scales = perChannel(o.weightScales, Cout, NaN, `${where}: weightScales`);
  checkScales(scales, `${where}: weightScales`);
  const zw = perChannel(o.weightZeroPoints, Cout, 0, `${where}: weightZeroPoints`);
  checkZeroPoints(zw, wDType, `${where}: weightZeroPoints`);
  const bias = o.bias === undefined ? new Array(Cout).fill(0) : Array.from(checkInt32Array(o.bias, Cout, `${where}: bias`));
  const multipliers = scales.map((s, c) => quantizeMultiplier(convolutionMultiplier(o.inputScale, s, o.outputScale), `${where}: multiplier of output channel ${c}`));
  const range = narrowRange(activationRange(o.act, { scale: o.outputScale, zeroPoint: o.outputZeroPoint }, outDType), o.clamp, `${where}: clamp`);
  return { wDType, inDType, outDType, zw, bias, multipliers, range, inputZeroPoint: o.inputZeroPoint, outputZeroPoint: o.outputZeroPoint };
}

/**
 * Whether the WASM kernels may take the short requantization form (wasm/lib/i8-conv-tile.ts):
 * every channel shifts right by 1 to 30 (multipliers in [2^-31, 0.5)), and every
 * accumulator plus bias stays below 2^30 in magnitude: Σ|w − zw| · max|x − zx| + |bias| per
 * output channel, over the `taps` weights of each channel.
 */
export function boundedAccumulators(weights: QArray, taps: number, q: ConvQuant): boolean {
  if (q.multipliers.some((m) => m.shift > -1 || m.shift < -30)) return false;
  const [xlo, xhi] = q.inDType === 'int8' ? [-128, 127] : [0, 255];
  const xmax = Math.max(q.inputZeroPoint - xlo, xhi - q.inputZeroPoint);
  for (let c = 0; c < q.bias.length; c++) {
    let s = 0;
    for (let k = 0; k < taps; k++) s += Math.abs(weights[c * taps + k] - q.zw[c]);
    if (s * xmax + Math.abs(q.bias[c]) >= 2 ** 30) return false;
  }
  return true;
}

/** `range` ∩ `clamp` (integers); an empty intersection is refused. */
export function narrowRange(range: [number, number], clamp: [number, number] | undefined, what: string): [number, number] {
  if (clamp === undefined) return range;
  if (!Array.isArray(clamp) || clamp.length !== 2 || !clamp.every((v) => Number.isInteger(v))) {
    throw new EdgeRunError('InvalidArgument', `${what} must be two integers [lo, hi], got ${JSON.stringify(clamp)}`);
  }
  const lo = Math.max(range[0], clamp[0]);
  const hi = Math.min(range[1], clamp[1]);
  if (lo > hi) throw new EdgeRunError('InvalidArgument', `${what} [${clamp}] leaves nothing of the range [${range}]`);
  return [lo, hi];
}

/**
 * Per-row records for `rows` channels, padding rows zero: (bias, multiplier, left, right), or for
 * the short requantization form (`bounded`) (bias, multiplier, 2^(right−1), right).
 */
export function rowRecords(q: ConvQuant, rows: number): Int32Array {
  const words = new Int32Array(rows * ROW_PARAM_WORDS);
  for (let c = 0; c < q.multipliers.length; c++) writeRowParams(words, c * ROW_PARAM_WORDS, q.bias[c], q.multipliers[c]);
  return words;
}
