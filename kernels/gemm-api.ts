// What the TypeScript faces of the GEMM-shaped kernels share (fp32, fp16 and hybrid int8 GEMM,
// sparse and codebook GEMM): the argument checks of the pointer API and the whole convenience
// layer over Float32Arrays.
import { EdgeRunError } from '../engine/errors.js';
import { encodeActivation, type Activation } from './activation.js';
import { withArenaBuffers } from './arena-io.js';
import type { Runtime } from './runtime.js';

const isDim = (v: number) => Number.isInteger(v) && v >= 0;

/** Throws unless v is a non-negative integer. */
export function checkDim(v: number, what: string): void {
  if (!isDim(v)) throw new EdgeRunError('InvalidArgument', `${what} must be a non-negative integer, got ${v}`);
}

export function checkF32(x: unknown, what: string): void {
  if (!(x instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${what} must be a Float32Array`);
}

/**
 * M, lda and ldc (row strides in floats) of a pointer call on packed K×N weights. Runs on every
 * pointer call: the messages are built only on failure (`where` is not a constant here, so each
 * would be a string allocation).
 */
export function checkGemmStrides(M: number, lda: number, ldc: number, K: number, N: number, where: string): void {
  if (!isDim(M) || !isDim(lda) || !isDim(ldc) || lda < K || ldc < N) throwGemmStrides(M, lda, ldc, K, N, where);
}

function throwGemmStrides(M: number, lda: number, ldc: number, K: number, N: number, where: string): never {
  checkDim(M, `${where}: M`);
  checkDim(lda, `${where}: lda`);
  checkDim(ldc, `${where}: ldc`);
  if (lda < K) throw new EdgeRunError('InvalidArgument', `${where}: lda ${lda} is smaller than K = ${K}`);
  throw new EdgeRunError('InvalidArgument', `${where}: ldc ${ldc} is smaller than N = ${N}`);
}

/**
 * Every check of a pointer call on packed K×N weights: strides, the activation, and that the
 * input (M×K at stride lda) and output (M×N at stride ldc) lie inside the arena. Returns the
 * encoded activation, or null when the call has nothing to compute (M or N is 0).
 */
export function checkGemmPtrCall(
  rt: Runtime,
  M: number,
  aPtr: number,
  lda: number,
  cPtr: number,
  ldc: number,
  K: number,
  N: number,
  act: Activation | undefined,
  where: string,
  names: { a: string; c: string } = { a: 'a', c: 'c' },
): [number, number, number] | null {
  checkGemmStrides(M, lda, ldc, K, N, where);
  const encoded = encodeActivation(act, `${where}: act`);
  if (M === 0 || N === 0) return null;
  if (K > 0) rt.arena.check(aPtr, ((M - 1) * lda + K) * 4, `${where}: ${names.a}`);
  rt.arena.check(cPtr, ((M - 1) * ldc + N) * 4, `${where}: ${names.c}`);
  return encoded;
}

/** How a convenience call names its input in messages, and the arena blocks it allocates. */
export interface GemmArrayNames {
  readonly input: 'a' | 'x';
  readonly inLabel: string;
  readonly outLabel: string;
}

export interface GemmArrayOptions {
  act?: Activation;
  accumulate?: boolean;
  c?: Float32Array;
}

/**
 * The convenience layer over packed K×N weights: checks `input` (M×K) and opts.c (M×N), then
 * runs `runPtr` on arena copies (C's values copied in first when accumulating) and returns C:
 * opts.c, written in place, or a new array.
 */
export function gemmViaArena(
  rt: Runtime,
  where: string,
  input: Float32Array,
  M: number,
  K: number,
  N: number,
  opts: GemmArrayOptions,
  names: GemmArrayNames,
  runPtr: (inPtr: number, outPtr: number) => void,
): Float32Array {
  checkDim(M, `${where}: M`);
  checkF32(input, `${where}: ${names.input}`);
  if (input.length !== M * K) {
    throw new EdgeRunError('ShapeMismatch', `${where}: ${names.input} has ${input.length} elements, expected M×K = ${M}×${K} = ${M * K}`);
  }
  if (opts.c !== undefined) {
    checkF32(opts.c, `${where}: c`);
    if (opts.c.length !== M * N) throw new EdgeRunError('ShapeMismatch', `${where}: c has ${opts.c.length} elements, expected M×N = ${M}×${N} = ${M * N}`);
  } else if (opts.accumulate) {
    throw new EdgeRunError('InvalidArgument', `${where}: accumulate needs c (the values to add onto)`);
  }
  encodeActivation(opts.act, `${where}: act`);
  const c = opts.c ?? new Float32Array(M * N);
  if (M === 0 || N === 0) return c;
  withArenaBuffers(rt, input, names.inLabel, c, names.outLabel, !!opts.accumulate, runPtr);
  return c;
}
