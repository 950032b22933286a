// int8 / uint8 GEMM (FullyConnected, MatMul, QLinearMatMul, 1×1 conv in NHWC) and the raw int32
// variant (MatMulInteger). Weights are packed once into the arena; activations and outputs are
// arena addresses (pointer API) or typed arrays (convenience API).
//
// Zero points: both operands are widened to int16 with their zero points subtracted (weights at
// pack time, activations per call), so Σ (a − za)(w − zw) is computed directly and exactly; no
// correction sums are folded into the bias, and the input zero point may differ per call.
//
// Packed layouts (opaque to callers):
//  - WASM builds: 8-column panels, see wasm/i8-gemm.ts.
//  - reference build: the N int32 biases, then (w − zw) as K×N int16.
import { EdgeRunError } from '../../engine/errors.js';
import type { Runtime } from '../runtime.js';
import { matMulIntegerRef, qgemmRef } from '../reference/int8/gemm.js';
import {
  ArenaOwner, checkDType, checkDim, checkInt32Array, checkScales, checkZeroPoints, dtypeOf, newQArray, perChannel, qview, type QArray,
} from './common.js';
import {
  activationRange, checkScale, checkZeroPoint, convolutionMultiplier, fullyConnectedMultiplier, quantizeMultiplier,
  wasmOutputParams, writeLaneParams, LANE_PARAMS_WORDS, type QuantDType, type QuantizedMultiplier,
} from './qparams.js';
import { narrowRange, type QuantizedLayerOptions } from './conv-params.js';

const NR = 8;
const OUT_I32 = 0;
const OUT_Q_COLS = 1;
const OUT_Q_COLS_SHORT = 3;
/** Bytes of a panel's epilogue head: 8 biases + 2 lane records (wasm/lib/i8-gemm-4x8.ts). */
const HEAD_WORDS = 8 + 2 * LANE_PARAMS_WORDS;
/** Widened A rows per block (wasm/i8-gemm.ts): the block's strips should stay in L2 while every panel passes. */
const L2_STRIP_BYTES = 128 * 1024;
const MAX_STRIPS = 16;

/** Strips of 4 rows the WASM kernel widens at once for this K. */
function stripsPerBlock(K: number): number {
  const kp = (K + 1) >> 1;
  return Math.max(1, Math.min(MAX_STRIPS, Math.floor(L2_STRIP_BYTES / Math.max(1, kp * 16))));
}

/** A GEMM's output channels are its columns (N). */
export interface QGemmOptions extends QuantizedLayerOptions {
  /**
   * How the real multiplier input·weight/output is formed: 'conv' (default; in double, as TFLite's
   * conv, depthwise and per-channel FullyConnected) or 'fullyConnected' (input·weight as a float32
   * product first, as TFLite's per-tensor FullyConnected).
   */
  multiplierRule?: 'conv' | 'fullyConnected';
  /** weights are N×K (row n = column n of W) instead of K×N. */
  transB?: boolean;
}

export interface MatMulIntegerOptions {
  /** Per column (length N) or per tensor; default 0. */
  bZeroPoint?: number | ArrayLike<number>;
  transB?: boolean;
}

export class PackedQGemm extends ArenaOwner {
  constructor(
    rt: Runtime,
    blocks: number[],
    readonly K: number,
    readonly N: number,
    /** 'requant': int8/uint8 out; 'int32': raw sums (MatMulInteger). */
    readonly mode: 'requant' | 'int32',
    readonly weightsPtr: number,
    /** Widened activations, stripsPerBlock(K) strips of 4 rows (WASM builds). */
    readonly scratchPtr: number,
    readonly inputZeroPoint: number,
    readonly inputDType: QuantDType,
    readonly outputZeroPoint: number,
    readonly outputDType: QuantDType,
    readonly range: [number, number],
    readonly multipliers: QuantizedMultiplier[],
    /** Panel heads in the short requantization form (wasm/lib/i8-gemm-4x8.ts OUT_Q_COLS_SHORT). */
    readonly short = false,
  ) {
    super(rt, blocks);
  }
}

interface Unpacked {
  /** (w − zw) at [k][n]. */
  at: (k: number, n: number) => number;
  bias: number[];
  multipliers: QuantizedMultiplier[];
  /** max |a − za| over the input dtype; null: raw int32 output (no requantization). */
  maxA: number | null;
}

/**
 * The short-form head of each panel (OUT_Q_COLS_SHORT in wasm/lib/i8-gemm-4x8.ts), or null when
 * some column does not qualify: a right shift of 1 to 30, and |acc + bias| · 2^(E − right) < 2^30
 * with E the panel's largest right shift (acc bounded by Σ_k |w − zw| · max |a − za|).
 */
