// fp32 GEMM: C[M×N] = A[M×K]·B + bias, then a fused activation. B (the weights) is packed once
// into the arena; A and C are arena addresses (pointer API) or Float32Arrays (convenience API).
//
// Packed layouts (opaque to callers):
//  - WASM builds: 8-column panels [bias×8][k0: 8 weights][k1: 8 weights]…, the last panel
//    zero-padded (see wasm/f32-gemm.ts).
//  - reference build: B as K×N row-major (alpha applied), then the N biases.
import { EdgeRunError } from '../engine/errors.js';
import { encodeActivation, type Activation } from './activation.js';
import type { Runtime } from './runtime.js';
import { gemmRef } from './reference/gemm.js';

export interface PackedGemmF32 {
  readonly K: number;
  readonly N: number;
  readonly ptr: number;
  readonly bytes: number;
  readonly rt: Runtime;
  free(): void;
}

export interface GemmOptions {
  act?: Activation;
  /** C += A·B + bias (then act) instead of C = A·B + bias (then act). */
  accumulate?: boolean;
}

const NR = 8;
/**
 * Cache blocking of the WASM driver (0 = none). K slices of 512 measured 1-5% faster than 256
 * (and clearly faster than 128) at 512 and 1024 on the development machine (Zen 3: 32 KiB L1,
 * 512 KiB L2); the driver bounds the packed block of A to 256 KiB by itself (wasm/f32-gemm.ts).
 */
const KC_BLOCK = 512;
const MC_BLOCK = 0;
const NC_BLOCK = 0;

class PackedGemm implements PackedGemmF32 {
  private freed = false;
  constructor(
    readonly rt: Runtime,
    readonly K: number,
    readonly N: number,
    readonly ptr: number,
    readonly bytes: number,
  ) {}
  free(): void {
    if (this.freed) throw new EdgeRunError('InvalidArgument', 'packed GEMM weights were already freed');
    this.freed = true;
    this.rt.arena.free(this.ptr);
  }
  get isFreed(): boolean {
    return this.freed;
  }
}

/** Throws unless v is a non-negative integer. */
export function checkDim(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new EdgeRunError('InvalidArgument', `${what} must be a non-negative integer, got ${v}`);
}

