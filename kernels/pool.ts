// Pooling over NCHW float32 tensors with 1 to 3 spatial dims: ONNX MaxPool, AveragePool,
// GlobalMaxPool and GlobalAveragePool (opset <= 19 semantics, as onnxruntime computes them;
// see kernels/reference/pool.ts). 1-D and 2-D run the vectorised 2-D kernel, 3-D a scalar one.
import { EdgeRunError } from '../engine/errors.js';
import type { Runtime } from './runtime.js';
import { averagePoolReference, globalPoolReference, maxPoolReference, poolOutSize } from './reference/pool.js';

export type AutoPad = 'NOTSET' | 'VALID' | 'SAME_UPPER' | 'SAME_LOWER';

export interface PoolOptions {
  /** Window size per spatial dim. */
  kernel: readonly number[];
  /** Default 1 per dim. */
  strides?: readonly number[];
  /** ONNX order: all begins, then all ends. Default zeros. Ignored unless autoPad is NOTSET. */
  pads?: readonly number[];
  /** Default 1 per dim. */
  dilations?: readonly number[];
  /** Round the output size up (a window starting inside the end padding is still dropped). */
  ceilMode?: boolean;
  /** ONNX auto_pad; default NOTSET (use pads). */
  autoPad?: AutoPad;
}

export interface AveragePoolOptions extends PoolOptions {
  /** Divide by the taps inside the padded extent (true) or inside the input (false, default). */
  countIncludePad?: boolean;
}

export interface PoolGeometry {
  inputDims: number[];
  outputDims: number[];
  kernel: number[];
  strides: number[];
  /** Resolved explicit pads (auto_pad applied), ONNX order. */
  pads: number[];
  dilations: number[];
  ceilMode: boolean;
}

function fail(code: 'InvalidArgument' | 'ShapeMismatch', where: string, msg: string): never {
  throw new EdgeRunError(code, `${where}: ${msg}`);
}

function intList(v: readonly number[] | undefined, name: string, len: number, min: number, dflt: number, where: string): number[] {
  if (v === undefined) return new Array<number>(len).fill(dflt);
  if (!Array.isArray(v)) fail('InvalidArgument', where, `${name} must be an array of ${len} integers`);
  if (v.length !== len) fail('InvalidArgument', where, `${name} must have ${len} entries (one per spatial dim${name === 'pads' ? ', begins then ends' : ''}), got ${v.length}`);
  if (!v.every((x) => Number.isInteger(x) && x >= min)) fail('InvalidArgument', where, `${name} must be integers >= ${min}, got [${v.join(', ')}]`);
  return [...v];
}

function inputDimsOf(dims: readonly number[], where: string): number[] {
  if (!Array.isArray(dims) || dims.length < 3 || dims.length > 5 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    fail('ShapeMismatch', where, `input dims must be [N, C, ...1 to 3 spatial dims] of positive integers, got [${String(dims)}]`);
  }
  return [...dims];
}

/** Validates a pooling call and resolves auto_pad; throws EdgeRunError naming the bad argument. */
export function poolGeometry(inputDims: readonly number[], opts: PoolOptions, where = 'pool'): PoolGeometry {
  const dims = inputDimsOf(inputDims, where);
  const r = dims.length - 2;
  if (!opts || !Array.isArray(opts.kernel)) fail('InvalidArgument', where, 'kernel (window size per spatial dim) is required');
  const kernel = intList(opts.kernel, 'kernel', r, 1, 1, where);
  const strides = intList(opts.strides, 'strides', r, 1, 1, where);
  const dilations = intList(opts.dilations, 'dilations', r, 1, 1, where);
  const autoPad = opts.autoPad ?? 'NOTSET';
  let pads = intList(opts.pads, 'pads', 2 * r, 0, 0, where);
  const ceilMode = !!opts.ceilMode;
  if (autoPad === 'VALID') pads = new Array<number>(2 * r).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < r; i++) {
      const out = Math.ceil(dims[i + 2] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - dims[i + 2]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + r] = total - pads[i];
    }
  } else if (autoPad !== 'NOTSET') {
    fail('InvalidArgument', where, `autoPad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '${String(autoPad)}'`);
  }
  const outputDims = [dims[0], dims[1]];
  for (let i = 0; i < r; i++) {
    const size = dims[i + 2], k = kernel[i], s = strides[i], d = dilations[i], p0 = pads[i], p1 = pads[i + r];
    const extent = (k - 1) * d + 1;
    if (size + p0 + p1 < extent) {
      fail('ShapeMismatch', where, `kernel extent ${extent} along spatial dim ${i} is larger than the padded input ${size + p0 + p1}`);
    }
    const out = poolOutSize(size, k, s, d, p0, p1, ceilMode);
    if (out < 1) fail('ShapeMismatch', where, `output size along spatial dim ${i} would be ${out}`);
    // Every window needs at least one input element: otherwise max and the exclude-pad
    // average have nothing to reduce (pads >= kernel, or dilation stepping over the input).
    for (let o = 0; o < out; o++) {
      let hit = false;
      for (let t = 0; t < k && !hit; t++) {
        const at = o * s - p0 + t * d;
        hit = at >= 0 && at < size;
      }
      if (!hit) fail('InvalidArgument', where, `pads [${pads.join(', ')}] / dilations leave window ${o} along spatial dim ${i} without any input element`);
    }
    outputDims.push(out);
  }
  return { inputDims: dims, outputDims, kernel, strides, pads, dilations, ceilMode };
}

