// Packs recurrent-cell weights into the GEMM's panel layout, `[bias×8][k0: 8]...[kK-1: 8]` per
// 8 output columns, with the gates of each block of 8 hidden units interleaved (LSTM [i o f c],
// GRU [z r h]) so one unit block owns consecutive panels and the gate kernels read its gates
// side by side. Hidden units beyond H (padding to a multiple of 8) get zero weights and bias;
// K may be padded too (zero rows), so padded state entries never reach real units.
import type { Runtime } from './runtime.js';
import { UNIT_BLOCK } from './rnn-common.js';

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

/**
 * The packed panels as a host array. `w` is row-major [rows × kSrc] starting at `wBase`
 * (ONNX W or R of one direction); `kPacked` ≥ kSrc pads K with zero rows. `bias(row)` gives the
 * bias of source row `row`.
 */
export function packPanelsHost(
  w: Float32Array,
  wBase: number,
  kSrc: number,
  kPacked: number,
  N: number,
  source: (n: number) => number,
  bias?: (row: number) => number,
): Float32Array {
  const panels = N / UNIT_BLOCK;
  const stride = (kPacked + 1) * UNIT_BLOCK;
  const out = new Float32Array(panels * stride);
  for (let n = 0; n < N; n++) {
    const row = source(n);
    if (row < 0) continue;
    const o = Math.floor(n / UNIT_BLOCK) * stride + (n % UNIT_BLOCK);
    if (bias) out[o] = bias(row);
    const src = wBase + row * kSrc;
    for (let k = 0; k < kSrc; k++) out[o + (k + 1) * UNIT_BLOCK] = w[src + k];
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
