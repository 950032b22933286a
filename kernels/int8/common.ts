// What every int8 kernel's TypeScript face shares: argument checks that name the argument,
// dtype handling of int8/uint8 arrays, and the owner of arena blocks made at pack time.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { checkScale, checkZeroPoint, dtypeRange, type QuantDType } from './qparams.js';

export type QArray = Int8Array | Uint8Array;

export function checkDim(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new EdgeRunError('InvalidArgument', `${what} must be a non-negative integer, got ${v}`);
}

export function checkPositiveDim(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new EdgeRunError('InvalidArgument', `${what} must be a positive integer, got ${v}`);
}

export function dtypeOf(x: unknown, what: string): QuantDType {
  if (x instanceof Int8Array) return 'int8';
  if (x instanceof Uint8Array) return 'uint8';
  throw new EdgeRunError('DTypeMismatch', `${what} must be an Int8Array or a Uint8Array`);
}

export function checkDType(d: unknown, what: string): QuantDType {
  if (d === undefined) return 'int8';
  if (d !== 'int8' && d !== 'uint8') throw new EdgeRunError('DTypeMismatch', `${what} must be 'int8' or 'uint8', got ${String(d)}`);
  return d;
}

export function newQArray(dtype: QuantDType, n: number): QArray {
  return dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
}

/** A view of `n` elements of the given dtype at ptr. */
export function qview(rt: Runtime, dtype: QuantDType, ptr: number, n: number): QArray {
  return dtype === 'int8' ? rt.arena.i8(ptr, n) : rt.arena.u8(ptr, n);
}

/** Per-channel (length n) or per-tensor (one number) values as an array of n. */
export function perChannel(v: number | ArrayLike<number> | undefined, n: number, dflt: number, what: string): number[] {
  if (v === undefined) return new Array(n).fill(dflt);
  if (typeof v === 'number') return new Array(n).fill(v);
  if (typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new EdgeRunError('InvalidArgument', `${what} must be a number or an array of ${n}`);
  }
  if (v.length === 1) return new Array(n).fill(v[0]);
  if (v.length !== n) throw new EdgeRunError('ShapeMismatch', `${what} has ${v.length} entries, expected 1 or ${n}`);
  return Array.from(v);
}

export function checkScales(scales: number[], what: string): void {
  scales.forEach((s, i) => checkScale(s, scales.length > 1 ? `${what}[${i}]` : what));
}

export function checkZeroPoints(zps: number[], dtype: QuantDType, what: string): void {
  zps.forEach((z, i) => checkZeroPoint(z, dtype, zps.length > 1 ? `${what}[${i}]` : what));
}

export function checkInt32Array(x: unknown, n: number, what: string): Int32Array {
  if (!(x instanceof Int32Array)) throw new EdgeRunError('DTypeMismatch', `${what} must be an Int32Array`);
  if (x.length !== n) throw new EdgeRunError('ShapeMismatch', `${what} has ${x.length} elements, expected ${n}`);
  return x;
}

export function checkRange(range: [number, number], dtype: QuantDType, what: string): void {
  const [lo, hi] = dtypeRange(dtype);
  if (!(range[0] >= lo && range[1] <= hi && range[0] <= range[1])) {
    throw new EdgeRunError('InvalidArgument', `${what}: clamp range [${range[0]}, ${range[1]}] is empty or outside ${dtype}`);
  }
}

/** Arena blocks owned by a packed operand; free() releases them once. */
export class ArenaOwner {
  private freed = false;
  constructor(
    readonly rt: Runtime,
    protected readonly blocks: number[],
  ) {}
  free(): void {
    if (this.freed) throw new EdgeRunError('InvalidArgument', 'packed int8 weights were already freed');
    this.freed = true;
    for (const b of this.blocks) this.rt.arena.free(b);
  }
  get isFreed(): boolean {
    return this.freed;
  }
  /** Throws unless this belongs to rt and is still alive. */
  checkUsable(rt: Runtime, where: string): void {
    if (this.rt !== rt) throw new EdgeRunError('InvalidArgument', `${where}: packed weights belong to another runtime (${this.rt.build}), not this ${rt.build} runtime`);
    if (this.freed) throw new EdgeRunError('InvalidArgument', `${where}: packed weights were freed`);
  }
}

