// NCHW 2-D convolution (ONNX Conv semantics: strides, asymmetric pads, dilations, groups) with a
// fused activation. The WASM builds run it as a GEMM per image and group (wasm/conv.ts): the
// weights are packed once here, the im2col panels are built per call in an arena scratch block
// that is kept (and grown) across calls.
//
// Packed layouts (opaque to callers):
//  - WASM builds: see packForWasm
//  - reference build: [raw weights][bias × M]
import { EdgeRunError } from '../engine/errors.js';
import { encodeActivation, type Activation } from './activation.js';
import type { Arena } from './arena.js';
import { checkDim } from './gemm.js';
import { checkPackedWeights, PackedArenaWeights } from './packed-weights.js';
import { conv2dRef, convOutputDimsUnchecked, type Conv2dGeometry } from './reference/conv.js';
import type { Runtime } from './runtime.js';

export type { Conv2dGeometry } from './reference/conv.js';

export interface PackedConv2dF32 {
  /** [M, C/group, kH, kW] */
  readonly weightDims: readonly number[];
  readonly group: number;
  readonly strides: readonly number[];
  /** [top, left, bottom, right] */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly ptr: number;
  readonly bytes: number;
  readonly rt: Runtime;
  free(): void;
}

/**
 * How many 8-pixel im2col panels to build per block. At least enough to cover an output row,
 * so one zero-padded copy of an input row serves every panel on it (wasm/lib/gemm-im2col.ts);
 * for small C·kH·kW (first layers, depthwise) enough to fill ~16 KiB, so the microkernels get
 * long runs; at most 64 (the WASM side's table) and ~256 KiB of panels.
 */
function panelsPerBlock(Kc: number, OH: number, OW: number): number {
  const panelBytes = Kc * 32;
  const wanted = Math.max(Math.ceil(OW / 8) + 1, Math.floor((16 * 1024) / panelBytes));
  const cap = Math.max(1, Math.min(64, Math.floor((256 * 1024) / panelBytes)));
  return Math.max(1, Math.min(wanted, cap, Math.ceil((OH * OW) / 8)));
}

/**
 * K slice of the microkernel passes (0: all of C/group·kH·kW at once). Slices of 192-512
 * measured no faster than none for 64 and 256 channels, 3x3.
 */
const KC_BLOCK = 0;

interface Geometry {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

class PackedConv extends PackedArenaWeights implements PackedConv2dF32 {
  constructor(
    rt: Runtime,
    readonly weightDims: readonly number[],
    readonly group: number,
    readonly strides: readonly number[],
    readonly pads: readonly number[],
    readonly dilations: readonly number[],
    ptr: number,
    readonly bytes: number,
    /** Byte offsets of the raw weights and the bias inside the block. */
    readonly rawOffset: number,
    readonly biasOffset: number,
  ) {
    super(rt, ptr);
  }
  protected get what(): string {
    return 'packed conv weights';
  }
}

function checkInts(v: readonly number[] | undefined, n: number, min: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => Number.isInteger(x) && x >= min)) {
    throw new EdgeRunError('InvalidArgument', `${what} must be ${n} integers >= ${min}, got ${JSON.stringify(v)}`);
  }
  return [...v];
}

function geometry(geo: Conv2dGeometry, where: string): Geometry {
  const group = geo.group ?? 1;
  if (!Number.isInteger(group) || group < 1) throw new EdgeRunError('InvalidArgument', `${where}: group must be a positive integer, got ${group}`);
  return {
    strides: checkInts(geo.strides ?? [1, 1], 2, 1, `${where}: strides`),
    pads: checkInts(geo.pads ?? [0, 0, 0, 0], 4, 0, `${where}: pads`),
    dilations: checkInts(geo.dilations ?? [1, 1], 2, 1, `${where}: dilations`),
    group,
  };
}

/**
 * [N, M, OH, OW] of a convolution of input [N, C, H, W] by weight [M, C/group, kH, kW].
 * Throws EdgeRunError when the dims do not fit together or the output would be empty.
 */
export function conv2dOutputDims(inputDims: readonly number[], weightDims: readonly number[], geo: Conv2dGeometry = {}): number[] {
  const where = 'conv2d';
  const g = geometry(geo, where);
  checkWeightDims(weightDims, g.group, where);
  return outputDims(inputDims, weightDims, g, where);
}

function checkWeightDims(dims: readonly number[], group: number, where: string): void {
  checkInts(dims, 4, 1, `${where}: weight dims`);
  if (dims[0] % group !== 0) {
    throw new EdgeRunError('ShapeMismatch', `${where}: group ${group} does not divide the ${dims[0]} output channels of the weight`);
  }
}

