// Sparse NCHW convolution (group 1): Y[Cout × HW] = W_sparse[Cout × Cin·kH·kW] · X[Cin·kH·kW × HW]
// as in Fast Sparse ConvNets. A 1×1, stride 1, unpadded convolution multiplies the input planes
// as they are (pixels are the vector lanes, 24 per tile); any other geometry first copies blocks
// of output pixels into im2col rows (wasm/lib/spmm-im2col.ts), then runs the same kernel.
// Weights: SELL-4 by output channel (pack.ts), float32 or int8 with per-channel scales.
import { EdgeRunError } from '../../engine/errors.js';
import { encodeActivation, type Activation } from '../activation.js';
import { conv2dOutputDims, type Conv2dGeometry } from '../conv.js';
import { sparseConv2dRef } from '../reference/sparse.js';
import type { Runtime } from '../runtime.js';
import { checkWeights, columnListsFromDense } from './formats.js';
import { checkPackedSparse, packCsr, type PackedSparse } from './pack.js';
import { scratch } from './scratch.js';
import { indexStride } from './csr.js';
import { commonParams } from './spmm.js';

/** Output pixels per im2col block: a multiple of the 24-pixel tile, ~128 KiB of rows at most. */
function blockPixels(Kc: number, P: number): number {
  const cap = Math.max(24, Math.floor((128 * 1024) / (Kc * 4) / 24) * 24);
  return Math.min(cap, Math.ceil(P / 4) * 4, 480);
}

export class PackedSparseConv2d {
  constructor(
    readonly sparse: PackedSparse,
    /** [M, C, kH, kW] */
    readonly weightDims: readonly number[],
    readonly strides: readonly number[],
    readonly pads: readonly number[],
    readonly dilations: readonly number[],
  ) {}
  get rt(): Runtime {
    return this.sparse.rt;
  }
  free(): void {
    this.sparse.free();
  }
  get geometry(): Conv2dGeometry {
    return { strides: this.strides, pads: this.pads, dilations: this.dilations, group: 1 };
  }
  /** 1×1, stride 1, no padding: the input planes are the dense operand as they are. */
  get pointwise(): boolean {
    const [, , kH, kW] = this.weightDims;
    return kH === 1 && kW === 1 && this.strides.every((s) => s === 1) && this.pads.every((p) => p === 0);
  }
}

export function packSparseConv2d(
  rt: Runtime, weight: Float32Array | Int8Array, dims: readonly number[],
  opts: Conv2dGeometry & { bias?: Float32Array; scales?: number | ArrayLike<number> } = {},
): PackedSparseConv2d {
  const where = 'packSparseConv2d';
  if ((opts.group ?? 1) !== 1) throw new EdgeRunError('UnsupportedFeature', `${where}: grouped convolutions (group ${opts.group}) have no sparse kernel; use the dense or depthwise one`);
  // Validates dims and geometry the way the dense convolution does (1×1×1×1 probe input).
  conv2dOutputDims([1, dims?.[1] ?? 0, 1 << 20, 1 << 20], dims, opts);
  const [M, C, kH, kW] = dims;
  const Kc = C * kH * kW;
  if (Kc > 65536) throw new EdgeRunError('UnsupportedFeature', `${where}: C·kH·kW = ${Kc} exceeds the sparse kernels' 65536 inputs per output channel`);
  const w = checkWeights(weight, Kc, M, `${where}: weight`);
  const common = commonParams(M, w instanceof Int8Array, opts, where);
  const sparse = packCsr(rt, columnListsFromDense(w, Kc, M, true), common, where);
  return new PackedSparseConv2d(sparse, [...dims], [...(opts.strides ?? [1, 1])], [...(opts.pads ?? [0, 0, 0, 0])], [...(opts.dilations ?? [1, 1])]);
}