function shortHeads(K: number, N: number, u: Unpacked): Int32Array[] | null {
  if (u.maxA === null) return null;
  const heads: Int32Array[] = [];
  for (let p = 0; p * NR < N; p++) {
    const cols = Math.min(NR, N - p * NR);
    const rights: number[] = [];
    for (let j = 0; j < cols; j++) {
      const sh = u.multipliers[p * NR + j].shift;
      if (sh > -1 || sh < -30) return null;
      rights.push(-sh);
    }
    const E = Math.max(...rights);
    const head = new Int32Array(HEAD_WORDS);
    for (let j = 0; j < cols; j++) {
      const n = p * NR + j;
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.abs(u.at(k, n));
      if ((sum * u.maxA + Math.abs(u.bias[n])) * 2 ** (E - rights[j]) >= 2 ** 30) return null;
      head[j] = u.bias[n];
      head[8 + j] = u.multipliers[n].multiplier;
      head[16 + j] = 2 ** (E - rights[j]);
    }
    head[24] = E;
    head[25] = 2 ** (E - 1);
    heads.push(head);
  }
  return heads;
}

function pack(rt: Runtime, K: number, N: number, u: Unpacked, where: string): { blocks: number[]; weightsPtr: number; scratchPtr: number; short: boolean } {
  if (rt.build === 'reference') {
    const ptr = rt.arena.alloc(K * N * 2 + N * 4, `${where}: packed weights`);
    rt.arena.i32(ptr, N).set(u.bias);
    const w = rt.arena.i16(ptr + N * 4, K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) w[k * N + n] = u.at(k, n);
    return { blocks: [ptr], weightsPtr: ptr, scratchPtr: 0, short: false };
  }
  const heads = shortHeads(K, N, u);
  const kp = (K + 1) >> 1;
  const panels = Math.ceil(N / NR);
  const panelWords = HEAD_WORDS + kp * 8;
  const ptr = rt.arena.alloc(panels * panelWords * 4, `${where}: packed weights`);
  let scratch = -1;
  try {
    scratch = rt.arena.alloc(stripsPerBlock(K) * kp * 16, `${where}: activation scratch`);
  } catch (e) {
    rt.arena.free(ptr);
    throw e;
  }
  const words = rt.arena.i32(ptr, panels * panelWords);
  const halves = rt.arena.i16(ptr, panels * panelWords * 2);
  words.fill(0);
  for (let p = 0; p < panels; p++) {
    const base = p * panelWords;
    const cols = Math.min(NR, N - p * NR);
    if (heads) {
      words.set(heads[p], base);
    } else {
      for (let j = 0; j < cols; j++) words[base + j] = u.bias[p * NR + j];
      writeLaneParams(words, base + 8, u.multipliers.slice(p * NR, p * NR + cols), 0);
      writeLaneParams(words, base + 8 + LANE_PARAMS_WORDS, u.multipliers.slice(p * NR, p * NR + cols), 4);
    }
    const w0 = (base + HEAD_WORDS) * 2;
    for (let j = 0; j < cols; j++) {
      const n = p * NR + j;
      for (let k = 0; k < K; k++) halves[w0 + (k >> 1) * 16 + j * 2 + (k & 1)] = u.at(k, n);
    }
  }
  return { blocks: [ptr, scratch], weightsPtr: ptr, scratchPtr: scratch, short: heads !== null };
}

function weightAccessor(w: QArray, K: number, N: number, transB: boolean, zw: number[]): (k: number, n: number) => number {
  return transB ? (k, n) => w[n * K + k] - zw[n] : (k, n) => w[k * N + n] - zw[n];
}

