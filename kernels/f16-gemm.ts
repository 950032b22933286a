// GEMM with fp16 weights: C[M×N] = A[M×K]·B + bias, then a fused activation; A and C float32,
// B stored as IEEE halves (half the memory of packGemmF32's panels) and widened to float32 inside
// the kernel. The result is the float32 GEMM on the f16-rounded weights (up to the order of the
// float additions). Same two layers as kernels/gemm.ts: pointer API over arena addresses and a
// convenience API over Float32Arrays.
//
// Packed layouts (opaque to callers):
//  - WASM builds: 8-column panels [bias: 8 floats][k0: 8 halves][k1: 8 halves]…, the last panel
//    zero-padded (see wasm/f16-gemm.ts).
//  - reference build: B as K×N row-major halves, then the N biases as floats.
import { EdgeRunError } from '../engine/errors.js';
import type { Activation } from './activation.js';
import { checkDim, checkF32, checkGemmPtrCall, gemmViaArena, type GemmArrayNames } from './gemm-api.js';
import type { GemmOptions } from './gemm.js';
import { checkPackedWeights, PackedArenaWeights } from './packed-weights.js';
import { floatBitsToHalf } from './reference/f16.js';
import { gemmF16Ref } from './reference/f16-gemm.js';
import type { Runtime } from './runtime.js';

export interface PackedGemmF16 {
  readonly K: number;
  readonly N: number;
  readonly ptr: number;
  readonly bytes: number;
  readonly rt: Runtime;
  /** No weight is inf or NaN (the single-row kernel widens such weights only on that promise). */
  readonly finite: boolean;
  free(): void;
}

const NR = 8;
/** K slice widened into the kernel's f32 scratch at once (at most 512): 512 measured 5-10% above 256 and 128 at K = N = 1024. */
const KC_BLOCK = 512;
/** Rows of A per pass over the panels (0: all). */
const MC_BLOCK = 0;
const ARRAYS: GemmArrayNames = { input: 'a', inLabel: 'fp16 GEMM input A', outLabel: 'fp16 GEMM output C' };

class PackedF16 extends PackedArenaWeights implements PackedGemmF16 {
  constructor(
    rt: Runtime,
    readonly K: number,
    readonly N: number,
    ptr: number,
    readonly bytes: number,
    readonly finite: boolean,
    /** Byte offset of the N biases (reference layout only). */
    readonly biasOffset: number,
  ) {
    super(rt, ptr);
  }
  protected get what(): string {
    return 'packed fp16 GEMM weights';
  }
}

const isInfOrNanHalf = (h: number) => (h & 0x7c00) === 0x7c00;

/**
 * B is K×N row-major (or N×K when transB): a Float32Array (rounded to halves here, to nearest
 * even) or a Uint16Array of half bits (taken as they are). bias (length N, float32) is packed too.
 */
