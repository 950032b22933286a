// Depthwise 2-D convolution, NCHW float32 (ONNX Conv with group = input channels).
// Weights are packed once (packDepthwiseF32); the pointer API runs on arena addresses, the
// convenience API copies Float32Arrays in and out.
import { EdgeRunError } from '../engine/errors.js';
import { encodeActivation, type Activation } from './activation.js';
import type { Runtime } from './runtime.js';
import { depthwiseConv2dReference } from './reference/dwconv.js';

export interface PackedDepthwiseF32 {
  /** Output channels (input channels × depth multiplier). */
  readonly channels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  /** Arena address of the packed block: per channel (1 + kH*kW) vectors of 4 equal floats, bias first. */
  readonly ptr: number;
  readonly floats: number;
}

export interface DepthwiseConv2dOptions {
  /** [sh, sw], default [1, 1]. */
  strides?: readonly number[];
  /** [top, left, bottom, right], default zeros. */
  pads?: readonly number[];
  /** [dh, dw], default [1, 1]. */
  dilations?: readonly number[];
  activation?: Activation;
}

interface Geometry {
  N: number; C: number; H: number; W: number; mult: number;
  strides: [number, number]; pads: [number, number, number, number]; dilations: [number, number];
  outDims: [number, number, number, number];
}

const WHERE = 'depthwiseConv2d';

function intList(v: readonly number[] | undefined, name: string, len: number, min: number, dflt: number): number[] {
  if (v === undefined) return new Array<number>(len).fill(dflt);
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new EdgeRunError('InvalidArgument', `${WHERE}: ${name} must be an array of ${len} integers`);
  if (v.length !== len) throw new EdgeRunError('InvalidArgument', `${WHERE}: ${name} must have ${len} entries, got ${v.length}`);
  for (const x of v) {
    if (!Number.isInteger(x) || x < min) {
      throw new EdgeRunError('InvalidArgument', `${WHERE}: ${name} must be integers >= ${min}, got [${Array.from(v).join(', ')}]`);
    }
  }
  return Array.from(v);
}

function dimsList(v: readonly number[], name: string, len: number): number[] {
  if (!Array.isArray(v) || v.length !== len || !v.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new EdgeRunError('ShapeMismatch', `${WHERE}: ${name} must be ${len} positive integers, got [${String(v)}]`);
  }
  return v;
}

/** Validates everything about a call and computes the output dims. */
function geometry(inputDims: readonly number[], packed: PackedDepthwiseF32, opts: DepthwiseConv2dOptions): Geometry {
  const [N, C, H, W] = dimsList(inputDims as number[], 'input dims [N, C, H, W]', 4);
  if (packed.channels % C !== 0) {
    throw new EdgeRunError('ShapeMismatch', `${WHERE}: input has ${C} channels but the weights have ${packed.channels} output channels (not a multiple: group must equal the input channels)`);
  }
  const strides = intList(opts.strides, 'strides', 2, 1, 1) as [number, number];
  const dilations = intList(opts.dilations, 'dilations', 2, 1, 1) as [number, number];
  const pads = intList(opts.pads, 'pads', 4, 0, 0) as [number, number, number, number];
  const out = (size: number, k: number, s: number, d: number, p0: number, p1: number, axis: string): number => {
    const extent = (k - 1) * d + 1;
    if (size + p0 + p1 < extent) {
      throw new EdgeRunError('ShapeMismatch', `${WHERE}: kernel ${axis} extent ${extent} is larger than the padded input ${size + p0 + p1}`);
    }
    return Math.floor((size + p0 + p1 - extent) / s) + 1;
  };
  const OH = out(H, packed.kernelH, strides[0], dilations[0], pads[0], pads[2], 'height');
  const OW = out(W, packed.kernelW, strides[1], dilations[1], pads[1], pads[3], 'width');
  return { N, C, H, W, mult: packed.channels / C, strides, pads, dilations, outDims: [N, packed.channels, OH, OW] };
}

