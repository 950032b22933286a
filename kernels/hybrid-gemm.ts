// "Dynamic" (hybrid) int8 GEMM: float A and C, int8 weights with one scale per output column;
// each row of A is quantized at run time to uint8 exactly like ONNX DynamicQuantizeLinear (as
// onnxruntime computes it, see reference/hybrid-gemm.ts), the products are summed exactly in
// int32 (i32x4.dot_i16x8_s), and C = act(acc · rowScale·colScale + bias). Also the
// DynamicQuantizeLinear op itself (quantizeRowsDynamic*), for the graph engine.
//
// Not the relaxed int8 dot: V8 11.3's Liftoff computes i32x4.relaxed_dot_i8x16_i7x16_add_s wrong
// (research notes §1.5), and its x86 lowering would need activations in 0..127.
//
// Packed layouts (opaque to callers):
//  - WASM builds: 8-column panels [col scales ×8][bias ×8][k-pairs of int16] (wasm/hybrid-gemm.ts).
//  - reference build: [col scales ×N][bias ×N][int8 weights K×N row-major].
import { EdgeRunError } from '../engine/errors.js';
import type { Activation } from './activation.js';
import { checkDim, checkF32, checkGemmPtrCall, gemmViaArena, type GemmArrayNames } from './gemm-api.js';
import type { GemmOptions } from './gemm.js';
import { checkPackedWeights, PackedArenaWeights } from './packed-weights.js';
import { hybridGemmRef, quantizeRowsDynamicRef, quantizeWeightsPerChannelRef } from './reference/hybrid-gemm.js';
import type { Runtime } from './runtime.js';

export interface PackedHybridGemm {
  readonly K: number;
  readonly N: number;
  readonly ptr: number;
  readonly bytes: number;
  readonly rt: Runtime;
  free(): void;
}

/** Largest K whose int32 accumulators cannot overflow: K · 255 · 127 < 2^31. */
export const HYBRID_MAX_K = Math.floor((2 ** 31 - 1) / (255 * 127));
const NR = 8;
/** Quantized rows of A kept at once (in the module's static scratch): about this many bytes, L2-resident while the panels pass. */
const QUANTIZED_BLOCK_BYTES = 128 * 1024;
const ARRAYS: GemmArrayNames = { input: 'a', inLabel: 'hybrid GEMM input A', outLabel: 'hybrid GEMM output C' };

class PackedHybrid extends PackedArenaWeights implements PackedHybridGemm {
  constructor(rt: Runtime, readonly K: number, readonly N: number, ptr: number, readonly bytes: number) {
    super(rt, ptr);
  }
  protected get what(): string {
    return 'packed hybrid GEMM weights';
  }
}

