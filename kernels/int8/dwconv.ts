// int8/uint8 depthwise convolution, NCHW (QLinearConv with group = C, TFLite DEPTHWISE_CONV_2D
// after a layout change). Weights are packed once; the input plane is widened per call.
//
// Packed layouts (opaque): WASM builds, 3×3 with strides 1 or 2 and no dilation when the centred
// weights fit [−127, 127] and every multiplier is in [2^-31, 0.5) (wasm/i8-dwconv3x3.ts): per
// output channel 5 pairs of int16 (w − zw) in the kernel's tap pairing, padded to 32 bytes, then
// (bias − zx·Σw, multiplier, right shift). Other windows: per output channel kh rows of
// ceil(kw/2) int16 pairs of (w − zw), then per channel (bias, multiplier, left, right).
// Reference: the raw parameters.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { qdwconvRef } from '../reference/int8/dwconv.js';
import { ArenaOwner, checkDim, checkPositiveDim, dtypeOf, qconvViaArena, qview, windowGeometry, type Geometry, type QArray, type Window2D } from './common.js';
import { prepareConvQuant, rowRecords, type ConvQuant, type QConvQuantOptions } from './conv-params.js';
import { wasmOutputParams, ROW_PARAM_WORDS } from './qparams.js';

export interface QDepthwiseOptions extends QConvQuantOptions, Window2D {
  /** Input channels. Weights are [C·depthMultiplier, 1, kh, kw] (ONNX layout). */
  channels: number;
  depthMultiplier?: number;
}

export class PackedQDepthwise extends ArenaOwner {
  constructor(
    rt: Runtime,
    blocks: number[],
    readonly C: number,
    readonly depthMultiplier: number,
    readonly window: Window2D,
    readonly quant: ConvQuant,
    readonly weightsPtr: number,
    readonly paramsPtr: number,
    /** The raw weights (reference build). */
    readonly raw: QArray | null,
    /** Packed for wasm/i8-dwconv3x3.ts. */
    readonly fast3x3 = false,
  ) {
    super(rt, blocks);
  }
  get Cout(): number {
    return this.C * this.depthMultiplier;
  }
}

export function packQDepthwise(rt: Runtime, weights: QArray, opts: QDepthwiseOptions): PackedQDepthwise {
  const where = 'packQDepthwise';
  if (typeof opts !== 'object' || opts === null) throw new EdgeRunError('InvalidArgument', `${where}: options are required`);
  checkPositiveDim(opts.channels, `${where}: channels`);
  const dm = opts.depthMultiplier ?? 1;
  checkPositiveDim(dm, `${where}: depthMultiplier`);
  dtypeOf(weights, `${where}: weights`);
  // Validate the window on a plane it surely fits, to check kernel/strides/pads early.
  const g = windowGeometry(opts, 1 << 20, 1 << 20, where);
  const Cout = opts.channels * dm;
  const taps = g.kh * g.kw;
  if (weights.length !== Cout * taps) {
    throw new EdgeRunError('ShapeMismatch', `${where}: weights have ${weights.length} elements, expected C·depthMultiplier×kh×kw = ${Cout}×${g.kh}×${g.kw} = ${Cout * taps}`);
  }
  const q = prepareConvQuant(weights, Cout, opts, where);
  const window: Window2D = { kernel: [g.kh, g.kw], strides: [g.sh, g.sw], dilations: [g.dh, g.dw], pads: [g.padT, g.padL, g.padB, g.padR] };
  if (!rt.wasm) return new PackedQDepthwise(rt, [], opts.channels, dm, window, q, 0, 0, weights.slice());
  const fast = pack3x3(rt, weights, g, q, Cout, where);
  if (fast) return new PackedQDepthwise(rt, [fast], opts.channels, dm, window, q, fast, 0, null, true);
  const kwp = (g.kw + 1) >> 1;
  const wWords = Cout * g.kh * kwp;
  const ptr = rt.arena.alloc(wWords * 4 + Cout * ROW_PARAM_WORDS * 4, `${where}: packed weights`);
  const halves = rt.arena.i16(ptr, wWords * 2);
  halves.fill(0);
  for (let oc = 0; oc < Cout; oc++) {
    for (let ky = 0; ky < g.kh; ky++) {
      for (let kx = 0; kx < g.kw; kx++) halves[(oc * g.kh + ky) * kwp * 2 + kx] = weights[(oc * g.kh + ky) * g.kw + kx] - q.zw[oc];
    }
  }
  const paramsPtr = ptr + wWords * 4;
  rt.arena.i32(paramsPtr, Cout * ROW_PARAM_WORDS).set(rowRecords(q, Cout));
  return new PackedQDepthwise(rt, [ptr], opts.channels, dm, window, q, ptr, paramsPtr, null);
}