function checkWeights(w: unknown, K: number, N: number, where: string): QArray {
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  dtypeOf(w, `${where}: weights`);
  const arr = w as QArray;
  if (arr.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: weights have ${arr.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  return arr;
}

/** Packs quantized weights W (K×N, or N×K with transB) with their requantization parameters. */
export function packQGemm(rt: Runtime, weights: QArray, K: number, N: number, opts: QGemmOptions): PackedQGemm {
  const where = 'packQGemm';
  const w = checkWeights(weights, K, N, where);
  if (typeof opts !== 'object' || opts === null) throw new EdgeRunError('InvalidArgument', `${where}: options with scales and zero points are required`);
  const wDType = dtypeOf(w, `${where}: weights`);
  const inDType = checkDType(opts.inputDType, `${where}: inputDType`);
  const outDType = checkDType(opts.outputDType, `${where}: outputDType`);
  checkScale(opts.inputScale, `${where}: inputScale`);
  checkScale(opts.outputScale, `${where}: outputScale`);
  checkZeroPoint(opts.inputZeroPoint, inDType, `${where}: inputZeroPoint`);
  checkZeroPoint(opts.outputZeroPoint, outDType, `${where}: outputZeroPoint`);
  const scales = perChannel(opts.weightScales, N, NaN, `${where}: weightScales`);
  checkScales(scales, `${where}: weightScales`);
  const zw = perChannel(opts.weightZeroPoints, N, 0, `${where}: weightZeroPoints`);
  checkZeroPoints(zw, wDType, `${where}: weightZeroPoints`);
  const bias = opts.bias === undefined ? new Array(N).fill(0) : Array.from(checkInt32Array(opts.bias, N, `${where}: bias`));
  const rule = opts.multiplierRule ?? 'conv';
  if (rule !== 'conv' && rule !== 'fullyConnected') throw new EdgeRunError('InvalidArgument', `${where}: multiplierRule must be 'conv' or 'fullyConnected', got ${String(rule)}`);
  const real = rule === 'conv' ? convolutionMultiplier : fullyConnectedMultiplier;
  const multipliers = scales.map((s, n) => quantizeMultiplier(real(opts.inputScale, s, opts.outputScale), `${where}: multiplier of column ${n}`));
  const range = narrowRange(activationRange(opts.act, { scale: opts.outputScale, zeroPoint: opts.outputZeroPoint }, outDType), opts.clamp, `${where}: clamp`);
  const [alo, ahi] = inDType === 'int8' ? [-128, 127] : [0, 255];
  const maxA = Math.max(opts.inputZeroPoint - alo, ahi - opts.inputZeroPoint);
  const u: Unpacked = { at: weightAccessor(w, K, N, opts.transB ?? false, zw), bias, multipliers, maxA };
  const { blocks, weightsPtr, scratchPtr, short } = pack(rt, K, N, u, where);
  return new PackedQGemm(rt, blocks, K, N, 'requant', weightsPtr, scratchPtr, opts.inputZeroPoint, inDType, opts.outputZeroPoint, outDType, range, multipliers, short);
}

/** Packs B (K×N, or N×K with transB) of MatMulInteger: raw int32 outputs, no requantization. */
export function packMatMulInteger(rt: Runtime, b: QArray, K: number, N: number, opts: MatMulIntegerOptions = {}): PackedQGemm {
  const where = 'packMatMulInteger';
  const w = checkWeights(b, K, N, where);
  const zw = perChannel(opts.bZeroPoint, N, 0, `${where}: bZeroPoint`);
  checkZeroPoints(zw, dtypeOf(w, where), `${where}: bZeroPoint`);
  const u: Unpacked = { at: weightAccessor(w, K, N, opts.transB ?? false, zw), bias: new Array(N).fill(0), multipliers: [], maxA: null };
  const { blocks, weightsPtr, scratchPtr } = pack(rt, K, N, u, where);
  return new PackedQGemm(rt, blocks, K, N, 'int32', weightsPtr, scratchPtr, 0, 'int8', 0, 'int8', [0, 0], []);
}

function checkPacked(rt: Runtime, packed: PackedQGemm, mode: 'requant' | 'int32', where: string): void {
  if (!(packed instanceof PackedQGemm)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from ${mode === 'requant' ? 'packQGemm' : 'packMatMulInteger'}`);
  if (packed.mode !== mode) throw new EdgeRunError('InvalidArgument', `${where}: packed was made by ${packed.mode === 'requant' ? 'packQGemm' : 'packMatMulInteger'}`);
  packed.checkUsable(rt, where);
}

function run(
  rt: Runtime, M: number, aPtr: number, lda: number, za: number, aDType: QuantDType, packed: PackedQGemm, cPtr: number, ldc: number, where: string,
): void {
  const { K, N } = packed;
  checkDim(M, `${where}: M`);
  checkDim(lda, `${where}: lda`);
  checkDim(ldc, `${where}: ldc`);
  if (lda < K) throw new EdgeRunError('InvalidArgument', `${where}: lda ${lda} is smaller than K = ${K}`);
  if (ldc < N) throw new EdgeRunError('InvalidArgument', `${where}: ldc ${ldc} is smaller than N = ${N}`);
  if (M === 0 || N === 0) return;
  const esz = packed.mode === 'int32' ? 4 : 1;
  if (K > 0) rt.arena.check(aPtr, (M - 1) * lda + K, `${where}: a`);
  rt.arena.check(cPtr, ((M - 1) * ldc + N) * esz, `${where}: c`);
  if (rt.wasm) {
    const mode = packed.mode === 'int32' ? OUT_I32 : packed.short ? OUT_Q_COLS_SHORT : OUT_Q_COLS;
    const o = wasmOutputParams(packed.outputZeroPoint, packed.range, packed.outputDType);
    rt.wasm.i8_gemm(M, K, N, aPtr, lda, aDType === 'uint8' ? 1 : 0, za, packed.weightsPtr, cPtr, ldc, mode, o.zp, o.lo, o.hi, o.flip, packed.scratchPtr, stripsPerBlock(K));
    return;
  }
  const arena = rt.arena;
  const bias = arena.i32(packed.weightsPtr, N);
  const w = arena.i16(packed.weightsPtr + N * 4, K * N);
  const a = qview(rt, aDType, aPtr, K > 0 ? (M - 1) * lda + K : 0);
  if (packed.mode === 'int32') {
    const acc = matMulIntegerRef(a, w, M, K, N, za, 0, lda);
    const c = arena.i32(cPtr, (M - 1) * ldc + N);
    for (let m = 0; m < M; m++) c.set(acc.subarray(m * N, m * N + N), m * ldc);
    return;
  }
  const c = qview(rt, packed.outputDType, cPtr, (M - 1) * ldc + N);
  qgemmRef(a, w, M, K, N, {
    za, zw: 0, bias, multipliers: packed.multipliers, outputZeroPoint: packed.outputZeroPoint, actMin: packed.range[0], actMax: packed.range[1], lda, ldc,
  }, c);
}

/** C[M×N] (int8/uint8, row stride ldc) = requant(A[M×K] (row stride lda) · W + bias). Arena byte addresses. */
export function qgemmPtr(rt: Runtime, M: number, aPtr: number, lda: number, packed: PackedQGemm, cPtr: number, ldc: number): void {
  const where = 'qgemmPtr';
  checkPacked(rt, packed, 'requant', where);
  run(rt, M, aPtr, lda, packed.inputZeroPoint, packed.inputDType, packed, cPtr, ldc, where);
}

/** C[M×N] int32 = Σ (a − aZeroPoint)(b − bZeroPoint). Arena byte addresses; lda/ldc in elements. */
export function matMulIntegerPtr(
  rt: Runtime, M: number, aPtr: number, lda: number, aZeroPoint: number, aDType: QuantDType, packed: PackedQGemm, cPtr: number, ldc: number,
): void {
  const where = 'matMulIntegerPtr';
  checkPacked(rt, packed, 'int32', where);
  const dt = checkDType(aDType, `${where}: aDType`);
  checkZeroPoint(aZeroPoint, dt, `${where}: aZeroPoint`);
  run(rt, M, aPtr, lda, aZeroPoint, dt, packed, cPtr, ldc, where);
}

function withArena<T>(rt: Runtime, a: QArray, outBytes: number, body: (aPtr: number, cPtr: number) => T): T {
  const arena = rt.arena;
  const aPtr = arena.alloc(a.byteLength, 'int8 GEMM input');
  let cPtr = -1;
  try {
    cPtr = arena.alloc(outBytes, 'int8 GEMM output');
    new Uint8Array(arena.buffer, aPtr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return body(aPtr, cPtr);
  } finally {
    if (cPtr >= 0) arena.free(cPtr);
    arena.free(aPtr);
  }
}

/** Convenience: A (M×K, dtype as packed) in, C (M×N, the output dtype) out. */
export function qgemm(rt: Runtime, a: QArray, M: number, packed: PackedQGemm): QArray {
  const where = 'qgemm';
  checkPacked(rt, packed, 'requant', where);
  checkDim(M, `${where}: M`);
  if (dtypeOf(a, `${where}: a`) !== packed.inputDType) throw new EdgeRunError('DTypeMismatch', `${where}: a is ${dtypeOf(a, where)} but the weights were packed for ${packed.inputDType} inputs`);
  if (a.length !== M * packed.K) throw new EdgeRunError('ShapeMismatch', `${where}: a has ${a.length} elements, expected M×K = ${M}×${packed.K} = ${M * packed.K}`);
  const out = newQArray(packed.outputDType, M * packed.N);
  if (out.length === 0) return out;
  return withArena(rt, a, out.length, (aPtr, cPtr) => {
    qgemmPtr(rt, M, aPtr, packed.K, packed, cPtr, packed.N);
    out.set(qview(rt, packed.outputDType, cPtr, out.length));
    return out;
  });
}

/** Convenience: MatMulInteger on typed arrays (A: M×K int8 or uint8). */
export function matMulInteger(rt: Runtime, a: QArray, M: number, aZeroPoint: number, packed: PackedQGemm): Int32Array {
  const where = 'matMulInteger';
  checkPacked(rt, packed, 'int32', where);
  checkDim(M, `${where}: M`);
  const dt = dtypeOf(a, `${where}: a`);
  if (a.length !== M * packed.K) throw new EdgeRunError('ShapeMismatch', `${where}: a has ${a.length} elements, expected M×K = ${M}×${packed.K} = ${M * packed.K}`);
  const out = new Int32Array(M * packed.N);
  if (out.length === 0) return out;
  return withArena(rt, a, out.length * 4, (aPtr, cPtr) => {
    matMulIntegerPtr(rt, M, aPtr, packed.K, aZeroPoint, dt, packed, cPtr, packed.N);
    out.set(rt.arena.i32(cPtr, out.length));
    return out;
  });
}