function outputDims(inputDims: readonly number[], weightDims: readonly number[], g: Geometry, where: string): number[] {
  if (!Array.isArray(inputDims) || inputDims.length !== 4) {
    throw new EdgeRunError('ShapeMismatch', `${where}: input must be 4-D [N, C, H, W], got ${JSON.stringify(inputDims)}`);
  }
  checkDim(inputDims[0], `${where}: input batch N`);
  checkInts(inputDims.slice(1), 3, 1, `${where}: input dims [C, H, W]`);
  const C = inputDims[1];
  const [, Cg, kH, kW] = weightDims;
  if (C !== Cg * g.group) {
    throw new EdgeRunError(
      'ShapeMismatch',
      `${where}: input has ${C} channels, weight [${weightDims.join(', ')}] with group ${g.group} expects ${Cg * g.group}`,
    );
  }
  const dims = convOutputDimsUnchecked(inputDims, weightDims, g);
  if (dims[2] < 1 || dims[3] < 1) {
    throw new EdgeRunError(
      'ShapeMismatch',
      `${where}: output size ${dims[2]}×${dims[3]} is empty: input ${inputDims[2]}×${inputDims[3]}, pads [${g.pads.join(', ')}], ` +
        `kernel ${kH}×${kW}, dilations [${g.dilations.join(', ')}], strides [${g.strides.join(', ')}]`,
    );
  }
  return dims;
}

export function packConv2dF32(
  rt: Runtime,
  weight: Float32Array,
  dims: readonly number[],
  opts: Conv2dGeometry & { bias?: Float32Array } = {},
): PackedConv2dF32 {
  const where = 'packConv2dF32';
  if (!(weight instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: weight must be a Float32Array`);
  const g = geometry(opts, where);
  checkWeightDims(dims, g.group, where);
  const [M, Cg, kH, kW] = dims;
  const Kc = Cg * kH * kW;
  if (weight.length !== M * Kc) {
    throw new EdgeRunError('ShapeMismatch', `${where}: weight has ${weight.length} elements, dims [${dims.join(', ')}] need ${M * Kc}`);
  }
  const bias = opts.bias;
  if (bias !== undefined) {
    if (!(bias instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: bias must be a Float32Array`);
    if (bias.length !== M) throw new EdgeRunError('ShapeMismatch', `${where}: bias has ${bias.length} elements, expected M = ${M}`);
  }
  const layout = rt.wasm ? packForWasm(rt, weight, M / g.group, g.group, Kc, bias) : packForReference(rt, weight, M, Kc, bias);
  return new PackedConv(rt, [...dims], g.group, g.strides, g.pads, g.dilations, layout.ptr, layout.bytes, layout.rawOffset, layout.biasOffset);
}

interface Layout {
  ptr: number;
  bytes: number;
  rawOffset: number;
  biasOffset: number;
}

/** [raw weights M×Kc][bias × M] */
function packForReference(rt: Runtime, weight: Float32Array, M: number, Kc: number, bias: Float32Array | undefined): Layout {
  const floats = M * Kc + M;
  const ptr = rt.arena.alloc(floats * 4, 'packed conv weights');
  const out = rt.arena.f32(ptr, floats);
  out.set(weight);
  if (bias) out.set(bias, M * Kc);
  else out.fill(0, M * Kc);
  return { ptr, bytes: floats * 4, rawOffset: 0, biasOffset: M * Kc * 4 };
}

/**
 * [strips: per group, rows 0 .. (Mg & ~3) as k-major 4-row strips][raw: per group, the Mg % 4
 * rows left over, as given][bias × M]. The strips' layout is the build's (gemm-4x8.ts): each
 * element once (16 bytes per k) or repeated 4 times, pre-broadcast (64 bytes per k).
 */
function packForWasm(rt: Runtime, weight: Float32Array, Mg: number, group: number, Kc: number, bias: Float32Array | undefined): Layout {
  const M = Mg * group;
  const Mg4 = Mg & ~3;
  const perK = rt.wasm!.conv_a_bytes_per_k() / 4;
  const copies = perK / 4;
  const stripFloats = group * Mg4 * Kc * copies;
  const rawFloats = group * (Mg - Mg4) * Kc;
  const floats = stripFloats + rawFloats + M;
  const ptr = rt.arena.alloc(floats * 4, 'packed conv weights');
  const out = rt.arena.f32(ptr, floats);
  for (let grp = 0; grp < group; grp++) {
    for (let s = 0; s < Mg4 / 4; s++) {
      const base = (grp * Mg4 + 4 * s) * Kc * copies;
      for (let k = 0; k < Kc; k++) {
        for (let r = 0; r < 4; r++) {
          const v = weight[(grp * Mg + 4 * s + r) * Kc + k];
          for (let j = 0; j < copies; j++) out[base + k * perK + r * copies + j] = v;
        }
      }
    }
    const left = Mg - Mg4;
    const from = (grp * Mg + Mg4) * Kc;
    out.set(weight.subarray(from, from + left * Kc), stripFloats + grp * left * Kc);
  }
  if (bias) out.set(bias, stripFloats + rawFloats);
  else out.fill(0, stripFloats + rawFloats);
  return { ptr, bytes: floats * 4, rawOffset: stripFloats * 4, biasOffset: (stripFloats + rawFloats) * 4 };
}

/** One im2col scratch block per arena, grown when a bigger convolution comes along. */
const scratchByArena = new WeakMap<Arena, { ptr: number; bytes: number }>();