/** Symmetric per-output-column int8 quantization of float weights (K×N, or N×K with transB; w keeps b's layout). */
export function quantizeWeightsPerChannel(b: Float32Array, K: number, N: number, opts: { transB?: boolean } = {}): { w: Int8Array; scales: Float32Array } {
  const where = 'quantizeWeightsPerChannel';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  checkF32(b, `${where}: b`);
  if (b.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: b has ${b.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  for (let i = 0; i < b.length; i++) {
    if (!Number.isFinite(b[i])) throw new EdgeRunError('InvalidArgument', `${where}: b[${i}] is ${b[i]}; weights must be finite`);
  }
  return quantizeWeightsPerChannelRef(b, K, N, opts.transB ?? false);
}

/** wInt8 is K×N (or N×K with transB), values in [-127, 127]; scales: one positive-or-zero finite float per column. */
export function packHybridGemm(
  rt: Runtime,
  wInt8: Int8Array,
  scales: Float32Array,
  K: number,
  N: number,
  opts: { bias?: Float32Array; transB?: boolean } = {},
): PackedHybridGemm {
  const where = 'packHybridGemm';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  if (K > HYBRID_MAX_K) throw new EdgeRunError('InvalidArgument', `${where}: K = ${K} is above ${HYBRID_MAX_K}, where int32 accumulators could overflow`);
  if (!(wInt8 instanceof Int8Array)) throw new EdgeRunError('DTypeMismatch', `${where}: wInt8 must be an Int8Array`);
  if (wInt8.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: wInt8 has ${wInt8.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  const bad = wInt8.indexOf(-128);
  if (bad >= 0) throw new EdgeRunError('InvalidArgument', `${where}: wInt8[${bad}] is -128; symmetric weights must lie in [-127, 127]`);
  checkF32(scales, `${where}: scales`);
  if (scales.length !== N) throw new EdgeRunError('ShapeMismatch', `${where}: scales has ${scales.length} elements, expected N = ${N}`);
  for (let j = 0; j < N; j++) {
    if (!Number.isFinite(scales[j])) throw new EdgeRunError('InvalidArgument', `${where}: scales[${j}] is ${scales[j]}; scales must be finite`);
  }
  const bias = opts.bias;
  if (bias !== undefined) {
    checkF32(bias, `${where}: bias`);
    if (bias.length !== N) throw new EdgeRunError('ShapeMismatch', `${where}: bias has ${bias.length} elements, expected N = ${N}`);
  }
  const transB = opts.transB ?? false;
  const at = transB ? (k: number, n: number) => wInt8[n * K + k] : (k: number, n: number) => wInt8[k * N + n];

  if (rt.build === 'reference') {
    const bytes = 8 * N + K * N;
    const ptr = rt.arena.alloc(bytes, 'packed hybrid GEMM weights');
    rt.arena.f32(ptr, N).set(scales);
    rt.arena.f32(ptr + 4 * N, N).set(bias ?? new Float32Array(N));
    const w = rt.arena.i8(ptr + 8 * N, K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) w[k * N + n] = at(k, n);
    return new PackedHybrid(rt, K, N, ptr, bytes);
  }

  const Kp = K + (K & 1);
  const panels = Math.ceil(N / NR);
  const panelBytes = 64 + 16 * Kp;
  const bytes = panels * panelBytes;
  const ptr = rt.arena.alloc(bytes, 'packed hybrid GEMM weights');
  new Uint8Array(rt.arena.buffer, ptr, bytes).fill(0);
  const f = rt.arena.f32(ptr, bytes / 4);
  const h = rt.arena.i16(ptr, bytes / 2);
  for (let p = 0; p < panels; p++) {
    const base = p * panelBytes;
    const cols = Math.min(NR, N - p * NR);
    for (let j = 0; j < cols; j++) {
      const n = p * NR + j;
      f[base / 4 + j] = scales[n];
      if (bias) f[base / 4 + 8 + j] = bias[n];
      // k-pair kk holds (column j, k = 2kk) and (column j, k = 2kk + 1) side by side.
      for (let k = 0; k < K; k++) h[(base + 64) / 2 + (k >> 1) * 16 + j * 2 + (k & 1)] = at(k, n);
    }
  }
  return new PackedHybrid(rt, K, N, ptr, bytes);
}

/** C[M×N] = act(dequant(quant(A)·W) + bias). Arena byte addresses; lda/ldc are row strides in floats. */
export function hybridGemmPtr(
  rt: Runtime,
  M: number,
  aPtr: number,
  lda: number,
  packed: PackedHybridGemm,
  cPtr: number,
  ldc: number,
  opts: GemmOptions = {},
): void {
  const where = 'hybridGemmPtr';
  checkPackedWeights(rt, packed, PackedHybrid, 'packHybridGemm', where);
  const { K, N } = packed;
  const encoded = checkGemmPtrCall(rt, M, aPtr, lda, cPtr, ldc, K, N, opts.act, where);
  if (encoded === null) return;
  const [act, p0, p1] = encoded;
  const accumulate = opts.accumulate ?? false;

  if (rt.wasm) {
    rt.wasm.hybrid_gemm(M, K, N, aPtr, lda, packed.ptr, cPtr, ldc, accumulate ? 1 : 0, act, p0, p1, QUANTIZED_BLOCK_BYTES);
    return;
  }
  const arena = rt.arena;
  const scales = arena.f32(packed.ptr, N);
  const bias = arena.f32(packed.ptr + 4 * N, N);
  const w = arena.i8(packed.ptr + 8 * N, K * N);
  const a = arena.f32(aPtr, K > 0 ? (M - 1) * lda + K : 0);
  const c = arena.f32(cPtr, (M - 1) * ldc + N);
  hybridGemmRef(a, w, scales, M, K, N, { bias, act: opts.act, c, accumulate, lda, ldc });
}

/** Convenience: copies a (M×K) into the arena and the result out. */
export function hybridGemm(
  rt: Runtime,
  a: Float32Array,
  M: number,
  packed: PackedHybridGemm,
  opts: { act?: Activation; accumulate?: boolean; c?: Float32Array } = {},
): Float32Array {
  const where = 'hybridGemm';
  checkPackedWeights(rt, packed, PackedHybrid, 'packHybridGemm', where);
  const { K, N } = packed;
  return gemmViaArena(rt, where, a, M, K, N, opts, ARRAYS, (aPtr, cPtr) =>
    hybridGemmPtr(rt, M, aPtr, K, packed, cPtr, N, { act: opts.act, accumulate: opts.accumulate }),
  );
}

/**
 * ONNX DynamicQuantizeLinear on each of `rows` contiguous rows of `cols` floats at xPtr: uint8
 * values at qPtr (rows×cols bytes), float scales at scalesPtr and uint8 zero points at zpPtr, one
 * per row. The ONNX op is rows = 1, cols = the tensor's size.
 */
export function quantizeRowsDynamicPtr(rt: Runtime, rows: number, cols: number, xPtr: number, qPtr: number, scalesPtr: number, zpPtr: number): void {
  const where = 'quantizeRowsDynamicPtr';
  checkDim(rows, `${where}: rows`);
  checkDim(cols, `${where}: cols`);
  if (rows === 0) return;
  if (cols > 0) {
    rt.arena.check(xPtr, rows * cols * 4, `${where}: x`);
    rt.arena.check(qPtr, rows * cols, `${where}: q`);
  }
  rt.arena.check(scalesPtr, rows * 4, `${where}: scales`);
  rt.arena.check(zpPtr, rows, `${where}: zeroPoints`);
  if (rt.wasm) {
    rt.wasm.hybrid_quantize_rows_u8(rows, cols, xPtr, qPtr, scalesPtr, zpPtr);
    return;
  }
  const out = quantizeRowsDynamicRef(rt.arena.f32(xPtr, rows * cols), rows, cols);
  rt.arena.u8(qPtr, rows * cols).set(out.q);
  rt.arena.f32(scalesPtr, rows).set(out.scales);
  rt.arena.u8(zpPtr, rows).set(out.zeroPoints);
}

/** Convenience: DynamicQuantizeLinear of each row of x (rows×cols). */
export function quantizeRowsDynamic(rt: Runtime, x: Float32Array, rows: number, cols: number): { q: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array } {
  const where = 'quantizeRowsDynamic';
  checkDim(rows, `${where}: rows`);
  checkDim(cols, `${where}: cols`);
  checkF32(x, `${where}: x`);
  if (x.length !== rows * cols) throw new EdgeRunError('ShapeMismatch', `${where}: x has ${x.length} elements, expected rows×cols = ${rows}×${cols} = ${rows * cols}`);
  const out = { q: new Uint8Array(rows * cols), scales: new Float32Array(rows), zeroPoints: new Uint8Array(rows) };
  if (rows === 0) return out;
  const arena = rt.arena;
  const xPtr = arena.alloc(x.length * 4, 'DynamicQuantizeLinear input');
  const ptrs: number[] = [];
  try {
    const qPtr = arena.alloc(x.length, 'DynamicQuantizeLinear output');
    ptrs.push(qPtr);
    const sPtr = arena.alloc(rows * 4, 'DynamicQuantizeLinear scales');
    ptrs.push(sPtr);
    const zPtr = arena.alloc(rows, 'DynamicQuantizeLinear zero points');
    ptrs.push(zPtr);
    arena.f32(xPtr, x.length).set(x);
    quantizeRowsDynamicPtr(rt, rows, cols, xPtr, qPtr, sPtr, zPtr);
    out.q.set(arena.u8(qPtr, x.length));
    out.scales.set(arena.f32(sPtr, rows));
    out.zeroPoints.set(arena.u8(zPtr, rows));
  } finally {
    for (const p of ptrs.reverse()) arena.free(p);
    arena.free(xPtr);
  }
  return out;
}
