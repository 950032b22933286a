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

/** A decoder for one length table; construction rejects tables that are not a valid code. */
export class HuffmanDecoder {
  /** Symbols in code order (by length, then symbol). */
  private readonly sorted: number[];
  private readonly perLength: number[];
  /** The only symbol of a one-symbol code (read in 0 bits), else −1. */
  private readonly single: number;
  readonly symbols: number;

  constructor(lengths: readonly number[], reader: BitReader) {
    this.perLength = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
    let kraft = 0; // Σ 2^(15 − length): 2^15 for a complete code
    for (const l of lengths) {
      if (l === 0) continue;
      this.perLength[l]++;
      kraft += 2 ** (MAX_CODE_LENGTH - l);
    }
    this.sorted = lengths.map((l, s) => [l, s]).filter(([l]) => l > 0).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, s]) => s);
    this.symbols = this.sorted.length;
    this.single = -1;
    if (this.symbols === 1) {
      const s = this.sorted[0];
      if (lengths[s] !== 1) throw reader.fail(`gives its only symbol ${s} the code length ${lengths[s]}; a one-symbol code has length 1 (and 0 bits per element)`);
      this.single = s;
    } else if (this.symbols > 1 && kraft !== 2 ** MAX_CODE_LENGTH) {
      const sum = kraft / 2 ** MAX_CODE_LENGTH;
      throw reader.fail(`has code lengths [${lengths.join(', ')}] that are ${sum > 1 ? 'over-subscribed' : 'incomplete'} (Σ 2^−length = ${sum}, must be 1)`);
    }
  }

  /** The next symbol from `r` (a complete code always finds one within 15 bits). */
  read(r: BitReader, what: string): number {
    if (this.single >= 0) return this.single;
    if (this.symbols === 0) throw r.fail(`has no code lengths but must code ${what}`);
    let code = 0;
    let first = 0; // first code of the current length
    let index = 0; // position of that code's symbol in `sorted`
    for (let l = 1; l <= MAX_CODE_LENGTH; l++) {
      code |= r.get(what);
      const count = this.perLength[l];
      if (code - first < count) return this.sorted[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw r.fail(`holds no valid code for ${what}`); // unreachable for a complete code
  }
}
