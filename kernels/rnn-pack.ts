// Packs recurrent-cell weights. Output columns come in panels of 8 with the gates of each block
// of 8 hidden units interleaved (LSTM [i o f c], GRU [z r h]), so one unit block owns
// consecutive panels and the gate kernels read its gates side by side. Hidden units beyond H
// (padding to a multiple of 8) get zero weights and bias; K may be padded too (zero rows), so
// padded state entries never reach real units.
import type { Runtime } from './runtime.js';
import { UNIT_BLOCK } from './rnn-common.js';

/** Recurrent weights in the arena, in the grouped layout of packRecurrentHost. */
export interface PackedPanels {
  readonly ptr: number;
  readonly bytes: number;
  /** Reduction length (rows per panel after the bias row). */
  readonly K: number;
  /** Output columns (a multiple of 8). */
  readonly N: number;
}

/**
 * Source row (in a [gateCount·H × K] ONNX weight) of interleaved packed column n, or -1 for a
 * padding unit. `gates` lists which ONNX gates this pack holds, in block order.
 */
export function interleavedSource(n: number, gates: readonly number[], H: number): number {
  const G = gates.length;
  const panel = Math.floor(n / UNIT_BLOCK);
  const block = Math.floor(panel / G);
  const unit = block * UNIT_BLOCK + (n % UNIT_BLOCK);
  return unit < H ? gates[panel % G] * H + unit : -1;
}

/** Panels per k-major group of the recurrent layout: 8 while 8 remain, then 4, 2, 1 (wasm/rnn.ts). */
export function groupWidth(left: number): number {
  return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

/**
 * Recurrent weights as a host array in the grouped k-major layout rnn_gemv reads: per group of
 * `width` panels, `[bias × 8·width][k0: 8·width]...[kK-1: 8·width]`. `w` is row-major
 * [rows × kSrc] from `wBase` (ONNX R of one direction); `kPacked` ≥ kSrc pads K with zero rows.
 * Packed column n reads source row `source(n)` (-1: a zero padding column), bias `bias(row)`.
 */
export function packRecurrentHost(
  w: Float32Array,
  wBase: number,
  kSrc: number,
  kPacked: number,
  N: number,
  source: (n: number) => number,
  bias?: (row: number) => number,
): Float32Array {
  const panels = N / UNIT_BLOCK;
  const out = new Float32Array(panels * (kPacked + 1) * UNIT_BLOCK);
  let base = 0;
  for (let p = 0; p < panels; ) {
    const width = groupWidth(panels - p);
    const rowLen = width * UNIT_BLOCK;
    for (let col = 0; col < rowLen; col++) {
      const row = source(p * UNIT_BLOCK + col);
      if (row < 0) continue;
      if (bias) out[base + col] = bias(row);
      const src = wBase + row * kSrc;
      for (let k = 0; k < kSrc; k++) out[base + (k + 1) * rowLen + col] = w[src + k];
    }
    base += (kPacked + 1) * rowLen;
    p += width;
  }
  return out;
}

export function toArena(rt: Runtime, host: Float32Array, K: number, N: number, what: string): PackedPanels {
  const bytes = host.length * 4;
  const ptr = rt.arena.alloc(bytes, what);
  rt.arena.f32(ptr, host.length).set(host);
  return { ptr, bytes, K, N };
}

/** Copy `n` floats inside the arena (addresses in bytes, 4-aligned). */
export function copyF32(rt: Runtime, dst: number, src: number, n: number): void {
  new Float32Array(rt.arena.buffer).copyWithin(dst >> 2, src >> 2, (src >> 2) + n);
}

export function zeroF32(rt: Runtime, dst: number, n: number): void {
  new Float32Array(rt.arena.buffer, dst, n).fill(0);
}

/**
 * What a packed cell owns in the arena (blocks, packed GEMM weights), released in reverse order
 * by release(): from the cell's free(), or when packing fails half-way.
 */
export class OwnedResources {
  private readonly undo: (() => void)[] = [];
  private done = false;
  constructor(private readonly rt: Runtime) {}
  /** An arena block; returns ptr. */
  block(ptr: number): number {
    this.undo.push(() => this.rt.arena.free(ptr));
    return ptr;
  }
  /** Recurrent panels (their arena block). */
  panels(p: PackedPanels): PackedPanels {
    this.block(p.ptr);
    return p;
  }
  /** Something with its own free() (packed GEMM weights). */
  packed<T extends { free(): void }>(p: T): T {
    this.undo.push(() => p.free());
    return p;
  }
  get released(): boolean {
    return this.done;
  }
  /** Frees everything once; later calls do nothing. */
  release(): void {
    if (this.done) return;
    this.done = true;
    for (const undo of this.undo.reverse()) undo();
  }
}

/**
 * Packs every direction with `packOne` on a WASM build (the reference build packs nothing: its
 * kernels read the ONNX weights). If one throws, what `owned` holds is freed and the error rethrown.
 */
export function packDirections<T>(rt: Runtime, D: number, owned: OwnedResources, packOne: (d: number) => T): T[] {
  const packs: T[] = [];
  if (!rt.wasm) return packs;
  try {
    for (let d = 0; d < D; d++) packs.push(packOne(d));
  } catch (e) {
    owned.release();
    throw e;
  }
  return packs;
}
