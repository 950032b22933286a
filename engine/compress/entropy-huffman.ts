// Canonical Huffman codes for codebook indices (docs/compressed-format.md, "coding =
// rice-huffman"). A code is given by one length per symbol (0 = the symbol does not occur,
// else 1 … 15 bits); codes are assigned as in DEFLATE (RFC 1951 §3.2.2): shorter codes first,
// equal lengths in symbol order, each code the previous one plus 1 (shifted left when the length
// grows). Valid length tables: no symbol (nothing to code); exactly one symbol, of length 1, whose
// code is empty (0 bits — a single-valued tensor costs nothing per element); or a complete code
// (Σ 2^−length = 1), so every bit string decodes and no symbol can be out of range.
import type { BitReader } from './entropy-bits.js';

export const MAX_CODE_LENGTH = 15;

/** Code lengths (≤ 15) minimising Σ count·length; deterministic for given counts. */
export function huffmanLengths(counts: ArrayLike<number>): number[] {
  let weights = Array.from(counts);
  for (;;) {
    const lengths = unlimitedLengths(weights);
    if (Math.max(0, ...lengths) <= MAX_CODE_LENGTH) return lengths;
    // Too deep (only with > 16 symbols and very skewed counts): flatten the counts and retry;
    // each round halves the spread, and all-equal counts give a balanced tree of depth ≤ 8.
    weights = weights.map((w) => (w > 0 ? Math.ceil(w / 2) : 0));
  }
}

function unlimitedLengths(counts: number[]): number[] {
  const lengths = counts.map(() => 0);
  const used = counts.flatMap((c, s) => (c > 0 ? [s] : []));
  if (used.length === 1) lengths[used[0]] = 1;
  if (used.length <= 1) return lengths;
  // Nodes 0 … n−1 are the symbols; merged nodes follow. Ties go to the lower node id.
  const weight = used.map((s) => counts[s]);
  const parent: number[] = [];
  const live = used.map((_, i) => i);
  while (live.length > 1) {
    live.sort((a, b) => weight[a] - weight[b] || a - b);
    const [a, b] = live.splice(0, 2);
    const id = weight.length;
    weight.push(weight[a] + weight[b]);
    parent[a] = parent[b] = id;
    live.push(id);
  }
  used.forEach((s, i) => {
    let depth = 0;
    for (let n = i; parent[n] !== undefined; n = parent[n]) depth++;
    lengths[s] = depth;
  });
  return lengths;
}

/** The canonical code of every symbol (−1 for length 0). */
export function canonicalCodes(lengths: readonly number[]): number[] {
  const perLength = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  for (const l of lengths) if (l > 0) perLength[l]++;
  const next = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  for (let l = 1, code = 0; l <= MAX_CODE_LENGTH; l++) {
    code = (code + perLength[l - 1]) << 1; // perLength[0] stays 0: the first code of length 1 is 0
    next[l] = code;
  }
  return lengths.map((l) => (l > 0 ? next[l]++ : -1));
}

/** `code`'s `n` bits in stream order: its first (most significant) bit at bit 0. */
export function streamOrder(code: number, n: number): number {
  let out = 0;
  for (let t = 0; t < n; t++) out |= ((code >> (n - 1 - t)) & 1) << t;
  return out;
}

/** A decoder for one length table; construction rejects tables that are not a valid code. */
export class HuffmanDecoder {
  /**
   * Indexed by the next `longest` stream bits (first bit least significant): (length << 16) | symbol
   * of the code they start with. A complete code fills every entry.
   */
  private readonly table: Uint32Array;
  private readonly longest: number;
  /** The only symbol of a one-symbol code (read in 0 bits), else −1. */
  private readonly single: number = -1;
  readonly symbols: number;

  constructor(lengths: readonly number[], reader: BitReader) {
    let kraft = 0; // Σ 2^(15 − length): 2^15 for a complete code
    const used: number[] = [];
    lengths.forEach((l, s) => {
      if (l === 0) return;
      used.push(s);
      kraft += 2 ** (MAX_CODE_LENGTH - l);
    });
    this.symbols = used.length;
    this.longest = Math.max(0, ...lengths);
    this.table = new Uint32Array(0);
    if (used.length === 1) {
      const s = used[0];
      if (lengths[s] !== 1) throw reader.fail(`gives its only symbol ${s} the code length ${lengths[s]}; a one-symbol code has length 1 (and 0 bits per element)`);
      this.single = s;
      return;
    }
    if (used.length === 0) return;
    if (kraft !== 2 ** MAX_CODE_LENGTH) {
      const sum = kraft / 2 ** MAX_CODE_LENGTH;
      throw reader.fail(`has code lengths [${lengths.join(', ')}] that are ${sum > 1 ? 'over-subscribed' : 'incomplete'} (Σ 2^−length = ${sum}, must be 1)`);
    }
    this.table = new Uint32Array(1 << this.longest);
    const codes = canonicalCodes(lengths);
    for (const s of used) {
      const l = lengths[s];
      for (let v = streamOrder(codes[s], l); v < this.table.length; v += 1 << l) this.table[v] = (l << 16) | s;
    }
  }

  /** The next symbol from `r`. */
  read(r: BitReader): number {
    if (this.single >= 0) return this.single;
    if (this.symbols === 0) throw r.fail(`has no code lengths but must code ${r.what} ${r.item}`);
    const entry = this.table[r.peek(this.longest)];
    r.skip(entry >>> 16); // throws when the code runs past the end of the stream
    return entry & 0xffff;
  }
}
