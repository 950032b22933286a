// The ONNX (floating-point) quantization kernels: QuantizeLinear of float32, DequantizeLinear to
// float32, and Add with float requantization (onnxruntime's QLinearAdd rule, edgerun's QAdd).
// Unlike the TFLite kernels of this folder they round as ONNX does (half to even, through
// float32), bit-exactly as the scalar twins below (wasm/i8-qdq.ts explains why SIMD and
// TypeScript agree).
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { checkDType, qview } from './common.js';
import { checkZeroPoint, dtypeRange, wasmOutputParams, type QuantDType, type QuantParams } from './qparams.js';

const fr = Math.fround;

/** Round half to even (numpy.rint). */
function rint(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** The scalar twin of one quantization: saturate(rint(fr(x / scale)) + zp) into [lo, hi]; NaN → zp. */
export function quantizeValueRef(x: number, scale: number, zp: number, lo: number, hi: number): number {
  const r = rint(fr(x / scale));
  if (r !== r) return zp < lo ? lo : zp > hi ? hi : zp;
  const q = r + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

/** A scale > 0 as the kernels use it: rounded to float32 (ONNX scales are float32). */
function checkF32Scale(s: unknown, what: string): number {
  if (typeof s !== 'number' || !Number.isFinite(s) || !(fr(s) > 0) || !Number.isFinite(fr(s))) {
    throw new EdgeRunError('InvalidArgument', `${what} must be a positive finite number (as float32), got ${String(s)}`);
  }
  return fr(s);
}

function checkCount(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 0) throw new EdgeRunError('InvalidArgument', `${where}: n must be a non-negative integer, got ${n}`);
}

export interface QdqParams extends QuantParams {
  dtype?: QuantDType;
}

/** The parameters with the scale rounded to float32. */
function checkParams(p: QdqParams, where: string, what: string): Required<QdqParams> {
  if (typeof p !== 'object' || p === null) throw new EdgeRunError('InvalidArgument', `${where}: ${what} needs { scale, zeroPoint }`);
  const dtype = checkDType(p.dtype, `${where}: ${what}.dtype`);
  const scale = checkF32Scale(p.scale, `${where}: ${what}.scale`);
  checkZeroPoint(p.zeroPoint, dtype, `${where}: ${what}.zeroPoint`);
  return { scale, zeroPoint: p.zeroPoint, dtype };
}

/** QuantizeLinear: n float32 at xPtr → n int8/uint8 at outPtr (arena byte addresses). */
export function quantizeF32Ptr(rt: Runtime, n: number, xPtr: number, outPtr: number, params: QdqParams): void {
  const where = 'quantizeF32Ptr';
  checkCount(n, where);
  const p = checkParams(params, where, 'params');
  const dtype = p.dtype;
  if (n === 0) return;
  rt.arena.check(xPtr, n * 4, `${where}: x`);
  rt.arena.check(outPtr, n, `${where}: out`);
  const range = dtypeRange(dtype);
  if (rt.wasm) {
    const o = wasmOutputParams(p.zeroPoint, range, dtype);
    rt.wasm.i8_quantize_f32(n, xPtr, outPtr, p.scale, o.zp, o.lo, o.hi, o.flip);
    return;
  }
  const x = rt.arena.f32(xPtr, n);
  const out = qview(rt, dtype, outPtr, n);
  for (let i = 0; i < n; i++) out[i] = quantizeValueRef(x[i], p.scale, p.zeroPoint, range[0], range[1]);
}

/** DequantizeLinear: n int8/uint8 at qPtr → n float32 at outPtr. */
export function dequantizeF32Ptr(rt: Runtime, n: number, qPtr: number, outPtr: number, params: QdqParams): void {
  const where = 'dequantizeF32Ptr';
  checkCount(n, where);
  const p = checkParams(params, where, 'params');
  const dtype = p.dtype;
  if (n === 0) return;
  rt.arena.check(qPtr, n, `${where}: q`);
  rt.arena.check(outPtr, n * 4, `${where}: out`);
  if (rt.wasm) {
    rt.wasm.i8_dequantize_f32(n, qPtr, dtype === 'uint8' ? 1 : 0, outPtr, p.scale, p.zeroPoint);
    return;
  }
  const q = qview(rt, dtype, qPtr, n);
  const out = rt.arena.f32(outPtr, n);
  for (let i = 0; i < n; i++) out[i] = fr((q[i] - p.zeroPoint) * p.scale);
}

/** Scales are rounded to float32, as every step computes in float32. */
export interface QAddF32Params {
  a: QuantParams;
  b: QuantParams;
  out: QuantParams;
  /** Of a, b and out. Default int8. */
  dtype?: QuantDType;
  /** Clamp range on the output's integer scale (a fused activation); default the dtype's. */
  range?: [number, number];
}

/**
 * out[i] = quantize(float(a[i] − za)·sa + float(b[i] − zb)·sb, sy, zy) (b[0] when bLength = 1),
 * every step in float32, rounding half to even: onnxruntime's QLinearAdd.
 */
export function qaddF32RqPtr(rt: Runtime, n: number, aPtr: number, bPtr: number, bLength: number, outPtr: number, p: QAddF32Params): void {
  const where = 'qaddF32RqPtr';
  checkCount(n, where);
  if (typeof p !== 'object' || p === null) throw new EdgeRunError('InvalidArgument', `${where}: quantization parameters are required`);
  const dtype = checkDType(p.dtype, `${where}: dtype`);
  const [qa, qb, qy] = (['a', 'b', 'out'] as const).map((k) => checkParams({ ...p[k], dtype }, where, k));
  const [qlo, qhi] = dtypeRange(dtype);
  const range = p.range ?? [qlo, qhi];
  if (!(Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[0] >= qlo && range[1] <= qhi && range[0] <= range[1])) {
    throw new EdgeRunError('InvalidArgument', `${where}: range [${range}] is empty or outside ${dtype}`);
  }
  if (bLength !== n && bLength !== 1) throw new EdgeRunError('ShapeMismatch', `${where}: b has ${bLength} elements, expected ${n} or 1`);
  if (n === 0) return;
  rt.arena.check(aPtr, n, `${where}: a`);
  rt.arena.check(bPtr, bLength, `${where}: b`);
  rt.arena.check(outPtr, n, `${where}: out`);
  if (rt.wasm) {
    const o = wasmOutputParams(qy.zeroPoint, range, dtype);
    rt.wasm.i8_add_f32rq(n, aPtr, bPtr, bLength === 1 ? 0 : 1, outPtr, dtype === 'uint8' ? 1 : 0, qa.zeroPoint, qa.scale, qb.zeroPoint, qb.scale, qy.scale, o.zp, o.lo, o.hi, o.flip);
    return;
  }
  const a = qview(rt, dtype, aPtr, n);
  const b = qview(rt, dtype, bPtr, bLength);
  const out = qview(rt, dtype, outPtr, n);
  for (let i = 0; i < n; i++) {
    const real = fr(fr((a[i] - qa.zeroPoint) * qa.scale) + fr((b[bLength === 1 ? 0 : i] - qb.zeroPoint) * qb.scale));
    out[i] = quantizeValueRef(real, qy.scale, qy.zeroPoint, range[0], range[1]);
  }
}

export interface QGlobalAverageF32Params {
  x: QuantParams;
  out: QuantParams;
  /** Of x and out. Default int8. */
  dtype?: QuantDType;
}

/**
 * QGlobalAveragePool, onnxruntime's rule: per plane (`planes` of `size` bytes at xPtr) the
 * average of (x − zx) in float32 — the sum is exact, so any summation order gives it —, then
 * quantize(avg · sx, sy, zy). One byte per plane at outPtr. size · 255 must stay below 2^24.
 */
export function qglobalAverageF32RqPtr(rt: Runtime, planes: number, size: number, xPtr: number, outPtr: number, params: QGlobalAverageF32Params): void {
  const where = 'qglobalAverageF32RqPtr';
  checkCount(planes, where);
  if (!Number.isInteger(size) || size < 1 || size * 255 >= 2 ** 24) throw new EdgeRunError('InvalidArgument', `${where}: size must be an integer in [1, 65793), got ${size}`);
  if (typeof params !== 'object' || params === null) throw new EdgeRunError('InvalidArgument', `${where}: quantization parameters are required`);
  const dtype = checkDType(params.dtype, `${where}: dtype`);
  const [qx, qy] = (['x', 'out'] as const).map((k) => checkParams({ ...params[k], dtype }, where, k));
  if (planes === 0) return;
  rt.arena.check(xPtr, planes * size, `${where}: x`);
  rt.arena.check(outPtr, planes, `${where}: out`);
  const range = dtypeRange(dtype);
  if (rt.wasm) {
    const o = wasmOutputParams(qy.zeroPoint, range, dtype);
    rt.wasm.i8_global_avg_f32rq(xPtr, planes, size, dtype === 'uint8' ? 1 : 0, qx.zeroPoint, qx.scale, qy.scale, outPtr, o.zp, o.lo, o.hi, o.flip);
    return;
  }
  const x = qview(rt, dtype, xPtr, planes * size);
  const out = qview(rt, dtype, outPtr, planes);
  for (let pl = 0; pl < planes; pl++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += x[pl * size + i] - qx.zeroPoint;
    out[pl] = quantizeValueRef(fr(fr(sum / size) * qx.scale), qy.scale, qy.zeroPoint, range[0], range[1]);
  }
}

export interface QAveragePoolF32Params extends QGlobalAverageF32Params {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** top, left, bottom, right (resolved: no auto_pad). */
  pads: [number, number, number, number];
  /** The output size (the host's: it knows ceil_mode). */
  outSize: [number, number];
  countIncludePad: boolean;
}

/** Whether every window of the pool counts at least one row and one column (see below). */
export function everyWindowCounts(H: number, W: number, p: Pick<QAveragePoolF32Params, 'kernel' | 'strides' | 'dilations' | 'pads' | 'outSize' | 'countIncludePad'>): boolean {
  const axis = (size: number, k: number, s: number, d: number, begin: number, end: number, out: number) => {
    const [lo, hi] = p.countIncludePad ? [-begin, size + end] : [0, size];
    for (let o = 0; o < out; o++) {
      let n = 0;
      for (let t = 0; t < k; t++) {
        const i = o * s - begin + t * d;
        if (i >= lo && i < hi) n++;
      }
      if (n === 0) return false;
    }
    return true;
  };
  return axis(H, p.kernel[0], p.strides[0], p.dilations[0], p.pads[0], p.pads[2], p.outSize[0]) && axis(W, p.kernel[1], p.strides[1], p.dilations[1], p.pads[1], p.pads[3], p.outSize[1]);
}

/**
 * QAveragePool (2-D, x: planes × H × W) as the float pool kernel on (x − zx) followed by
 * QuantizeLinear: exact integer window sums, divided in float32 by the counted rows × counted
 * columns (in the input, or in the padded extent with countIncludePad), quantize(avg · sx).
 * Every window must count at least one row and one column.
 */
export function qaveragePoolF32RqPtr(rt: Runtime, planes: number, H: number, W: number, xPtr: number, outPtr: number, p: QAveragePoolF32Params): void {
  const where = 'qaveragePoolF32RqPtr';
  checkCount(planes, where);
  if (typeof p !== 'object' || p === null) throw new EdgeRunError('InvalidArgument', `${where}: parameters are required`);
  const dtype = checkDType(p.dtype, `${where}: dtype`);
  const [qx, qy] = (['x', 'out'] as const).map((k) => checkParams({ ...p[k], dtype }, where, k));
  const ints = [H, W, ...p.kernel, ...p.strides, ...p.dilations, ...p.pads, ...p.outSize];
  if (ints.some((v) => !Number.isInteger(v) || v < 0) || [H, W, ...p.kernel, ...p.strides, ...p.dilations, ...p.outSize].some((v) => v < 1)) {
    throw new EdgeRunError('InvalidArgument', `${where}: sizes, kernel, strides, dilations and output size must be positive integers, pads non-negative`);
  }
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl, pb, pr] = p.pads;
  const [OH, OW] = p.outSize;
  if (!everyWindowCounts(H, W, p)) throw new EdgeRunError('InvalidArgument', `${where}: some window counts no tap (its divisor would be 0)`);
  if (planes === 0) return;
  rt.arena.check(xPtr, planes * H * W, `${where}: x`);
  rt.arena.check(outPtr, planes * OH * OW, `${where}: out`);
  const range = dtypeRange(dtype);
  if (rt.wasm) {
    const o = wasmOutputParams(qy.zeroPoint, range, dtype);
    rt.wasm.i8_avgpool_f32rq(xPtr, planes, H, W, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, p.countIncludePad ? 1 : 0, dtype === 'uint8' ? 1 : 0,
      qx.zeroPoint, qx.scale, qy.scale, outPtr, o.zp, o.lo, o.hi, o.flip);
    return;
  }
  const x = qview(rt, dtype, xPtr, planes * H * W);
  const out = qview(rt, dtype, outPtr, planes * OH * OW);
  const [rlo, rhi, clo, chi] = p.countIncludePad ? [-pt, H + pb, -pl, W + pr] : [0, H, 0, W];
  for (let c = 0; c < planes; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let sum = 0;
        let rows = 0;
        let cols = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy >= rlo && iy < rhi) rows++;
        }
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pl + kx * dw;
          if (ix >= clo && ix < chi) cols++;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) sum += x[(c * H + iy) * W + ix] - qx.zeroPoint;
          }
        }
        out[(c * OH + oy) * OW + ox] = quantizeValueRef(fr(fr(sum / (rows * cols)) * qx.scale), qy.scale, qy.zeroPoint, range[0], range[1]);
      }
    }
  }
}
