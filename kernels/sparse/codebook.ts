// Clustered (codebook) weights for Gemm/MatMul: W[k][n] = centroids[index[k][n]], at most 256
// centroids per tensor or per output column, indices stored at 2, 4 or 8 bits (a 4-bit tensor
// is 8× smaller than float32). Y[M×N] = X[M×K]·W + bias, then act.
//
// Two kernels read the same packed indices (wasm/codebook.ts):
//  'decode'   — indices → a small float panel in L1 → the dense GEMM microkernels (batch 1 with
//               4-bit per-tensor indices: decoded in registers straight into the FMAs);
//  'centroid' — per output column, sum the inputs of each centroid, one multiply per centroid.
// 'auto' picks per call from the crossover measured on this machine (CODEBOOK_CROSSOVER).
import { EdgeRunError } from '../../engine/errors.js';
import { encodeActivation, type Activation } from '../activation.js';
import { checkDim, checkGemmStrides, gemmViaArena, type GemmArrayNames } from '../gemm-api.js';
import { checkPackedWeights, PackedArenaWeights } from '../packed-weights.js';
import { codebookGemmRef, type CodebookRefWeights } from '../reference/codebook.js';
import type { Runtime } from '../runtime.js';
import { scratch } from './scratch.js';

export interface Codebook {
  /** C centroids, or N × C (one codebook per output column) with perColumn. */
  centroids: Float32Array;
  /** One index per weight, laid out as the dense weights (K×N, or N×K with transB). */
  indices: Uint8Array;
  bits: 2 | 4 | 8;
  perColumn?: boolean;
}

export type CodebookDesign = 'decode' | 'centroid';

/**
 * Measured on the development machine (bench/cases/codebook.ts, both builds): the decode design
 * was faster at every shape measured, batch 1 to 64, 2/4/8 bits, so 'auto' never picks
 * 'centroid' (it adds per weight what the decode design multiplies-and-adds per weight, and
 * pays a scatter into the centroid sums). Kept as a measured alternative, selectable by hand.
 */
export const CODEBOOK_CROSSOVER = { centroidBelowRows: 0 } as const;

/**
 * Decoded block: one panel, up to 1024 k rows (32 KiB of floats, this machine's L1d), so each C
 * tile is loaded and stored once per 1024 k. Measured at 1024×1024, batch 16, against 4 panels ×
 * 128 rows (the C tiles reloaded 8 times): 8% faster on both builds; 2 panels × 512 and
 * 4 × 256 fall in between.
 */
const KC_BLOCK = 1024;
const BLOCK_PANELS = 1;
/**
 * Rows below which 4-bit per-tensor calls decode straight into the FMAs (no decoded panel), one
 * row at a time. Measured at 1024×1024: batch 1 0.18–0.20 ms fused vs 0.29 ms through a decoded
 * panel; at batch 2 decoding twice (~0.38 ms) loses to the decoded panel (0.34 ms).
 */
const FUSED_GEMV_BELOW_ROWS = 2;
const ARRAYS: GemmArrayNames = { input: 'x', inLabel: 'codebook GEMM input', outLabel: 'codebook GEMM output' };

export class PackedCodebookGemm extends PackedArenaWeights {
  constructor(
    rt: Runtime,
    readonly K: number,
    readonly N: number,
    readonly bits: 2 | 4 | 8,
    readonly C: number,
    readonly perColumn: boolean,
    readonly design: CodebookDesign | 'auto',
    ptr: number,
    /** Bytes of the packed indices alone (the compressed weights). */
    readonly indexBytes: number,
    readonly offsets: { idx: number; planes: number; table: number; bias: number },
    /** Reference build: the codebook as given, and the bias. */
    readonly ref: { cb: CodebookRefWeights; transB: boolean; bias: Float32Array },
  ) {
    super(rt, ptr);
  }
  protected get what(): string {
    return 'packed codebook weights';
  }
}