function checkF32(x: unknown, what: string): void {
  if (!(x instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${what} must be a Float32Array`);
}

/** B is K×N row-major (or N×K when transB). bias (length N) is packed into the panels; alpha scales B at pack time. */
export function packGemmF32(
  rt: Runtime,
  b: Float32Array,
  K: number,
  N: number,
  opts: { bias?: Float32Array; transB?: boolean; alpha?: number } = {},
): PackedGemmF32 {
  checkDim(K, 'packGemmF32: K');
  checkDim(N, 'packGemmF32: N');
  checkF32(b, 'packGemmF32: b');
  if (b.length !== K * N) {
    throw new EdgeRunError('ShapeMismatch', `packGemmF32: b has ${b.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  }
  const bias = opts.bias;
  if (bias !== undefined) {
    checkF32(bias, 'packGemmF32: bias');
    if (bias.length !== N) throw new EdgeRunError('ShapeMismatch', `packGemmF32: bias has ${bias.length} elements, expected N = ${N}`);
  }
  const alpha = opts.alpha ?? 1;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new EdgeRunError('InvalidArgument', `packGemmF32: alpha must be finite, got ${alpha}`);
  const transB = opts.transB ?? false;
  // B[k][n] wherever it lives.
  const at = transB ? (k: number, n: number) => b[n * K + k] : (k: number, n: number) => b[k * N + n];

  if (rt.build === 'reference') {
    const floats = K * N + N;
    const ptr = rt.arena.alloc(floats * 4, 'packed GEMM weights');
    const out = rt.arena.f32(ptr, floats);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[k * N + n] = alpha * at(k, n);
    for (let n = 0; n < N; n++) out[K * N + n] = bias ? bias[n] : 0;
    return new PackedGemm(rt, K, N, ptr, floats * 4);
  }

  const panels = Math.ceil(N / NR);
  const panelFloats = (K + 1) * NR;
  const floats = panels * panelFloats;
  const ptr = rt.arena.alloc(floats * 4, 'packed GEMM weights');
  const out = rt.arena.f32(ptr, floats);
  out.fill(0);
  for (let p = 0; p < panels; p++) {
    const base = p * panelFloats;
    const cols = Math.min(NR, N - p * NR);
    for (let j = 0; j < cols; j++) {
      const n = p * NR + j;
      if (bias) out[base + j] = bias[n];
      for (let k = 0; k < K; k++) out[base + NR + k * NR + j] = alpha * at(k, n);
    }
  }
  return new PackedGemm(rt, K, N, ptr, floats * 4);
}

function checkPacked(rt: Runtime, packed: PackedGemmF32, where: string): void {
  if (!(packed instanceof PackedGemm)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from packGemmF32`);
  if (packed.rt !== rt) throw new EdgeRunError('InvalidArgument', `${where}: packed weights belong to another runtime (${packed.rt.build}), not this ${rt.build} runtime`);
  if (packed.isFreed) throw new EdgeRunError('InvalidArgument', `${where}: packed weights were freed`);
}

/** C[M×N] = A[M×K]·B + bias, then act. Addresses are arena byte addresses; lda/ldc are row strides in floats.
 *  accumulate: C += A·B + bias instead of C = ... (used to add a recurrent product onto precomputed gates). */
export function gemmF32Ptr(
  rt: Runtime,
  M: number,
  aPtr: number,
  lda: number,
  packed: PackedGemmF32,
  cPtr: number,
  ldc: number,
  opts: GemmOptions = {},
): void {
  const where = 'gemmF32Ptr';
  checkPacked(rt, packed, where);
  const { K, N } = packed;
  checkDim(M, `${where}: M`);
  checkDim(lda, `${where}: lda`);
  checkDim(ldc, `${where}: ldc`);
  if (lda < K) throw new EdgeRunError('InvalidArgument', `${where}: lda ${lda} is smaller than K = ${K}`);
  if (ldc < N) throw new EdgeRunError('InvalidArgument', `${where}: ldc ${ldc} is smaller than N = ${N}`);
  const [act, p0, p1] = encodeActivation(opts.act, `${where}: act`);
  if (M === 0 || N === 0) return;
  if (K > 0) rt.arena.check(aPtr, ((M - 1) * lda + K) * 4, `${where}: a`);
  rt.arena.check(cPtr, ((M - 1) * ldc + N) * 4, `${where}: c`);
  const accumulate = opts.accumulate ?? false;

  if (rt.wasm) {
    rt.wasm.f32_gemm(M, K, N, aPtr, lda, packed.ptr, cPtr, ldc, accumulate ? 1 : 0, act, p0, p1, KC_BLOCK, MC_BLOCK, NC_BLOCK);
    return;
  }
  const arena = rt.arena;
  const b = arena.f32(packed.ptr, K * N);
  const bias = arena.f32(packed.ptr + K * N * 4, N);
  const a = arena.f32(aPtr, K > 0 ? (M - 1) * lda + K : 0);
  const c = arena.f32(cPtr, (M - 1) * ldc + N);
  gemmRef(a, b, M, K, N, { bias, act: opts.act, c, accumulate, lda, ldc });
}

/** Convenience: copies a (M×K) into the arena and the result out. */
export function gemmF32(
  rt: Runtime,
  a: Float32Array,
  M: number,
  packed: PackedGemmF32,
  opts: { act?: Activation; accumulate?: boolean; c?: Float32Array } = {},
): Float32Array {
  const where = 'gemmF32';
  checkPacked(rt, packed, where);
  checkDim(M, `${where}: M`);
  checkF32(a, `${where}: a`);
  const { K, N } = packed;
  if (a.length !== M * K) throw new EdgeRunError('ShapeMismatch', `${where}: a has ${a.length} elements, expected M×K = ${M}×${K} = ${M * K}`);
  if (opts.c !== undefined) {
    checkF32(opts.c, `${where}: c`);
    if (opts.c.length !== M * N) throw new EdgeRunError('ShapeMismatch', `${where}: c has ${opts.c.length} elements, expected M×N = ${M}×${N} = ${M * N}`);
  } else if (opts.accumulate) {
    throw new EdgeRunError('InvalidArgument', `${where}: accumulate needs c (the values to add onto)`);
  }
  encodeActivation(opts.act, `${where}: act`);
  const c = opts.c ?? new Float32Array(M * N);
  if (M === 0 || N === 0) return c;
  const arena = rt.arena;
  const aPtr = arena.alloc(a.length * 4, 'GEMM input A');
  let cPtr = -1;
  try {
    cPtr = arena.alloc(c.length * 4, 'GEMM output C');
    arena.f32(aPtr, a.length).set(a);
    if (opts.accumulate) arena.f32(cPtr, c.length).set(c);
    gemmF32Ptr(rt, M, aPtr, K, packed, cPtr, N, { act: opts.act, accumulate: opts.accumulate });
    c.set(arena.f32(cPtr, c.length));
  } finally {
    if (cPtr >= 0) arena.free(cPtr);
    arena.free(aPtr);
  }
  return c;
}