/** Output dims of a depthwise convolution, or an EdgeRunError naming the bad argument. */
export function depthwiseOutputDims(inputDims: readonly number[], packed: PackedDepthwiseF32, opts: DepthwiseConv2dOptions = {}): number[] {
  return geometry(inputDims, packed, opts).outDims;
}

/** Pack weight [C*mult, 1, kH, kW] and optional bias [C*mult] into the arena. */
export function packDepthwiseF32(
  rt: Runtime,
  weight: Float32Array,
  dims: readonly number[],
  opts: { bias?: Float32Array } = {},
): PackedDepthwiseF32 {
  if (!Array.isArray(dims) || dims.length !== 4 || !dims.every((d) => Number.isInteger(d) && d >= 1) || dims[1] !== 1) {
    throw new EdgeRunError('ShapeMismatch', `${WHERE}: weight dims must be [channels, 1, kH, kW], got [${String(dims)}]`);
  }
  const [M, , kH, kW] = dims;
  const taps = kH * kW;
  if (!(weight instanceof Float32Array) || weight.length !== M * taps) {
    throw new EdgeRunError('ShapeMismatch', `${WHERE}: weight has ${weight?.length} values, dims [${dims.join(', ')}] need ${M * taps}`);
  }
  const bias = opts.bias;
  if (bias !== undefined && (!(bias instanceof Float32Array) || bias.length !== M)) {
    throw new EdgeRunError('ShapeMismatch', `${WHERE}: bias has ${bias?.length} values, expected ${M} (one per output channel)`);
  }
  const floats = M * (1 + taps) * 4;
  const ptr = rt.arena.alloc(floats * 4, 'depthwise weights');
  const dst = rt.arena.f32(ptr, floats);
  for (let m = 0; m < M; m++) {
    const base = m * (1 + taps) * 4;
    dst.fill(bias ? bias[m] : 0, base, base + 4);
    for (let t = 0; t < taps; t++) dst.fill(weight[m * taps + t], base + (1 + t) * 4, base + (2 + t) * 4);
  }
  return { channels: M, kernelH: kH, kernelW: kW, ptr, floats };
}

export function freePackedDepthwiseF32(rt: Runtime, packed: PackedDepthwiseF32): void {
  rt.arena.free(packed.ptr);
}

function checkPacked(rt: Runtime, packed: PackedDepthwiseF32): void {
  const ok = packed && Number.isInteger(packed.channels) && packed.channels >= 1 && Number.isInteger(packed.kernelH) && packed.kernelH >= 1
    && Number.isInteger(packed.kernelW) && packed.kernelW >= 1 && packed.floats === packed.channels * (1 + packed.kernelH * packed.kernelW) * 4;
  if (!ok) throw new EdgeRunError('InvalidArgument', `${WHERE}: packed weights are not a PackedDepthwiseF32 from packDepthwiseF32`);
  rt.arena.check(packed.ptr, packed.floats * 4, `${WHERE} packed weights`);
}

// One scratch block per runtime (padded row ring of the WASM kernel), grown on demand and kept:
// allocating per call could grow memory, and so detach the caller's views, on every call.
const scratchBlocks = new WeakMap<Runtime, { ptr: number; bytes: number }>();

function scratchFor(rt: Runtime, bytes: number): number {
  const have = scratchBlocks.get(rt);
  if (have && have.bytes >= bytes) return have.ptr;
  if (have) rt.arena.free(have.ptr);
  const ptr = rt.arena.alloc(bytes, `${WHERE} scratch`);
  scratchBlocks.set(rt, { ptr, bytes });
  return ptr;
}