/** The exact codebook of W (its distinct values), per tensor or per output column. Throws when there are more than 2^bits. */
export function codebookFromDense(w: Float32Array, K: number, N: number, opts: { transB?: boolean; perColumn?: boolean; bits?: 2 | 4 | 8 } = {}): Codebook {
  const where = 'codebookFromDense';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  if (!(w instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: weights must be a Float32Array`);
  if (w.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: weights have ${w.length} elements, expected K×N = ${K * N}`);
  const bits = opts.bits ?? 4;
  checkBits(bits, where);
  const at = opts.transB ? (k: number, n: number) => n * K + k : (k: number, n: number) => k * N + n;
  const indices = new Uint8Array(K * N);
  const groups = opts.perColumn ? N : 1;
  const tables: number[][] = [];
  for (let g = 0; g < groups; g++) {
    const values = new Map<number, number>();
    const cols = opts.perColumn ? [g] : Array.from({ length: N }, (_, n) => n);
    for (const n of cols) {
      for (let k = 0; k < K; k++) {
        const v = w[at(k, n)];
        let i = values.get(v);
        if (i === undefined) {
          i = values.size;
          if (i >= 1 << bits) {
            throw new EdgeRunError('InvalidArgument', `${where}: weights${opts.perColumn ? ` of output column ${n}` : ''} have more than ${1 << bits} distinct values (${bits}-bit indices)`);
          }
          values.set(v, i);
        }
        indices[at(k, n)] = i;
      }
    }
    tables.push([...values.keys()]);
  }
  const C = Math.max(1, ...tables.map((t) => t.length));
  const centroids = new Float32Array(groups * C);
  tables.forEach((t, g) => centroids.set(t, g * C));
  return { centroids, indices, bits, perColumn: opts.perColumn ?? false };
}

function checkBits(bits: unknown, where: string): void {
  if (bits !== 2 && bits !== 4 && bits !== 8) throw new EdgeRunError('InvalidArgument', `${where}: bits must be 2, 4 or 8, got ${String(bits)}`);
}

function checkCodebook(cb: Codebook, K: number, N: number, where: string): number {
  if (typeof cb !== 'object' || cb === null) throw new EdgeRunError('InvalidArgument', `${where}: codebook must be { centroids, indices, bits }`);
  checkBits(cb.bits, where);
  if (!(cb.centroids instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: centroids must be a Float32Array`);
  if (!(cb.indices instanceof Uint8Array)) throw new EdgeRunError('DTypeMismatch', `${where}: indices must be a Uint8Array (one index per weight)`);
  if (cb.indices.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: indices has ${cb.indices.length} entries, expected K×N = ${K}×${N} = ${K * N}`);
  const groups = cb.perColumn ? N : 1;
  if (groups === 0 || cb.centroids.length % groups !== 0) {
    throw new EdgeRunError('ShapeMismatch', `${where}: ${cb.centroids.length} centroids do not split into ${groups} per-column codebooks`);
  }
  const C = cb.centroids.length / groups;
  if (C < 1) throw new EdgeRunError('InvalidArgument', `${where}: the codebook is empty`);
  if (C > 256) throw new EdgeRunError('InvalidArgument', `${where}: codebook has ${C} centroids; at most 256`);
  if (C > 1 << cb.bits) throw new EdgeRunError('InvalidArgument', `${where}: codebook has ${C} centroids, more than ${cb.bits}-bit indices can address`);
  for (let i = 0; i < cb.centroids.length; i++) {
    if (!Number.isFinite(cb.centroids[i])) throw new EdgeRunError('InvalidArgument', `${where}: centroids[${i}] = ${cb.centroids[i]} is not finite`);
  }
  for (let i = 0; i < cb.indices.length; i++) {
    if (cb.indices[i] >= C) throw new EdgeRunError('InvalidArgument', `${where}: indices[${i}] = ${cb.indices[i]} is out of range [0, ${C})`);
  }
  return C;
}

export function packCodebookGemm(
  rt: Runtime, cb: Codebook, K: number, N: number,
  opts: { transB?: boolean; bias?: Float32Array; design?: CodebookDesign | 'auto' } = {},
): PackedCodebookGemm {
  const where = 'packCodebookGemm';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  const C = checkCodebook(cb, K, N, where);
  const design = opts.design ?? 'auto';
  if (design !== 'auto' && design !== 'decode' && design !== 'centroid') throw new EdgeRunError('InvalidArgument', `${where}: design must be 'auto', 'decode' or 'centroid'`);
  const bias = new Float32Array(N);
  if (opts.bias !== undefined) {
    if (!(opts.bias instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: bias must be a Float32Array`);
    if (opts.bias.length !== N) throw new EdgeRunError('ShapeMismatch', `${where}: bias has ${opts.bias.length} elements, expected N = ${N}`);
    bias.set(opts.bias);
  }
  const transB = opts.transB ?? false;
  const perColumn = cb.perColumn ?? false;
  const ref = { cb: { centroids: cb.centroids.slice(), indices: cb.indices.slice(), perColumn }, transB, bias };
  const panels = Math.ceil(N / 8);
  const indexBytes = panels * K * cb.bits;
  if (!rt.wasm) return new PackedCodebookGemm(rt, K, N, cb.bits, C, perColumn, design, -1, indexBytes, { idx: 0, planes: 0, table: 0, bias: 0 }, ref);

  const a16 = (n: number) => Math.ceil(n / 16) * 16;
  const offsets = { idx: 0, planes: a16(indexBytes + 8), table: 0, bias: 0 };
  offsets.table = offsets.planes + 64;
  offsets.bias = offsets.table + a16(cb.centroids.length * 4);
  const total = offsets.bias + panels * 32;
  const ptr = rt.arena.alloc(total, `${where}: packed codebook weights`);
  const bytes = rt.arena.u8(ptr, total);
  bytes.fill(0);
  const at = transB ? (k: number, n: number) => cb.indices[n * K + k] : (k: number, n: number) => cb.indices[k * N + n];
  for (let p = 0; p < panels; p++) {
    for (let k = 0; k < K; k++) {
      const row = (p * K + k) * cb.bits;
      for (let j = 0; j < 8 && 8 * p + j < N; j++) {
        const bit = j * cb.bits;
        bytes[row + (bit >> 3)] |= at(k, 8 * p + j) << (bit & 7);
      }
    }
  }
  if (!perColumn && C <= 16) {
    // Byte planes for the 4-bit SIMD decode: plane b, entry i = byte b of centroid i.
    const cbBytes = new Uint8Array(cb.centroids.buffer, cb.centroids.byteOffset, C * 4);
    for (let i = 0; i < C; i++) for (let b = 0; b < 4; b++) bytes[offsets.planes + 16 * b + i] = cbBytes[4 * i + b];
  }
  rt.arena.f32(ptr + offsets.table, cb.centroids.length).set(cb.centroids);
  rt.arena.f32(ptr + offsets.bias, N).set(bias);
  return new PackedCodebookGemm(rt, K, N, cb.bits, C, perColumn, design, ptr, indexBytes, offsets, ref);
}

/** The design a call with M rows runs. */
export function codebookDesignFor(packed: PackedCodebookGemm, M: number): CodebookDesign {
  if (packed.design !== 'auto') return packed.design;
  return M < CODEBOOK_CROSSOVER.centroidBelowRows ? 'centroid' : 'decode';
}

/** Y[M×N] = act(X[M×K]·W + bias). Arena byte addresses; lda/ldc in floats. */
export function codebookGemmF32Ptr(
  rt: Runtime, M: number, xPtr: number, lda: number, packed: PackedCodebookGemm, yPtr: number, ldc: number, opts: { act?: Activation } = {},
): void {
  const where = 'codebookGemmF32Ptr';
  checkPackedWeights(rt, packed, PackedCodebookGemm, 'packCodebookGemm', where);
  const { K, N } = packed;
  checkGemmStrides(M, lda, ldc, K, N, where);
  const [act, p0, p1] = encodeActivation(opts.act, `${where}: act`);
  if (M === 0 || N === 0) return;
  if (K > 0) rt.arena.check(xPtr, ((M - 1) * lda + K) * 4, `${where}: x`);
  rt.arena.check(yPtr, ((M - 1) * ldc + N) * 4, `${where}: y`);
  const w = rt.wasm;
  if (!w) {
    const x = rt.arena.f32(xPtr, K > 0 ? (M - 1) * lda + K : 0);
    codebookGemmRef(x, M, K, N, packed.ref.cb, rt.arena.f32(yPtr, (M - 1) * ldc + N), { transB: packed.ref.transB, bias: packed.ref.bias, act: opts.act, lda, ldc });
    return;
  }
  const o = packed.offsets;
  const b = packed.ptr;
  const perColumn = packed.perColumn ? 1 : 0;
  if (codebookDesignFor(packed, M) === 'decode') {
    if (M < FUSED_GEMV_BELOW_ROWS && packed.bits === 4 && !packed.perColumn && packed.C <= 16) {
      w.codebook_gemv4(M, K, N, b + o.idx, b + o.planes, b + o.bias, xPtr, lda, yPtr, ldc, act, p0, p1);
      return;
    }
    const s = scratch(rt.arena, 'codebook decode', w.codebook_decode_scratch_bytes(M, K, KC_BLOCK, BLOCK_PANELS));
    w.codebook_gemm_decode(M, K, N, b + o.idx, packed.bits, b + o.planes, b + o.table, perColumn, packed.C, b + o.bias, xPtr, lda, yPtr, ldc, act, p0, p1, s, KC_BLOCK, BLOCK_PANELS);
    return;
  }
  const Mp = (M + 3) & ~3;
  const s = scratch(rt.arena, 'codebook centroid sums', K * Mp * 4 + packed.C * Mp * 4);
  w.spmm_transpose_f32(xPtr, lda * 4, M, K, s, Mp);
  w.codebook_gemm_centroid(M, K, N, b + o.idx, packed.bits, b + o.table, perColumn, packed.C, b + o.bias, s, Mp, s + K * Mp * 4, yPtr, ldc, act, p0, p1);
}

/** Convenience: copies X (M×K) in and Y out. */
export function codebookGemmF32(rt: Runtime, x: Float32Array, M: number, packed: PackedCodebookGemm, opts: { act?: Activation } = {}): Float32Array {
  const where = 'codebookGemmF32';
  checkPackedWeights(rt, packed, PackedCodebookGemm, 'packCodebookGemm', where);
  const { K, N } = packed;
  return gemmViaArena(rt, where, x, M, K, N, { act: opts.act }, ARRAYS, (xPtr, yPtr) => codebookGemmF32Ptr(rt, M, xPtr, K, packed, yPtr, N, opts));
}