/** Output dims of MaxPool / AveragePool. */
export function poolOutputDims(inputDims: readonly number[], opts: PoolOptions): number[] {
  return poolGeometry(inputDims, opts).outputDims;
}

/** Output dims of GlobalMaxPool / GlobalAveragePool: [N, C, 1, ...]. */
export function globalPoolOutputDims(inputDims: readonly number[]): number[] {
  const dims = inputDimsOf(inputDims, 'globalPool');
  return [dims[0], dims[1], ...dims.slice(2).map(() => 1)];
}

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

// One scratch block per runtime (the padded row ring), grown on demand and kept, so calls do
// not grow memory (and detach the caller's views) each time.
const scratchBlocks = new WeakMap<Runtime, { ptr: number; bytes: number }>();

function scratchFor(rt: Runtime, bytes: number): number {
  const have = scratchBlocks.get(rt);
  if (have && have.bytes >= bytes) return have.ptr;
  if (have) rt.arena.free(have.ptr);
  const ptr = rt.arena.alloc(bytes, 'pooling scratch');
  scratchBlocks.set(rt, { ptr, bytes });
  return ptr;
}

function checkBuffers(rt: Runtime, inputPtr: number, outputPtr: number, g: { inputDims: number[]; outputDims: number[] }, where: string): void {
  rt.arena.check(inputPtr, count(g.inputDims) * 4, `${where} input`);
  rt.arena.check(outputPtr, count(g.outputDims) * 4, `${where} output`);
}

function runWindowed(rt: Runtime, inputPtr: number, outputPtr: number, g: PoolGeometry, isMax: boolean, includePad: boolean): void {
  const wasm = rt.wasm!;
  const r = g.inputDims.length - 2;
  const planes = g.inputDims[0] * g.inputDims[1];
  if (r === 3) {
    const [D, H, W] = g.inputDims.slice(2);
    const [OD, OH, OW] = g.outputDims.slice(2);
    wasm.pool3d_f32(inputPtr, outputPtr, planes, D, H, W, ...g.kernel, ...g.strides, ...g.dilations, ...g.pads, OD, OH, OW, +isMax, +includePad);
    return;
  }
  // 1-D runs as 2-D with a single row.
  const lift = (v: number[], one: number) => (r === 1 ? [one, ...v] : v);
  const [H, W] = lift(g.inputDims.slice(2), 1);
  const [OH, OW] = lift(g.outputDims.slice(2), 1);
  const [kH, kW] = lift(g.kernel, 1);
  const [sh, sw] = lift(g.strides, 1);
  const [dh, dw] = lift(g.dilations, 1);
  const [pt, pl, pb, pr] = r === 1 ? [0, g.pads[0], 0, g.pads[1]] : g.pads;
  const scratch = scratchFor(rt, wasm.pool2d_scratch_bytes(W, kH, kW, sh, sw, dh, dw, pl, OW));
  if (isMax) wasm.maxpool2d_f32(inputPtr, outputPtr, scratch, planes, H, W, kH, kW, sh, sw, dh, dw, pt, pl, OH, OW);
  else wasm.avgpool2d_f32(inputPtr, outputPtr, scratch, planes, H, W, kH, kW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW, +includePad);
}

function refParams(g: PoolGeometry) {
  return { kernel: g.kernel, strides: g.strides, pads: g.pads, dilations: g.dilations, ceilMode: g.ceilMode };
}

/**
 * MaxPool, pointer API: input and output are arena addresses; returns the output dims. Like
 * the depthwise kernel, the WASM builds keep one scratch block per runtime (allocated on first
 * use, grown when needed): make views after the call.
 */
export function maxPoolF32Ptr(rt: Runtime, inputPtr: number, inputDims: readonly number[], outputPtr: number, opts: PoolOptions): number[] {
  const g = poolGeometry(inputDims, opts, 'maxPool');
  checkBuffers(rt, inputPtr, outputPtr, g, 'maxPool');
  if (rt.wasm) runWindowed(rt, inputPtr, outputPtr, g, true, false);
  else maxPoolReference(rt.arena.f32(inputPtr, count(g.inputDims)), g.inputDims, refParams(g), rt.arena.f32(outputPtr, count(g.outputDims)));
  return g.outputDims;
}

/** AveragePool, pointer API: returns the output dims. */
export function averagePoolF32Ptr(rt: Runtime, inputPtr: number, inputDims: readonly number[], outputPtr: number, opts: AveragePoolOptions): number[] {
  const g = poolGeometry(inputDims, opts, 'averagePool');
  checkBuffers(rt, inputPtr, outputPtr, g, 'averagePool');
  const includePad = !!opts.countIncludePad;
  if (rt.wasm) runWindowed(rt, inputPtr, outputPtr, g, false, includePad);
  else averagePoolReference(rt.arena.f32(inputPtr, count(g.inputDims)), g.inputDims, { ...refParams(g), countIncludePad: includePad }, rt.arena.f32(outputPtr, count(g.outputDims)));
  return g.outputDims;
}