function checkPacked(rt: Runtime, p: PackedSparseConv2d, where: string): PackedSparseConv2d {
  if (!(p instanceof PackedSparseConv2d)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from packSparseConv2d`);
  checkPackedSparse(rt, p.sparse, where);
  return p;
}

/** output[N, M, OH, OW] = act(conv(input[N, C, H, W]) + bias). Arena byte addresses. */
export function sparseConv2dF32Ptr(
  rt: Runtime, inputPtr: number, inputDims: readonly number[], packed: PackedSparseConv2d, outputPtr: number, opts: { act?: Activation } = {},
): void {
  const where = 'sparseConv2dF32Ptr';
  const p = checkPacked(rt, packed, where);
  const outDims = conv2dOutputDims(inputDims, p.weightDims, p.geometry);
  const [act, a0, a1] = encodeActivation(opts.act, `${where}: act`);
  const [N, C, H, W] = inputDims;
  const [M, , kH, kW] = p.weightDims;
  const [, , OH, OW] = outDims;
  const P = OH * OW;
  const inBytes = N * C * H * W * 4;
  const outBytes = N * M * P * 4;
  if (N === 0) return;
  rt.arena.check(inputPtr, inBytes, `${where}: input`);
  rt.arena.check(outputPtr, outBytes, `${where}: output`);
  if (inputPtr < outputPtr + outBytes && outputPtr < inputPtr + inBytes) {
    throw new EdgeRunError('InvalidArgument', `${where}: output (at ${outputPtr}, ${outBytes} bytes) overlaps input (at ${inputPtr}, ${inBytes} bytes)`);
  }
  const s = p.sparse;
  if (!rt.wasm) {
    sparseConv2dRef(rt.arena.f32(inputPtr, inBytes / 4), inputDims, s.lists, p.weightDims, outDims, p, rt.arena.f32(outputPtr, outBytes / 4), {
      bias: s.bias, scales: s.weightType === 'int8' ? s.scales : undefined, act: opts.act,
    });
    return;
  }
  const w = rt.wasm;
  const dense = s.weightType === 'int8' ? w.spmm_sell4_dense_i8f32 : w.spmm_sell4_dense_f32;
  const { meta, idx, val } = s.sections;
  const b = s.ptr;
  if (p.pointwise) {
    for (let n = 0; n < N; n++) {
      dense(s.groups, b + meta, b + idx, b + val, inputPtr + n * C * P * 4, indexStride(s, P * 4), P, outputPtr + n * M * P * 4, P * 4, 0, act, a0, a1);
    }
    return;
  }
  const Kc = C * kH * kW;
  const Pb = blockPixels(Kc, P);
  const rows = scratch(rt.arena, 'im2col rows', Kc * Pb * 4);
  const [sh, sw] = p.strides;
  const [pt, pl] = p.pads;
  const [dh, dw] = p.dilations;
  for (let n = 0; n < N; n++) {
    const img = inputPtr + n * C * H * W * 4;
    const outImg = outputPtr + n * M * P * 4;
    for (let pix0 = 0; pix0 < P; pix0 += Pb) {
      const np = Math.min(Pb, P - pix0);
      w.spmm_im2col_rows(img, C, H, W, kH, kW, sh, sw, pt, pl, dh, dw, OW, pix0, np, rows, Pb);
      dense(s.groups, b + meta, b + idx, b + val, rows, indexStride(s, Pb * 4), np, outImg + pix0 * 4, P * 4, 0, act, a0, a1);
    }
  }
}

/** Convenience: copies the input in and the output out. */
export function sparseConv2dF32(
  rt: Runtime, input: Float32Array, inputDims: readonly number[], packed: PackedSparseConv2d, opts: { act?: Activation } = {},
): { data: Float32Array; dims: number[] } {
  const where = 'sparseConv2dF32';
  const p = checkPacked(rt, packed, where);
  if (!(input instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: input must be a Float32Array`);
  const dims = conv2dOutputDims(inputDims, p.weightDims, p.geometry);
  encodeActivation(opts.act, `${where}: act`);
  const inLen = inputDims[0] * inputDims[1] * inputDims[2] * inputDims[3];
  if (input.length !== inLen) throw new EdgeRunError('ShapeMismatch', `${where}: input has ${input.length} elements, dims [${inputDims.join(', ')}] need ${inLen}`);
  const outLen = dims[0] * dims[1] * dims[2] * dims[3];
  const data = new Float32Array(outLen);
  if (outLen === 0) return { data, dims };
  const inPtr = rt.arena.alloc(inLen * 4, 'sparse conv input');
  let outPtr = -1;
  try {
    outPtr = rt.arena.alloc(outLen * 4, 'sparse conv output');
    rt.arena.f32(inPtr, inLen).set(input);
    sparseConv2dF32Ptr(rt, inPtr, inputDims, packed, outPtr, opts);
    data.set(rt.arena.f32(outPtr, outLen));
  } finally {
    if (outPtr >= 0) rt.arena.free(outPtr);
    rt.arena.free(inPtr);
  }
  return { data, dims };
}
