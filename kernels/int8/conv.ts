// int8/uint8 convolution, NCHW (ONNX QLinearConv; TFLite CONV_2D after a layout change), with
// groups, strides, dilations and pads; out-of-image taps contribute nothing. Runs on the int8
// GEMM tile with per-output-channel requantization (wasm/i8-conv.ts). Depthwise convolutions
// (group = C) are faster through kernels/int8/dwconv.ts.
//
// Packed layouts (opaque): WASM builds: per group, ceil(CoutG/4) strips of 4 output channels ×
// kp k-pairs of int16 (w − zw), then per group 4·ceil(CoutG/4) (bias, multiplier, left, right)
// records. Reference: the raw weights.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { qconvRef } from '../reference/int8/conv.js';
import { ArenaOwner, checkDim, checkPositiveDim, dtypeOf, qconvViaArena, qview, windowGeometry, type QArray, type Window2D } from './common.js';
import { boundedAccumulators, prepareConvQuant, type ConvQuant, type QConvQuantOptions } from './conv-params.js';
import { wasmOutputParams, writeRowParams, ROW_PARAM_WORDS } from './qparams.js';

export interface QConvOptions extends QConvQuantOptions, Window2D {
  /** Input channels (all groups). Weights are [Cout, Cin/group, kh, kw] (ONNX layout). */
  inChannels: number;
  outChannels: number;
  group?: number;
}

/** Panel bytes per block of pixels: the block's im2col stays in L2 while every channel strip passes. */
const PANEL_BLOCK_BYTES = 192 * 1024;

export class PackedQConv extends ArenaOwner {
  constructor(
    rt: Runtime,
    blocks: number[],
    readonly Cin: number,
    readonly Cout: number,
    readonly group: number,
    readonly window: Window2D,
    readonly quant: ConvQuant,
    readonly weightsPtr: number,
    readonly paramsPtr: number,
    /** Bytes of one group's strips and of one group's records. */
    readonly groupWeightBytes: number,
    readonly groupParamBytes: number,
    readonly raw: QArray | null,
    /** Accumulators provably small: the kernel's short requantization form is exact. */
    readonly bounded: boolean,
  ) {
    super(rt, blocks);
  }
}

export function packQConv(rt: Runtime, weights: QArray, opts: QConvOptions): PackedQConv {
  const where = 'packQConv';
  if (typeof opts !== 'object' || opts === null) throw new EdgeRunError('InvalidArgument', `${where}: options are required`);
  checkPositiveDim(opts.inChannels, `${where}: inChannels`);
  checkPositiveDim(opts.outChannels, `${where}: outChannels`);
  const group = opts.group ?? 1;
  checkPositiveDim(group, `${where}: group`);
  const { inChannels: Cin, outChannels: Cout } = opts;
  if (Cin % group !== 0 || Cout % group !== 0) {
    throw new EdgeRunError('ShapeMismatch', `${where}: group ${group} must divide inChannels ${Cin} and outChannels ${Cout}`);
  }
  dtypeOf(weights, `${where}: weights`);
  const g = windowGeometry(opts, 1 << 20, 1 << 20, where);
  const cinG = Cin / group;
  const coutG = Cout / group;
  const K = cinG * g.kh * g.kw;
  if (weights.length !== Cout * K) {
    throw new EdgeRunError('ShapeMismatch', `${where}: weights have ${weights.length} elements, expected Cout×(Cin/group)×kh×kw = ${Cout}×${cinG}×${g.kh}×${g.kw} = ${Cout * K}`);
  }
  const q = prepareConvQuant(weights, Cout, opts, where);
  const window: Window2D = { kernel: [g.kh, g.kw], strides: [g.sh, g.sw], dilations: [g.dh, g.dw], pads: [g.padT, g.padL, g.padB, g.padR] };
  if (!rt.wasm) return new PackedQConv(rt, [], Cin, Cout, group, window, q, 0, 0, 0, 0, weights.slice(), false);
  const kp = (K + 1) >> 1;
  const strips = Math.ceil(coutG / 4);
  const gW = strips * kp * 16;
  const gP = strips * 4 * ROW_PARAM_WORDS * 4;
  const ptr = rt.arena.alloc(group * (gW + gP), `${where}: packed weights`);
  const halves = rt.arena.i16(ptr, (group * gW) / 2);
  halves.fill(0);
  const words = rt.arena.i32(ptr + group * gW, (group * gP) / 4);
  words.fill(0);
  const bounded = boundedAccumulators(weights, K, q);
  for (let gi = 0; gi < group; gi++) {
    for (let r = 0; r < coutG; r++) {
      const oc = gi * coutG + r;
      const base = gi * (gW / 2) + (r >> 2) * kp * 8 + (r & 3) * 2;
      for (let k = 0; k < K; k++) halves[base + (k >> 1) * 8 + (k & 1)] = weights[oc * K + k] - q.zw[oc];
      const at = (gi * strips * 4 + r) * ROW_PARAM_WORDS;
      writeRowParams(words, at, q.bias[oc], q.multipliers[oc]);
      if (bounded) words[at + 2] = 2 ** (-q.multipliers[oc].shift - 1);
    }
  }
  return new PackedQConv(rt, [ptr], Cin, Cout, group, window, q, ptr, ptr + group * gW, gW, gP, null, bounded);
}

