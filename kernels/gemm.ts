// fp32 GEMM: C[M×N] = A[M×K]·B + bias, then a fused activation. B (the weights) is packed once
// into the arena; A and C are arena addresses (pointer API) or Float32Arrays (convenience API).
//
// Packed layouts (opaque to callers):
//  - WASM builds: 8-column panels [bias×8][k0: 8 weights][k1: 8 weights]…, the last panel
//    zero-padded (see wasm/f32-gemm.ts).
//  - reference build: B as K×N row-major (alpha applied), then the N biases.
import { EdgeRunError } from '../engine/errors.js';
import type { Activation } from './activation.js';
import { checkDim, checkF32, checkGemmPtrCall, gemmViaArena, type GemmArrayNames } from './gemm-api.js';
import { checkPackedWeights, PackedArenaWeights } from './packed-weights.js';
import type { Runtime } from './runtime.js';
import { gemmRef } from './reference/gemm.js';

export { checkDim } from './gemm-api.js';

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
const ARRAYS: GemmArrayNames = { input: 'a', inLabel: 'GEMM input A', outLabel: 'GEMM output C' };

class PackedGemm extends PackedArenaWeights implements PackedGemmF32 {
  constructor(
    rt: Runtime,
    readonly K: number,
    readonly N: number,
    ptr: number,
    readonly bytes: number,
  ) {
    super(rt, ptr);
  }
  protected get what(): string {
    return 'packed GEMM weights';
  }
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
  checkPackedWeights(rt, packed, PackedGemm, 'packGemmF32', where);
  const { K, N } = packed;
  const encoded = checkGemmPtrCall(rt, M, aPtr, lda, cPtr, ldc, K, N, opts.act, where);
  if (encoded === null) return;
  const [act, p0, p1] = encoded;
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
  checkPackedWeights(rt, packed, PackedGemm, 'packGemmF32', where);
  const { K, N } = packed;
  return gemmViaArena(rt, where, a, M, K, N, opts, ARRAYS, (aPtr, cPtr) =>
    gemmF32Ptr(rt, M, aPtr, K, packed, cPtr, N, { act: opts.act, accumulate: opts.accumulate }),
  );
}