/** The reference runtime's path: unpack the arena block into plain arrays for the oracle. */
function runReference(rt: Runtime, inputPtr: number, packed: PackedDepthwiseF32, outputPtr: number, g: Geometry, act: Activation | undefined): void {
  const { N, C, H, W } = g;
  const M = packed.channels;
  const taps = packed.kernelH * packed.kernelW;
  const src = rt.arena.f32(packed.ptr, packed.floats);
  const weight = new Float32Array(M * taps);
  const bias = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    bias[m] = src[m * (1 + taps) * 4];
    for (let t = 0; t < taps; t++) weight[m * taps + t] = src[(m * (1 + taps) + 1 + t) * 4];
  }
  const [, , OH, OW] = g.outDims;
  depthwiseConv2dReference(
    rt.arena.f32(inputPtr, N * C * H * W), [N, C, H, W], weight, [M, 1, packed.kernelH, packed.kernelW], bias,
    { strides: g.strides, pads: g.pads, dilations: g.dilations, activation: act }, rt.arena.f32(outputPtr, N * M * OH * OW),
  );
}

/**
 * Pointer API: input [N, C, H, W] at inputPtr, output [N, C*mult, OH, OW] at outputPtr (both
 * arena addresses). Returns the output dims. The WASM builds keep one scratch block per runtime
 * (a few padded rows), allocated on first use and grown when a wider input needs it: that
 * allocation can grow memory, so make views after the call, as always.
 */
export function depthwiseConv2dF32Ptr(
  rt: Runtime,
  inputPtr: number,
  inputDims: readonly number[],
  packed: PackedDepthwiseF32,
  outputPtr: number,
  opts: DepthwiseConv2dOptions = {},
): number[] {
  checkPacked(rt, packed);
  const g = geometry(inputDims, packed, opts);
  const [code, p0, p1] = encodeActivation(opts.activation, WHERE);
  const { N, C, H, W } = g;
  const [, M, OH, OW] = g.outDims;
  rt.arena.check(inputPtr, N * C * H * W * 4, `${WHERE} input`);
  rt.arena.check(outputPtr, N * M * OH * OW * 4, `${WHERE} output`);
  if (!rt.wasm) {
    runReference(rt, inputPtr, packed, outputPtr, g, opts.activation);
    return g.outDims;
  }
  const wasm = rt.wasm;
  const scratch = scratchFor(rt, wasm.dwconv_scratch_bytes(W, packed.kernelH, packed.kernelW, g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], g.pads[1], OW));
  wasm.dwconv_f32(
    inputPtr, packed.ptr, outputPtr, scratch, N, C, g.mult, H, W, packed.kernelH, packed.kernelW,
    g.strides[0], g.strides[1], g.dilations[0], g.dilations[1], g.pads[0], g.pads[1], OH, OW, code, p0, p1,
  );
  return g.outDims;
}

/** Convenience API over Float32Arrays (copies in and out). */
export function depthwiseConv2dF32(
  rt: Runtime,
  input: Float32Array,
  inputDims: readonly number[],
  packed: PackedDepthwiseF32,
  opts: DepthwiseConv2dOptions = {},
): { data: Float32Array; dims: number[] } {
  const dims = depthwiseOutputDims(inputDims, packed, opts);
  const inCount = inputDims[0] * inputDims[1] * inputDims[2] * inputDims[3];
  if (!(input instanceof Float32Array) || input.length !== inCount) {
    throw new EdgeRunError('ShapeMismatch', `${WHERE}: input has ${input?.length} values, dims [${inputDims.join(', ')}] need ${inCount}`);
  }
  const outCount = dims[0] * dims[1] * dims[2] * dims[3];
  const inPtr = rt.arena.alloc(inCount * 4, `${WHERE} input`);
  let outPtr = -1;
  try {
    outPtr = rt.arena.alloc(outCount * 4, `${WHERE} output`);
    rt.arena.f32(inPtr, inCount).set(input);
    depthwiseConv2dF32Ptr(rt, inPtr, inputDims, packed, outPtr, opts);
    return { data: rt.arena.f32(outPtr, outCount).slice(), dims };
  } finally {
    rt.arena.free(inPtr);
    if (outPtr >= 0) rt.arena.free(outPtr);
  }
}