export function packGemmF16(
  rt: Runtime,
  b: Float32Array | Uint16Array,
  K: number,
  N: number,
  opts: { bias?: Float32Array; transB?: boolean } = {},
): PackedGemmF16 {
  const where = 'packGemmF16';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  if (!(b instanceof Float32Array) && !(b instanceof Uint16Array)) {
    throw new EdgeRunError('DTypeMismatch', `${where}: b must be a Float32Array or a Uint16Array of half bits`);
  }
  if (b.length !== K * N) {
    throw new EdgeRunError('ShapeMismatch', `${where}: b has ${b.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  }
  const bias = opts.bias;
  if (bias !== undefined) {
    checkF32(bias, `${where}: bias`);
    if (bias.length !== N) throw new EdgeRunError('ShapeMismatch', `${where}: bias has ${bias.length} elements, expected N = ${N}`);
  }
  const transB = opts.transB ?? false;
  const halves = b instanceof Uint16Array ? b : new Uint16Array(K * N);
  if (b instanceof Float32Array) {
    const bits = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < halves.length; i++) halves[i] = floatBitsToHalf(bits[i]);
  }
  let finite = true;
  for (let i = 0; i < halves.length && finite; i++) finite = !isInfOrNanHalf(halves[i]);
  // B[k][n] wherever it lives.
  const at = transB ? (k: number, n: number) => halves[n * K + k] : (k: number, n: number) => halves[k * N + n];

  if (rt.build === 'reference') {
    const biasOffset = Math.ceil((K * N * 2) / 4) * 4;
    const bytes = biasOffset + N * 4;
    const ptr = rt.arena.alloc(bytes, 'packed fp16 GEMM weights');
    const h = rt.arena.u16(ptr, K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) h[k * N + n] = at(k, n);
    rt.arena.f32(ptr + biasOffset, N).set(bias ?? new Float32Array(N));
    return new PackedF16(rt, K, N, ptr, bytes, finite, biasOffset);
  }

  const panels = Math.ceil(N / NR);
  const panelBytes = 32 + 16 * K;
  const bytes = panels * panelBytes;
  const ptr = rt.arena.alloc(bytes, 'packed fp16 GEMM weights');
  new Uint8Array(rt.arena.buffer, ptr, bytes).fill(0);
  const f = rt.arena.f32(ptr, bytes / 4);
  const h = rt.arena.u16(ptr, bytes / 2);
  for (let p = 0; p < panels; p++) {
    const base = p * panelBytes;
    const cols = Math.min(NR, N - p * NR);
    for (let j = 0; j < cols; j++) {
      const n = p * NR + j;
      if (bias) f[base / 4 + j] = bias[n];
      for (let k = 0; k < K; k++) h[(base + 32) / 2 + k * NR + j] = at(k, n);
    }
  }
  return new PackedF16(rt, K, N, ptr, bytes, finite, 0);
}

/** C[M×N] = A[M×K]·B + bias, then act. Arena byte addresses; lda/ldc are row strides in floats. */
export function gemmF16Ptr(
  rt: Runtime,
  M: number,
  aPtr: number,
  lda: number,
  packed: PackedGemmF16,
  cPtr: number,
  ldc: number,
  opts: GemmOptions = {},
): void {
  const where = 'gemmF16Ptr';
  checkPackedWeights(rt, packed, PackedF16, 'packGemmF16', where);
  const { K, N } = packed;
  const encoded = checkGemmPtrCall(rt, M, aPtr, lda, cPtr, ldc, K, N, opts.act, where);
  if (encoded === null) return;
  const [act, p0, p1] = encoded;
  const accumulate = opts.accumulate ?? false;

  if (rt.wasm) {
    rt.wasm.f16_gemm(M, K, N, aPtr, lda, packed.ptr, cPtr, ldc, accumulate ? 1 : 0, act, p0, p1, packed.finite ? 1 : 0, KC_BLOCK, MC_BLOCK);
    return;
  }
  const arena = rt.arena;
  const b = arena.u16(packed.ptr, K * N);
  const bias = arena.f32(packed.ptr + packed.biasOffset, N);
  const a = arena.f32(aPtr, K > 0 ? (M - 1) * lda + K : 0);
  const c = arena.f32(cPtr, (M - 1) * ldc + N);
  gemmF16Ref(a, b, M, K, N, { bias, act: opts.act, c, accumulate, lda, ldc });
}

/** Convenience: copies a (M×K) into the arena and the result out. */
export function gemmF16(
  rt: Runtime,
  a: Float32Array,
  M: number,
  packed: PackedGemmF16,
  opts: { act?: Activation; accumulate?: boolean; c?: Float32Array } = {},
): Float32Array {
  const where = 'gemmF16';
  checkPackedWeights(rt, packed, PackedF16, 'packGemmF16', where);
  const { K, N } = packed;
  return gemmViaArena(rt, where, a, M, K, N, opts, ARRAYS, (aPtr, cPtr) =>
    gemmF16Ptr(rt, M, aPtr, K, packed, cPtr, N, { act: opts.act, accumulate: opts.accumulate }),
  );
}
