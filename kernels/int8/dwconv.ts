// int8/uint8 depthwise convolution, NCHW (QLinearConv with group = C, TFLite DEPTHWISE_CONV_2D
// after a layout change). Weights are packed once; the input plane is widened per call.
//
// Packed layouts (opaque): WASM builds: per output channel kh rows of ceil(kw/2) int16 pairs of
// (w − zw), then per channel (bias, multiplier, left, right). Reference: the raw parameters.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { qdwconvRef } from '../reference/int8/dwconv.js';
import { ArenaOwner, checkDim, checkPositiveDim, dtypeOf, newQArray, qview, windowGeometry, type Geometry, type QArray, type Window2D } from './common.js';
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
  const [N, C, H, W] = dims;
  if (C !== packed.C) throw new EdgeRunError('ShapeMismatch', `${where}: input has ${C} channels, the weights expect ${packed.C}`);
  if (dtypeOf(x, `${where}: x`) !== packed.quant.inDType) throw new EdgeRunError('DTypeMismatch', `${where}: x is ${dtypeOf(x, where)} but the weights were packed for ${packed.quant.inDType} inputs`);
  if (x.length !== N * C * H * W) throw new EdgeRunError('ShapeMismatch', `${where}: x has ${x.length} elements, dims [${dims.join(', ')}] need ${N * C * H * W}`);
  const [OH, OW] = qdepthwiseOutputSize(packed, H, W);
  const out = newQArray(packed.quant.outDType, N * packed.Cout * OH * OW);
  const xPtr = rt.arena.alloc(x.length, `${where}: x`);
  let oPtr = -1;
  try {
    oPtr = rt.arena.alloc(out.length, `${where}: out`);
    qview(rt, packed.quant.inDType, xPtr, x.length).set(x);
    qdepthwisePtr(rt, N, H, W, xPtr, packed, oPtr);
    out.set(qview(rt, packed.quant.outDType, oPtr, out.length));
  } finally {
    if (oPtr >= 0) rt.arena.free(oPtr);
    rt.arena.free(xPtr);
  }
  return out;
}