function scratch(arena: Arena, bytes: number): number {
  const have = scratchByArena.get(arena);
  if (have && have.bytes >= bytes) return have.ptr;
  if (have) arena.free(have.ptr);
  scratchByArena.delete(arena);
  const ptr = arena.alloc(bytes, 'im2col scratch');
  scratchByArena.set(arena, { ptr, bytes });
  return ptr;
}

function checkPacked(rt: Runtime, packed: PackedConv2dF32, where: string): PackedConv {
  checkPackedWeights(rt, packed, PackedConv, 'packConv2dF32', where);
  return packed;
}

function geometryOf(p: PackedConv2dF32): Geometry {
  return { strides: [...p.strides], pads: [...p.pads], dilations: [...p.dilations], group: p.group };
}

/** Output dims [N, M, OH, OW] that conv2dF32Ptr writes for this input (throws if they do not fit). */
export function conv2dPackedOutputDims(inputDims: readonly number[], packed: PackedConv2dF32): number[] {
  return outputDims(inputDims, packed.weightDims, geometryOf(packed), 'conv2d');
}

/** output[N, M, OH, OW] = act(conv(input[N, C, H, W]) + bias). Addresses are arena byte addresses. */
export function conv2dF32Ptr(
  rt: Runtime,
  inputPtr: number,
  inputDims: readonly number[],
  packed: PackedConv2dF32,
  outputPtr: number,
  opts: { act?: Activation } = {},
): void {
  const where = 'conv2dF32Ptr';
  const p = checkPacked(rt, packed, where);
  const geo = geometryOf(p);
  const dims = outputDims(inputDims, p.weightDims, geo, where);
  const [act, a0, a1] = encodeActivation(opts.act, `${where}: act`);
  const [N, C, H, W] = inputDims;
  const [M, Cg, kH, kW] = p.weightDims;
  const [, , OH, OW] = dims;
  const inBytes = N * C * H * W * 4;
  const outBytes = N * M * OH * OW * 4;
  if (N === 0) return;
  rt.arena.check(inputPtr, inBytes, `${where}: input`);
  rt.arena.check(outputPtr, outBytes, `${where}: output`);
  if (inputPtr < outputPtr + outBytes && outputPtr < inputPtr + inBytes) {
    throw new EdgeRunError('InvalidArgument', `${where}: output (at ${outputPtr}, ${outBytes} bytes) overlaps input (at ${inputPtr}, ${inBytes} bytes)`);
  }

  if (rt.wasm) {
    const [sh, sw] = p.strides;
    const [pt, pl] = p.pads;
    const [dh, dw] = p.dilations;
    const panels = panelsPerBlock(Cg * kH * kW, OH, OW);
    const scratchPtr = scratch(rt.arena, rt.wasm.conv2d_f32_scratch_bytes(Cg, kH, kW, W, sw, pl, dw, OW, panels));
    rt.wasm.conv2d_f32(
      inputPtr, N, C, H, W,
      p.ptr, p.ptr + p.rawOffset, p.ptr + p.biasOffset, M, kH, kW,
      sh, sw, pt, pl, dh, dw, p.group,
      outputPtr, OH, OW, act, a0, a1,
      scratchPtr, panels, KC_BLOCK,
    );
    return;
  }
  const arena = rt.arena;
  conv2dRef(arena.f32(inputPtr, inBytes / 4), inputDims, arena.f32(p.ptr + p.rawOffset, M * Cg * kH * kW), p.weightDims, {
    ...geo,
    bias: arena.f32(p.ptr + p.biasOffset, M),
    act: opts.act,
    out: arena.f32(outputPtr, outBytes / 4),
  });
}

/** Convenience: copies the input into the arena and the output out. */
export function conv2dF32(
  rt: Runtime,
  input: Float32Array,
  inputDims: readonly number[],
  packed: PackedConv2dF32,
  opts: { act?: Activation } = {},
): { data: Float32Array; dims: number[] } {
  const where = 'conv2dF32';
  const p = checkPacked(rt, packed, where);
  if (!(input instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: input must be a Float32Array`);
  const dims = outputDims(inputDims, p.weightDims, geometryOf(p), where);
  encodeActivation(opts.act, `${where}: act`);
  const inLen = inputDims[0] * inputDims[1] * inputDims[2] * inputDims[3];
  if (input.length !== inLen) {
    throw new EdgeRunError('ShapeMismatch', `${where}: input has ${input.length} elements, dims [${inputDims.join(', ')}] need ${inLen}`);
  }
  const outLen = dims[0] * dims[1] * dims[2] * dims[3];
  const data = new Float32Array(outLen);
  if (outLen === 0) return { data, dims };
  const arena = rt.arena;
  const inPtr = arena.alloc(inLen * 4, 'conv input');
  let outPtr = -1;
  try {
    outPtr = arena.alloc(outLen * 4, 'conv output');
    arena.f32(inPtr, inLen).set(input);
    conv2dF32Ptr(rt, inPtr, inputDims, packed, outPtr, opts);
    data.set(arena.f32(outPtr, outLen));
  } finally {
    if (outPtr >= 0) arena.free(outPtr);
    arena.free(inPtr);
  }
  return { data, dims };
}