/** Int32 words per output channel of the 3×3 layout (DW3_CHANNEL_BYTES in wasm/i8-dwconv3x3.ts). */
const DW3_WORDS = 12;

/** Tap pairs (tap = ky·3 + kx; 9: none) of wasm/i8-dwconv3x3.ts, per stride. */
const PAIRS: Record<number, [number, number][]> = {
  1: [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]],
  2: [[0, 1], [3, 4], [6, 7], [2, 5], [8, 9]],
};

/**
 * The 3×3 layout (see the top of the file) at a new arena block, or null when the window, the
 * weights or the multipliers do not fit the kernel: it requantizes in the short form of
 * wasm/lib/i8-conv-tile.ts, exact when |acc| < 2^30 and the shift is a right shift of 1 to 30.
 */
function pack3x3(rt: Runtime, weights: QArray, g: Geometry, q: ConvQuant, Cout: number, where: string): number | null {
  if (g.kh !== 3 || g.kw !== 3 || g.dh !== 1 || g.dw !== 1 || g.sh !== g.sw || (g.sh !== 1 && g.sh !== 2)) return null;
  if (q.multipliers.some((m) => m.shift > -1 || m.shift < -30)) return null;
  const wc = Int32Array.from(weights, (v, i) => v - q.zw[Math.floor(i / 9)]);
  if (wc.some((v) => v < -127 || v > 127)) return null;
  // The kernel reads int8 inputs: uint8 ones are flipped, their zero point with them.
  const zx = q.inDType === 'uint8' ? q.inputZeroPoint - 128 : q.inputZeroPoint;
  const bias = new Array<number>(Cout);
  for (let c = 0; c < Cout; c++) {
    let sum = 0;
    let abs = 0;
    for (let t = 0; t < 9; t++) {
      sum += wc[c * 9 + t];
      abs += Math.abs(wc[c * 9 + t]);
    }
    bias[c] = q.bias[c] - zx * sum;
    // Σ x·w with |x| ≤ 128, plus the bias.
    if (abs * 128 + Math.abs(bias[c]) >= 2 ** 30) return null;
  }
  const ptr = rt.arena.alloc(Cout * DW3_WORDS * 4, `${where}: packed weights`);
  const words = rt.arena.i32(ptr, Cout * DW3_WORDS);
  words.fill(0);
  const halves = rt.arena.i16(ptr, Cout * DW3_WORDS * 2);
  const pairs = PAIRS[g.sh];
  for (let c = 0; c < Cout; c++) {
    pairs.forEach(([a, b], i) => {
      halves[c * DW3_WORDS * 2 + 2 * i] = wc[c * 9 + a];
      halves[c * DW3_WORDS * 2 + 2 * i + 1] = b < 9 ? wc[c * 9 + b] : 0;
    });
    const m = q.multipliers[c];
    words.set([bias[c], m.multiplier, -m.shift], c * DW3_WORDS + 8);
  }
  return ptr;
}

/** Scratch of the 3×3 kernel: the zx-padded int8 plane it reads every tap of every pixel from. */
function plane3x3Size(g: Geometry): [number, number] {
  const ow8 = Math.ceil(g.OW / 8) * 8;
  const qh = (g.OH - 1) * g.sh + 3;
  const qw = Math.max(g.padL + g.W, g.sh === 1 ? ow8 + 2 : 2 * ow8 + 2) + 16;
  return [qh, qw];
}

/** Scratch int16 plane (rows, columns) the WASM kernel pads each input channel into. */
function planeSize(g: Geometry): [number, number] {
  const kwp = (g.kw + 1) >> 1;
  const qh = Math.max((g.OH - 1) * g.sh + (g.kh - 1) * g.dh + 1, g.padT + g.H);
  const qw = Math.max(Math.ceil(g.OW / 8) * 8 * g.sw + 2 * kwp + 16, (g.OW - 1) * g.sw + (g.kw - 1) * g.dw + 1, g.padL + g.W);
  return [qh, qw];
}

