// Bulk IEEE half <-> float32 conversion (ONNX Cast to/from float16, fp16 weights). Exact in both
// directions: float -> half rounds to nearest even, overflows to ±inf, produces subnormals and
// maps NaN to the quiet NaN 0x7e00 with the input's sign; half -> float is exact for every half
// (NaN payloads kept). Halves travel as their bits in Uint16Arrays (Node 20 has no Float16Array).
import { EdgeRunError } from '../engine/errors.js';
import { checkDim } from './gemm.js';
import { floatsToHalvesRef, halvesToFloatsRef } from './reference/f16.js';
import type { Runtime } from './runtime.js';

function checkN(rt: Runtime, n: number, srcPtr: number, srcBytes: number, dstPtr: number, dstBytes: number, where: string): void {
  checkDim(n, `${where}: n`);
  if (n === 0) return;
  rt.arena.check(srcPtr, n * srcBytes, `${where}: src`);
  rt.arena.check(dstPtr, n * dstBytes, `${where}: dst`);
  if (srcPtr < dstPtr + n * dstBytes && dstPtr < srcPtr + n * srcBytes) {
    throw new EdgeRunError('InvalidArgument', `${where}: src and dst overlap (the conversion reads ahead of what it writes)`);
  }
}

/** n halves at srcPtr -> n float32 at dstPtr (arena byte addresses; the ranges may not overlap). */
export function f16ToF32Ptr(rt: Runtime, srcPtr: number, dstPtr: number, n: number): void {
  checkN(rt, n, srcPtr, 2, dstPtr, 4, 'f16ToF32Ptr');
  if (n === 0) return;
  if (rt.wasm) {
    rt.wasm.f16_to_f32(srcPtr, dstPtr, n);
    return;
  }
  halvesToFloatsRef(rt.arena.u16(srcPtr, n), new Uint32Array(rt.arena.buffer, dstPtr, n));
}

/** n float32 at srcPtr -> n halves at dstPtr (arena byte addresses; the ranges may not overlap). */
export function f32ToF16Ptr(rt: Runtime, srcPtr: number, dstPtr: number, n: number): void {
  checkN(rt, n, srcPtr, 4, dstPtr, 2, 'f32ToF16Ptr');
  if (n === 0) return;
  if (rt.wasm) {
    rt.wasm.f32_to_f16(srcPtr, dstPtr, n);
    return;
  }
  floatsToHalvesRef(new Uint32Array(rt.arena.buffer, srcPtr, n), rt.arena.u16(dstPtr, n));
}

/** Convenience: half bits -> Float32Array (copies through the arena). */
export function f16ToF32(rt: Runtime, halves: Uint16Array): Float32Array {
  if (!(halves instanceof Uint16Array)) throw new EdgeRunError('DTypeMismatch', 'f16ToF32: halves must be a Uint16Array of half bits');
  const n = halves.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  const src = rt.arena.alloc(n * 2, 'f16ToF32 input');
  let dst = -1;
  try {
    dst = rt.arena.alloc(n * 4, 'f16ToF32 output');
    rt.arena.u16(src, n).set(halves);
    f16ToF32Ptr(rt, src, dst, n);
    // Through the bits, so NaN payloads and signs survive the copy.
    new Uint32Array(out.buffer).set(new Uint32Array(rt.arena.buffer, dst, n));
  } finally {
    if (dst >= 0) rt.arena.free(dst);
    rt.arena.free(src);
  }
  return out;
}

/** Convenience: Float32Array -> half bits (copies through the arena). */
export function f32ToF16(rt: Runtime, x: Float32Array): Uint16Array {
  if (!(x instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', 'f32ToF16: x must be a Float32Array');
  const n = x.length;
  const out = new Uint16Array(n);
  if (n === 0) return out;
  const src = rt.arena.alloc(n * 4, 'f32ToF16 input');
  let dst = -1;
  try {
    dst = rt.arena.alloc(n * 2, 'f32ToF16 output');
    new Uint32Array(rt.arena.buffer, src, n).set(new Uint32Array(x.buffer, x.byteOffset, n));
    f32ToF16Ptr(rt, src, dst, n);
    out.set(rt.arena.u16(dst, n));
  } finally {
    if (dst >= 0) rt.arena.free(dst);
    rt.arena.free(src);
  }
  return out;
}
