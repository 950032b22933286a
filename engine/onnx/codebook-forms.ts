// The ai.edgerun.CodebookDecode forms of a weight (docs/compressed-format.md): which codebook
// (per tensor or per channel, with or without the zeros) and which coding (packed indices with an
// optional mask, or the rice-huffman stream) stores it in the fewest bytes, and the encoding.
// Sizes are computed exactly from the tensor's statistics — the same functions the encoders
// use — so planning does not encode every candidate.
import { EdgeRunError } from '../errors.js';
import { DTYPE_ARRAY, DTYPE_BYTES, Tensor, type TypedData } from '../tensor.js';
import { indexBytes, type CodebookCoding } from '../ops/codebook-ops.js';
import { packIndices, type IndexBits } from '../compress/codebook.js';
import { encodeEntropyStream, entropyStreamBytes } from '../compress/entropy.js';

export interface CodebookShape {
  /** Per-channel axis; null = one codebook for the tensor. */
  axis: number | null;
  /** The zeros are not stored (mask, or positions in the stream) and not in the codebook. */
  masked: boolean;
  /** Entries per codebook. */
  entries: number;
  bits: IndexBits;
}

export interface CodebookPlan extends CodebookShape {
  coding: CodebookCoding;
  /** Codebook + indices (+ mask) bytes. */
  bytes: number;
}

export interface EncodedCodebook {
  codebook: Tensor;
  /** Packed indices, or the rice-huffman stream. */
  indices: Uint8Array;
  mask: Uint8Array | null;
}

/** Comparable keys: the bit patterns of floats, the values of integers; key 0 ⇔ the element is +0 / 0. */
export function keysOf(t: Tensor): ArrayLike<number> {
  const d = t.data as TypedData;
  if (t.type === 'float32') return new Uint32Array(d.buffer, d.byteOffset, t.size);
  return d as ArrayLike<number>;
}

/** The codebook order of one channel: its distinct stored keys sorted by value, each with its count and first element. */
type ChannelEntries = { key: number; first: number; count: number }[];

function channelOf(dims: readonly number[], axis: number | null): { channels: number; of: (i: number) => number } {
  if (axis === null) return { channels: 1, of: () => 0 };
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  const channels = dims[axis];
  return { channels, of: (i) => Math.floor(i / inner) % channels };
}

/** The codebook of every channel in index order; null when a channel holds more than 256 values. */
function codebookEntries(t: Tensor, keys: ArrayLike<number>, axis: number | null, masked: boolean): ChannelEntries[] | null {
  const { channels, of } = channelOf(t.dims, axis);
  const maps = Array.from({ length: channels }, () => new Map<number, { key: number; first: number; count: number }>());
  for (let i = 0; i < t.size; i++) {
    const k = keys[i];
    if (masked && k === 0) continue;
    const m = maps[of(i)];
    const e = m.get(k);
    if (e) e.count++;
    else {
      if (m.size === 256) return null;
      m.set(k, { key: k, first: i, count: 1 });
    }
  }
  const data = t.data as TypedData as Float32Array;
  const value = (e: { first: number }) => (t.type === 'float16' ? data[e.first] : Number.isNaN(data[e.first]) ? Infinity : data[e.first]);
  return maps.map((m) => [...m.values()].sort((a, b) => value(a) - value(b)));
}

function bitsFor(entries: number): IndexBits {
  return entries <= 4 ? 2 : entries <= 16 ? 4 : 8;
}

/** The zero runs before each stored (nonzero) element and after the last, as the stream codes them. */
function zeroRuns(keys: ArrayLike<number>): number[] {
  const runs: number[] = [];
  let run = 0;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === 0) run++;
    else runs.push(run), (run = 0);
  }
  runs.push(run);
  return runs;
}

/** The smallest codebook form of `t` over the candidate axes (null if no codebook fits in 8 bits). */
export function planCodebook(t: Tensor, keys: ArrayLike<number>, axes: Iterable<number>, zeros: number): CodebookPlan | null {
  const width = DTYPE_BYTES[t.type];
  let best: CodebookPlan | null = null;
  const consider = (plan: CodebookPlan) => {
    if (!best || plan.bytes < best.bytes) best = plan;
  };
  const runs = zeros > 0 ? zeroRuns(keys) : null;
  for (const axis of [null, ...axes]) {
    for (const masked of zeros > 0 ? [false, true] : [false]) {
      const book = codebookEntries(t, keys, axis, masked);
      if (!book) continue;
      const entries = Math.max(1, ...book.map((c) => c.length));
      const shape: CodebookShape = { axis, masked, entries, bits: bitsFor(entries) };
      const bookBytes = book.length * entries * width;
      const stored = masked ? t.size - zeros : t.size;
      consider({ ...shape, coding: 'packed', bytes: bookBytes + indexBytes(stored, shape.bits) + (masked ? Math.ceil(t.size / 8) : 0) });
      const counts = new Array<number>(entries).fill(0);
      for (const channel of book) channel.forEach((e, j) => (counts[j] += e.count));
      consider({ ...shape, coding: 'rice-huffman', bytes: bookBytes + entropyStreamBytes(masked ? runs : null, counts) });
    }
  }
  return best;
}

/**
 * The codebook (sorted per channel) of `t` under `plan`, and its indices: packed (with the mask of
 * stored elements when masked), or entropy-coded (the stream holds the positions when masked).
 */
export function encodeCodebook(t: Tensor, plan: CodebookShape & { coding: CodebookCoding }): EncodedCodebook {
  const keys = keysOf(t);
  const book = codebookEntries(t, keys, plan.axis, plan.masked);
  if (!book || book.some((c) => c.length > plan.entries)) throw new EdgeRunError('InvalidArgument', `encodeCodebook: a channel holds more than ${plan.entries} values`);
  const data = t.data as TypedData as Float32Array;
  const values = new DTYPE_ARRAY[t.type as 'float32'](book.length * plan.entries);
  const lookup = book.map((channel, ch) => {
    const index = new Map<number, number>();
    channel.forEach((e, j) => {
      index.set(e.key, j);
      values[ch * plan.entries + j] = data[e.first];
    });
    // Unused entries of a channel with fewer values repeat its first (any value would do).
    for (let j = channel.length; j < plan.entries; j++) values[ch * plan.entries + j] = channel.length ? data[channel[0].first] : 0;
    return index;
  });
  const codebook = new Tensor(t.type, values as TypedData, plan.axis === null ? [plan.entries] : [book.length, plan.entries]);
  const { of } = channelOf(t.dims, plan.axis);
  const stored = plan.masked ? book.reduce((s, c) => s + c.reduce((n, e) => n + e.count, 0), 0) : t.size;
  const index = new Uint8Array(stored);
  const positions = plan.masked ? new Uint32Array(stored) : null;
  for (let i = 0, k = 0; i < t.size; i++) {
    if (plan.masked && keys[i] === 0) continue;
    if (positions) positions[k] = i;
    index[k++] = lookup[of(i)].get(keys[i])!;
  }
  if (plan.coding === 'rice-huffman') return { codebook, indices: encodeEntropyStream(t.size, plan.entries, { positions, symbols: index }), mask: null };
  let mask: Uint8Array | null = null;
  if (positions) {
    mask = new Uint8Array(Math.ceil(t.size / 8));
    for (const i of positions) mask[i >> 3] |= 1 << (i & 7);
  }
  return { codebook, indices: packIndices(index, plan.bits), mask };
}