export function qconvOutputSize(packed: PackedQConv, H: number, W: number): [number, number] {
  const g = windowGeometry(packed.window, H, W, 'qconvOutputSize');
  return [g.OH, g.OW];
}

/** x: N×Cin×H×W at xPtr → N×Cout×OH×OW at outPtr (dtypes as packed). */
export function qconvPtr(rt: Runtime, N: number, H: number, W: number, xPtr: number, packed: PackedQConv, outPtr: number): void {
  const where = 'qconvPtr';
  if (!(packed instanceof PackedQConv)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from packQConv`);
  packed.checkUsable(rt, where);
  checkDim(N, `${where}: N`);
  checkPositiveDim(H, `${where}: H`);
  checkPositiveDim(W, `${where}: W`);
  const g = windowGeometry(packed.window, H, W, where);
  const { Cin, Cout, group, quant: q } = packed;
  const inSize = Cin * H * W;
  const outSize = Cout * g.OH * g.OW;
  if (N === 0) return;
  rt.arena.check(xPtr, N * inSize, `${where}: x`);
  rt.arena.check(outPtr, N * outSize, `${where}: out`);
  if (!rt.wasm) {
    for (let n = 0; n < N; n++) {
      qconvRef(qview(rt, q.inDType, xPtr + n * inSize, inSize), Cin, Cout, group, packed.raw!, g, {
        zx: q.inputZeroPoint, zw: q.zw, bias: q.bias, multipliers: q.multipliers, outputZeroPoint: q.outputZeroPoint, actMin: q.range[0], actMax: q.range[1],
      }, qview(rt, q.outDType, outPtr + n * outSize, outSize));
    }
    return;
  }
  const cinG = Cin / group;
  const coutG = Cout / group;
  const kp = (cinG * g.kh * g.kw + 1) >> 1;
  const nb = Math.max(1, Math.min(Math.ceil((g.OH * g.OW) / 8), Math.floor(PANEL_BLOCK_BYTES / (kp * 32))));
  const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padT === 0 && g.padL === 0 && g.padB === 0 && g.padR === 0;
  // Panels, then (im2col convolutions) the block's tap bytes, K rows of nb·8.
  const scratch = rt.arena.alloc(nb * kp * 32 + (pointwise ? 0 : cinG * g.kh * g.kw * nb * 8), `${where}: im2col panels`);
  try {
    const o = wasmOutputParams(q.outputZeroPoint, q.range, q.outDType);
    const planeIn = H * W;
    const planeOut = g.OH * g.OW;
    // One call per group: the kernel walks the N images itself.
    for (let gi = 0; gi < group; gi++) {
      rt.wasm.i8_conv(
        N, xPtr + gi * cinG * planeIn, inSize, cinG, H, W, q.inputZeroPoint, q.inDType === 'uint8' ? 1 : 0,
        packed.weightsPtr + gi * packed.groupWeightBytes, packed.paramsPtr + gi * packed.groupParamBytes, coutG,
        outPtr + gi * coutG * planeOut, outSize, g.OH, g.OW,
        g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL, g.padB, g.padR, o.zp, o.lo, o.hi, o.flip, scratch, nb, packed.bounded ? 1 : 0,
      );
    }
  } finally {
    rt.arena.free(scratch);
  }
}

/** Convenience: x is N×Cin×H×W (dtype as packed); returns N×Cout×OH×OW. */
export function qconv(rt: Runtime, x: QArray, dims: [number, number, number, number], packed: PackedQConv): QArray {
  const where = 'qconv';
  if (!(packed instanceof PackedQConv)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from packQConv`);
  packed.checkUsable(rt, where);
  return qconvViaArena(rt, where, x, dims, packed, packed.Cin, (H, W) => qconvOutputSize(packed, H, W), (N, H, W, xPtr, oPtr) =>
    qconvPtr(rt, N, H, W, xPtr, packed, oPtr),
  );
}
