// Sparse Gemm/MatMul, the dense API's orientation: Y[M×N] = X[M×K]·W + bias, then act, with W
// given dense (K×N, or N×K with transB; zeros dropped at pack time) or as column lists, float32
// or int8 (per-output-channel scales). Pointer API over arena addresses and a convenience API
// over typed arrays, as kernels/gemm.ts.
//
// Formats (pack.ts): 'csr' (unstructured), 'bsr1x4' (blocks of one k × 4 outputs), 'bsr4x4',
// '2:4' (at most 2 nonzeros in every 4 consecutive k of an output).
import { EdgeRunError } from '../../engine/errors.js';
import { encodeActivation, type Activation } from '../activation.js';
import { checkDim, checkGemmStrides, gemmViaArena, type GemmArrayNames } from '../gemm-api.js';
import { spmmI32Ref, spmmRef } from '../reference/sparse.js';
import type { Runtime } from '../runtime.js';
import { blockGemmF32, blockGemmI32 } from './bsr.js';
import { csrGemmF32, csrGemmI32 } from './csr.js';
import {
  blocksFromDense, checkColumnLists, checkWeights, columnListsFromDense, nmFromDense, type ColumnLists, type WeightArray,
} from './formats.js';
import { checkPackedSparse, packBsr, packCsr, packNm, PackedSparse, SPARSE_FORMATS, type SparseFormat } from './pack.js';

export { PackedSparse, SPARSE_FORMATS, type SparseFormat } from './pack.js';
export type { ColumnLists } from './formats.js';

export interface PackSparseOptions {
  /** Default 'csr'. */
  format?: SparseFormat;
  /** Dense weights given N×K (row n = output column n) instead of K×N. */
  transB?: boolean;
  bias?: Float32Array;
  /** int8 weights only: per output column (length N) or one for the tensor. */
  scales?: number | ArrayLike<number>;
}

const F32_ARRAYS: GemmArrayNames = { input: 'x', inLabel: 'sparse GEMM input', outLabel: 'sparse GEMM output' };

function isLists(w: unknown): w is ColumnLists {
  return typeof w === 'object' && w !== null && !ArrayBuffer.isView(w) && 'ptr' in w;
}

/** Dense columns of column lists (to convert them to a block format). */
function densify(c: ColumnLists): WeightArray {
  const out = c.w instanceof Int8Array ? new Int8Array(c.K * c.N) : new Float32Array(c.K * c.N);
  for (let n = 0; n < c.N; n++) for (let e = c.ptr[n]; e < c.ptr[n + 1]; e++) out[c.k[e] * c.N + n] = c.w[e];
  return out;
}