/** Output spatial size for an H×W input. */
export function qdepthwiseOutputSize(packed: PackedQDepthwise, H: number, W: number): [number, number] {
  const g = windowGeometry(packed.window, H, W, 'qdepthwiseOutputSize');
  return [g.OH, g.OW];
}

/** x: N×C×H×W at xPtr → N×(C·dm)×OH×OW at outPtr (dtypes as packed). */
export function qdepthwisePtr(rt: Runtime, N: number, H: number, W: number, xPtr: number, packed: PackedQDepthwise, outPtr: number): void {
  const where = 'qdepthwisePtr';
  if (!(packed instanceof PackedQDepthwise)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from packQDepthwise`);
  packed.checkUsable(rt, where);
  checkDim(N, `${where}: N`);
  checkPositiveDim(H, `${where}: H`);
  checkPositiveDim(W, `${where}: W`);
  const g = windowGeometry(packed.window, H, W, where);
  const { C, depthMultiplier: dm, quant: q } = packed;
  const inSize = C * H * W;
  const outSize = C * dm * g.OH * g.OW;
  if (N === 0) return;
  rt.arena.check(xPtr, N * inSize, `${where}: x`);
  rt.arena.check(outPtr, N * outSize, `${where}: out`);
  if (!rt.wasm) {
    for (let n = 0; n < N; n++) {
      const x = qview(rt, q.inDType, xPtr + n * inSize, inSize);
      const out = qview(rt, q.outDType, outPtr + n * outSize, outSize);
      qdwconvRef(x, C, dm, packed.raw!, g, {
        zx: q.inputZeroPoint, zw: q.zw, bias: q.bias, multipliers: q.multipliers, outputZeroPoint: q.outputZeroPoint, actMin: q.range[0], actMax: q.range[1],
      }, out);
    }
    return;
  }
  if (packed.fast3x3) {
    const [qh, qw] = plane3x3Size(g);
    const scratch = rt.arena.alloc(qh * qw + 16, `${where}: padded plane`);
    try {
      const o = wasmOutputParams(q.outputZeroPoint, q.range, q.outDType);
      for (let n = 0; n < N; n++) {
        rt.wasm.i8_dwconv3x3(
          xPtr + n * inSize, C, H, W, q.inputZeroPoint, q.inDType === 'uint8' ? 1 : 0, dm,
          packed.weightsPtr, outPtr + n * outSize, g.OH, g.OW, g.sh, g.padT, g.padL, o.zp, o.lo, o.hi, o.flip, scratch, qh, qw,
        );
      }
    } finally {
      rt.arena.free(scratch);
    }
    return;
  }
  const [qh, qw] = planeSize(g);
  const scratch = rt.arena.alloc(qh * qw * 2, `${where}: padded plane`);
  try {
    const o = wasmOutputParams(q.outputZeroPoint, q.range, q.outDType);
    for (let n = 0; n < N; n++) {
      rt.wasm.i8_dwconv(
        xPtr + n * inSize, C, H, W, q.inputZeroPoint, q.inDType === 'uint8' ? 1 : 0, dm,
        packed.weightsPtr, packed.paramsPtr, outPtr + n * outSize, g.OH, g.OW,
        g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL, o.zp, o.lo, o.hi, o.flip, scratch, qh, qw,
      );
    }
  } finally {
    rt.arena.free(scratch);
  }
}

/** Convenience: x is N×C×H×W (dtype as packed); returns N×(C·dm)×OH×OW. */
export function qdepthwise(rt: Runtime, x: QArray, dims: [number, number, number, number], packed: PackedQDepthwise): QArray {
  const where = 'qdepthwise';
  if (!(packed instanceof PackedQDepthwise)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from packQDepthwise`);
  packed.checkUsable(rt, where);
  return qconvViaArena(rt, where, x, dims, packed, packed.C, (H, W) => qdepthwiseOutputSize(packed, H, W), (N, H, W, xPtr, oPtr) =>
    qdepthwisePtr(rt, N, H, W, xPtr, packed, oPtr),
  );
}