/** Copies `src` into a fresh arena block; the caller frees it. */
export function toArena(rt: Runtime, src: QArray | Int32Array, what: string): number {
  const ptr = rt.arena.alloc(src.byteLength, what);
  new Uint8Array(rt.arena.buffer, ptr, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  return ptr;
}

/**
 * The convenience layer of an int8 convolution (regular or depthwise): checks x against dims,
 * the packed input channel count and dtype, copies x into the arena, runs `runPtr` and returns
 * the N×Cout×OH×OW output.
 */
export function qconvViaArena(
  rt: Runtime,
  where: string,
  x: QArray,
  dims: [number, number, number, number],
  packed: { readonly Cout: number; readonly quant: { inDType: QuantDType; outDType: QuantDType } },
  channels: number,
  outputSize: (H: number, W: number) => [number, number],
  runPtr: (N: number, H: number, W: number, xPtr: number, outPtr: number) => void,
): QArray {
  const [N, C, H, W] = dims;
  const { inDType, outDType } = packed.quant;
  if (C !== channels) throw new EdgeRunError('ShapeMismatch', `${where}: input has ${C} channels, the weights expect ${channels}`);
  const xType = dtypeOf(x, `${where}: x`);
  if (xType !== inDType) throw new EdgeRunError('DTypeMismatch', `${where}: x is ${xType} but the weights were packed for ${inDType} inputs`);
  if (x.length !== N * C * H * W) throw new EdgeRunError('ShapeMismatch', `${where}: x has ${x.length} elements, dims [${dims.join(', ')}] need ${N * C * H * W}`);
  const [OH, OW] = outputSize(H, W);
  const out = newQArray(outDType, N * packed.Cout * OH * OW);
  const xPtr = rt.arena.alloc(x.length, `${where}: x`);
  let oPtr = -1;
  try {
    oPtr = rt.arena.alloc(out.length, `${where}: out`);
    qview(rt, inDType, xPtr, x.length).set(x);
    runPtr(N, H, W, xPtr, oPtr);
    out.set(qview(rt, outDType, oPtr, out.length));
  } finally {
    if (oPtr >= 0) rt.arena.free(oPtr);
    rt.arena.free(xPtr);
  }
  return out;
}

/** 2-D window geometry as ONNX spells it (pads: top, left, bottom, right). */
export interface Window2D {
  kernel: [number, number];
  strides?: [number, number];
  dilations?: [number, number];
  pads?: [number, number, number, number];
}

export interface Geometry {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  padT: number; padL: number; padB: number; padR: number;
  H: number; W: number; OH: number; OW: number;
}

/** Validates a window over an H×W plane and computes the output size (floor mode). */
export function windowGeometry(win: Window2D, H: number, W: number, where: string): Geometry {
  if (typeof win !== 'object' || win === null) throw new EdgeRunError('InvalidArgument', `${where}: window geometry is required`);
  const pair = (v: unknown, dflt: [number, number], what: string, min: number): [number, number] => {
    const p = v ?? dflt;
    if (!Array.isArray(p) || p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < min)) {
      throw new EdgeRunError('InvalidArgument', `${where}: ${what} must be two integers >= ${min}, got ${JSON.stringify(v)}`);
    }
    return p as [number, number];
  };
  const [kh, kw] = pair(win.kernel, [0, 0], 'kernel', 1);
  const [sh, sw] = pair(win.strides, [1, 1], 'strides', 1);
  const [dh, dw] = pair(win.dilations, [1, 1], 'dilations', 1);
  const pads = win.pads ?? [0, 0, 0, 0];
  if (!Array.isArray(pads) || pads.length !== 4 || pads.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new EdgeRunError('InvalidArgument', `${where}: pads must be four integers >= 0 (top, left, bottom, right), got ${JSON.stringify(win.pads)}`);
  }
  const [padT, padL, padB, padR] = pads;
  const spanH = dh * (kh - 1) + 1;
  const spanW = dw * (kw - 1) + 1;
  if (H + padT + padB < spanH || W + padL + padR < spanW) {
    throw new EdgeRunError('ShapeMismatch', `${where}: the ${kh}×${kw} window (dilated ${spanH}×${spanW}) does not fit the padded ${H + padT + padB}×${W + padL + padR} input`);
  }
  const OH = Math.floor((H + padT + padB - spanH) / sh) + 1;
  const OW = Math.floor((W + padL + padR - spanW) / sw) + 1;
  return { kh, kw, sh, sw, dh, dw, padT, padL, padB, padR, H, W, OH, OW };
}