export function commonParams(N: number, int8: boolean, opts: { bias?: Float32Array; scales?: number | ArrayLike<number> }, where: string) {
  const bias = new Float32Array(N);
  if (opts.bias !== undefined) {
    if (!(opts.bias instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: bias must be a Float32Array`);
    if (opts.bias.length !== N) throw new EdgeRunError('ShapeMismatch', `${where}: bias has ${opts.bias.length} elements, expected N = ${N}`);
    bias.set(opts.bias);
  }
  const scales = new Float32Array(N).fill(1);
  if (int8) {
    const s = opts.scales;
    if (s === undefined) throw new EdgeRunError('InvalidArgument', `${where}: int8 weights need scales (one per output column, or one number)`);
    if (typeof s === 'number') scales.fill(s);
    else {
      if (s.length !== N) throw new EdgeRunError('ShapeMismatch', `${where}: scales has ${s.length} entries, expected one per output column (N = ${N})`);
      for (let n = 0; n < N; n++) scales[n] = s[n];
    }
    for (let n = 0; n < N; n++) {
      if (!Number.isFinite(scales[n]) || scales[n] <= 0) throw new EdgeRunError('InvalidArgument', `${where}: scales[${n}] = ${scales[n]} must be finite and > 0`);
    }
  } else if (opts.scales !== undefined) {
    throw new EdgeRunError('InvalidArgument', `${where}: scales apply to int8 weights only; these are float32`);
  }
  return { bias, scales, int8 };
}

/** Packs W for spmmF32Ptr / spmmI8Ptr. */
export function packSparseGemm(rt: Runtime, weights: WeightArray | ColumnLists, K: number, N: number, opts: PackSparseOptions = {}): PackedSparse {
  const where = 'packSparseGemm';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  const format = opts.format ?? 'csr';
  if (!SPARSE_FORMATS.includes(format)) throw new EdgeRunError('InvalidArgument', `${where}: format must be one of ${SPARSE_FORMATS.join(', ')}, got '${String(format)}'`);
  let dense: WeightArray | null = null;
  let lists: ColumnLists | null = null;
  if (isLists(weights)) {
    lists = checkColumnLists(weights, `${where}: weights`);
    if (lists.K !== K || lists.N !== N) throw new EdgeRunError('ShapeMismatch', `${where}: column lists are ${lists.K}×${lists.N} (K×N), expected ${K}×${N}`);
    if (opts.transB) throw new EdgeRunError('InvalidArgument', `${where}: transB applies to dense weights, not to column lists`);
  } else {
    dense = checkWeights(weights, K, N, `${where}: weights`);
    if (dense instanceof Float32Array) {
      for (let i = 0; i < dense.length; i++) {
        if (!Number.isFinite(dense[i])) throw new EdgeRunError('InvalidArgument', `${where}: weights[${i}] = ${dense[i]} is not finite`);
      }
    }
  }
  const int8 = (lists ? lists.w : dense!) instanceof Int8Array;
  const common = commonParams(N, int8, opts, where);
  const transB = opts.transB ?? false;
  if (format === 'csr' && K > 65536) throw new EdgeRunError('UnsupportedFeature', `${where}: format 'csr' stores 16-bit input indices, so K = ${K} must be at most 65536 (use a block format)`);
  if (format === 'csr') return packCsr(rt, lists ?? columnListsFromDense(dense!, K, N, transB), common, where);
  const d = dense ?? densify(lists!);
  const tB = dense ? transB : false;
  if (format === '2:4') return packNm(rt, nmFromDense(d, K, N, tB, `${where}: weights`), common, where);
  return packBsr(rt, blocksFromDense(d, K, N, tB, format === 'bsr1x4' ? '1x4' : '4x4'), common, where);
}

function checkRun(rt: Runtime, M: number, lda: number, ldc: number, p: PackedSparse, where: string): void {
  checkPackedSparse(rt, p, where);
  checkGemmStrides(M, lda, ldc, p.K, p.N, where);
}

/** Y[M×N] = act(X[M×K]·W + bias) (int8 weights: times their scales). lda/ldc in floats. */
export function spmmF32Ptr(rt: Runtime, M: number, xPtr: number, lda: number, packed: PackedSparse, yPtr: number, ldc: number, opts: { act?: Activation } = {}): void {
  const where = 'spmmF32Ptr';
  checkRun(rt, M, lda, ldc, packed, where);
  const [act, p0, p1] = encodeActivation(opts.act, `${where}: act`);
  const { K, N } = packed;
  if (M === 0 || N === 0) return;
  if (K > 0) rt.arena.check(xPtr, ((M - 1) * lda + K) * 4, `${where}: x`);
  rt.arena.check(yPtr, ((M - 1) * ldc + N) * 4, `${where}: y`);
  if (rt.wasm) {
    if (packed.format === 'csr') csrGemmF32(rt, M, xPtr, lda, packed, yPtr, ldc, act, p0, p1);
    else blockGemmF32(rt, M, xPtr, lda, packed, yPtr, ldc, act, p0, p1);
    return;
  }
  const x = rt.arena.f32(xPtr, K > 0 ? (M - 1) * lda + K : 0);
  const y = rt.arena.f32(yPtr, (M - 1) * ldc + N);
  spmmRef(x, M, packed.lists, y, {
    bias: packed.bias, scales: packed.weightType === 'int8' ? packed.scales : undefined, act: opts.act,
    xAt: (m, k) => x[m * lda + k], yIndex: (m, n) => m * ldc + n,
  });
}

export interface Int8InputOptions {
  zeroPoint?: number;
  /** Default: the type of the activations (convenience API) or 'int8'. */
  dtype?: 'int8' | 'uint8';
}

function checkZeroPoint(zp: number, dtype: 'int8' | 'uint8', where: string): void {
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  if (!Number.isInteger(zp) || zp < lo || zp > hi) throw new EdgeRunError('InvalidArgument', `${where}: zeroPoint ${zp} is not a ${dtype} value`);
}

/** Y[M×N] (int32) = Σ (X − zeroPoint)·W for int8 weights and int8/uint8 X. lda in bytes (elements), ldc in int32s. */
export function spmmI8Ptr(rt: Runtime, M: number, xPtr: number, lda: number, packed: PackedSparse, yPtr: number, ldc: number, opts: Int8InputOptions = {}): void {
  const where = 'spmmI8Ptr';
  checkRun(rt, M, lda, ldc, packed, where);
  if (packed.weightType !== 'int8') throw new EdgeRunError('DTypeMismatch', `${where}: packed weights are float32; int8 activations need int8 weights`);
  const dtype = opts.dtype ?? 'int8';
  if (dtype !== 'int8' && dtype !== 'uint8') throw new EdgeRunError('InvalidArgument', `${where}: dtype must be 'int8' or 'uint8'`);
  const zp = opts.zeroPoint ?? 0;
  checkZeroPoint(zp, dtype, where);
  const { K, N } = packed;
  if (M === 0 || N === 0) return;
  if (K > 0) rt.arena.check(xPtr, (M - 1) * lda + K, `${where}: x`);
  rt.arena.check(yPtr, ((M - 1) * ldc + N) * 4, `${where}: y`);
  if (rt.wasm) {
    if (packed.format === 'csr') csrGemmI32(rt, M, xPtr, lda, zp, dtype === 'int8', packed, yPtr, ldc);
    else blockGemmI32(rt, M, xPtr, lda, zp, dtype === 'int8', packed, yPtr, ldc);
    return;
  }
  const len = K > 0 ? (M - 1) * lda + K : 0;
  const x = dtype === 'int8' ? rt.arena.i8(xPtr, len) : rt.arena.u8(xPtr, len);
  const y = rt.arena.i32(yPtr, (M - 1) * ldc + N);
  spmmI32Ref(x, M, zp, packed.lists, y, { xAt: (m, k) => x[m * lda + k], yIndex: (m, n) => m * ldc + n });
}

/** Convenience: copies X (M×K) in and Y out. */
export function spmmF32(rt: Runtime, x: Float32Array, M: number, packed: PackedSparse, opts: { act?: Activation } = {}): Float32Array {
  const where = 'spmmF32';
  checkPackedSparse(rt, packed, where);
  const { K, N } = packed;
  return gemmViaArena(rt, where, x, M, K, N, { act: opts.act }, F32_ARRAYS, (xPtr, yPtr) => spmmF32Ptr(rt, M, xPtr, K, packed, yPtr, N, opts));
}

/** Convenience: int8/uint8 X (M×K) times int8 weights → int32 Y. */
export function spmmI8(rt: Runtime, x: Int8Array | Uint8Array, M: number, packed: PackedSparse, opts: { zeroPoint?: number } = {}): Int32Array {
  const where = 'spmmI8';
  checkPackedSparse(rt, packed, where);
  checkDim(M, `${where}: M`);
  if (!(x instanceof Int8Array) && !(x instanceof Uint8Array)) throw new EdgeRunError('DTypeMismatch', `${where}: x must be an Int8Array or a Uint8Array`);
  const { K, N } = packed;
  if (x.length !== M * K) throw new EdgeRunError('ShapeMismatch', `${where}: x has ${x.length} elements, expected M×K = ${M}×${K} = ${M * K}`);
  const dtype = x instanceof Int8Array ? 'int8' : 'uint8';
  const y = new Int32Array(M * N);
  if (packed.weightType !== 'int8') throw new EdgeRunError('DTypeMismatch', `${where}: packed weights are float32; int8 activations need int8 weights`);
  checkZeroPoint(opts.zeroPoint ?? 0, dtype, where);
  if (y.length === 0) return y;
  const xPtr = rt.arena.alloc(Math.max(1, x.length), 'sparse int8 GEMM input');
  let yPtr = -1;
  try {
    yPtr = rt.arena.alloc(y.length * 4, 'sparse int8 GEMM output');
    rt.arena.u8(xPtr, x.length).set(new Uint8Array(x.buffer, x.byteOffset, x.length));
    spmmI8Ptr(rt, M, xPtr, K, packed, yPtr, N, { zeroPoint: opts.zeroPoint, dtype });
    y.set(rt.arena.i32(yPtr, y.length));
  } finally {
    if (yPtr >= 0) rt.arena.free(yPtr);
    rt.arena.free(xPtr);
  }
  return y;
}