function globalPtr(rt: Runtime, inputPtr: number, inputDims: readonly number[], outputPtr: number, kind: 'max' | 'average'): number[] {
  const where = kind === 'max' ? 'globalMaxPool' : 'globalAveragePool';
  const g = { inputDims: inputDimsOf(inputDims, where), outputDims: globalPoolOutputDims(inputDims) };
  checkBuffers(rt, inputPtr, outputPtr, g, where);
  const planes = g.inputDims[0] * g.inputDims[1];
  if (rt.wasm) rt.wasm.global_pool_f32(inputPtr, outputPtr, planes, count(g.inputDims.slice(2)), kind === 'max' ? 1 : 0);
  else globalPoolReference(rt.arena.f32(inputPtr, count(g.inputDims)), g.inputDims, kind, rt.arena.f32(outputPtr, planes));
  return g.outputDims;
}

export function globalMaxPoolF32Ptr(rt: Runtime, inputPtr: number, inputDims: readonly number[], outputPtr: number): number[] {
  return globalPtr(rt, inputPtr, inputDims, outputPtr, 'max');
}

export function globalAveragePoolF32Ptr(rt: Runtime, inputPtr: number, inputDims: readonly number[], outputPtr: number): number[] {
  return globalPtr(rt, inputPtr, inputDims, outputPtr, 'average');
}

// Convenience API: copy in, run the pointer API, copy out.
function viaArena(
  rt: Runtime, input: Float32Array, inputDims: readonly number[], outputDims: number[], where: string,
  run: (inPtr: number, outPtr: number) => void,
): { data: Float32Array; dims: number[] } {
  const inCount = count(inputDims);
  if (!(input instanceof Float32Array) || input.length !== inCount) {
    fail('ShapeMismatch', where, `input has ${input?.length} values, dims [${inputDims.join(', ')}] need ${inCount}`);
  }
  const outCount = count(outputDims);
  const inPtr = rt.arena.alloc(inCount * 4, `${where} input`);
  let outPtr = -1;
  try {
    outPtr = rt.arena.alloc(outCount * 4, `${where} output`);
    rt.arena.f32(inPtr, inCount).set(input);
    run(inPtr, outPtr);
    return { data: rt.arena.f32(outPtr, outCount).slice(), dims: outputDims };
  } finally {
    rt.arena.free(inPtr);
    if (outPtr >= 0) rt.arena.free(outPtr);
  }
}

export interface MaxPoolResult {
  data: Float32Array;
  dims: number[];
  /** ONNX MaxPool Indices (flat input index, batch and channel included), when asked for. */
  indices?: BigInt64Array;
}

/**
 * MaxPool over a Float32Array. `indices: true` adds ONNX's second output (computed by the
 * reference kernel; storageOrder 1 = column-major spatial index).
 */
export function maxPoolF32(
  rt: Runtime, input: Float32Array, inputDims: readonly number[],
  opts: PoolOptions & { indices?: boolean; storageOrder?: 0 | 1 },
): MaxPoolResult {
  const g = poolGeometry(inputDims, opts, 'maxPool');
  const storageOrder = opts.storageOrder ?? 0;
  if (storageOrder !== 0 && storageOrder !== 1) fail('InvalidArgument', 'maxPool', `storageOrder must be 0 (row-major) or 1 (column-major), got ${String(storageOrder)}`);
  const out: MaxPoolResult = viaArena(rt, input, g.inputDims, g.outputDims, 'maxPool', (i, o) => maxPoolF32Ptr(rt, i, g.inputDims, o, opts));
  if (opts.indices) out.indices = maxPoolReference(input, g.inputDims, refParams(g), undefined, storageOrder).indices;
  return out;
}

export function averagePoolF32(rt: Runtime, input: Float32Array, inputDims: readonly number[], opts: AveragePoolOptions): { data: Float32Array; dims: number[] } {
  const g = poolGeometry(inputDims, opts, 'averagePool');
  return viaArena(rt, input, g.inputDims, g.outputDims, 'averagePool', (i, o) => averagePoolF32Ptr(rt, i, g.inputDims, o, opts));
}

export function globalMaxPoolF32(rt: Runtime, input: Float32Array, inputDims: readonly number[]): { data: Float32Array; dims: number[] } {
  return viaArena(rt, input, inputDims, globalPoolOutputDims(inputDims), 'globalMaxPool', (i, o) => globalMaxPoolF32Ptr(rt, i, inputDims, o));
}

export function globalAveragePoolF32(rt: Runtime, input: Float32Array, inputDims: readonly number[]): { data: Float32Array; dims: number[] } {
  return viaArena(rt, input, inputDims, globalPoolOutputDims(inputDims), 'globalAveragePool', (i, o) => globalAveragePoolF32Ptr(rt, i, inputDims, o));
}
