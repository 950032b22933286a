// The entropy-coded stream of ai.edgerun.CodebookDecode with coding = "rice-huffman" (Deep
// Compression's third stage; docs/compressed-format.md has the normative bit layout):
//   P      1 bit    1 = positions follow; 0 = every element is stored (no positions section)
//   if P:  K 5 bits, the Rice parameter (0 … 24), then the zero runs as Golomb-Rice codes: the
//          run before each stored element and, last, the run of trailing zeros — decoding stops
//          when the position reaches exactly `size`
//   L[s]   4 bits per codebook entry s < C: canonical Huffman code lengths (entropy-huffman.ts)
//   codes  one Huffman code per stored element: its codebook index
//   zero bits to the end of the byte; the stream has no bytes after that.
// A Rice code of n ≥ 0 is ⌊n / 2^K⌋ one-bits, a zero bit, then the K low bits of n.
import { EdgeRunError } from '../errors.js';
import { BitReader, BitWriter } from './entropy-bits.js';
import { HuffmanDecoder, canonicalCodes, huffmanLengths, streamOrder } from './entropy-huffman.js';

/** Largest Rice parameter: 2^24 covers any useful run; a bound makes corrupt parameters detectable. */
export const RICE_MAX = 24;
const RICE_FIELD_BITS = 5;
const LENGTH_FIELD_BITS = 4;

export interface EntropyContent {
  /** Ascending indices of the stored (nonzero) elements; null = every element is stored. */
  positions: ArrayLike<number> | null;
  /** The codebook index of each stored element, each < the alphabet size. */
  symbols: ArrayLike<number>;
}

/** The zero runs a position list codes: one before each stored element, then the trailing run. */
function zeroRuns(positions: ArrayLike<number>, size: number): number[] {
  const runs: number[] = [];
  let last = -1;
  for (let k = 0; k < positions.length; k++) {
    const p = positions[k];
    if (!Number.isInteger(p) || p <= last || p >= size) throw new EdgeRunError('InvalidArgument', `entropy: position ${p} (stored element ${k}) is not ascending within [0, ${size})`);
    runs.push(p - last - 1);
    last = p;
  }
  runs.push(size - last - 1);
  return runs;
}

/** The Rice parameter (0 … RICE_MAX) that codes `runs` in the fewest bits (the smallest on ties), and those bits. */
export function riceParameter(runs: readonly number[]): { k: number; bits: number } {
  // bits(k) = Σ (⌊r / 2^k⌋ + 1 + k); ⌊r / 2^k⌋ by repeated halving, stopping at 0.
  const quotients = new Array<number>(RICE_MAX + 1).fill(0);
  for (const r of runs) {
    for (let k = 0, q = r; q > 0 && k <= RICE_MAX; k++, q = Math.floor(q / 2)) quotients[k] += q;
  }
  let best = { k: 0, bits: Infinity };
  for (let k = 0; k <= RICE_MAX; k++) {
    const bits = quotients[k] + runs.length * (k + 1);
    if (bits < best.bits) best = { k, bits };
  }
  return best;
}

/** Bits of the canonical Huffman codes of symbols with these counts (0 for a one-symbol code). */
function huffmanBits(lengths: readonly number[], counts: readonly number[]): number {
  if (lengths.filter((l) => l > 0).length <= 1) return 0;
  return counts.reduce((bits, c, s) => bits + c * lengths[s], 0);
}

/**
 * The exact byte length of the stream encodeEntropyStream writes, from statistics alone: the zero
 * runs (null = no positions section) and the count of each codebook index.
 */
export function entropyStreamBytes(runs: readonly number[] | null, counts: readonly number[]): number {
  let bits = 1 + LENGTH_FIELD_BITS * counts.length + huffmanBits(huffmanLengths(counts), counts);
  if (runs) bits += RICE_FIELD_BITS + riceParameter(runs).bits;
  return Math.ceil(bits / 8);
}

/** Encodes `content` for a tensor of `size` elements and a codebook of `alphabet` entries per channel. */
export function encodeEntropyStream(size: number, alphabet: number, content: EntropyContent): Uint8Array {
  const { positions, symbols } = content;
  if (!Number.isInteger(alphabet) || alphabet < 1 || alphabet > 256) throw new EdgeRunError('InvalidArgument', `entropy: alphabet ${alphabet} must be 1 … 256`);
  const stored = positions ? positions.length : size;
  if (symbols.length !== stored) throw new EdgeRunError('InvalidArgument', `entropy: ${symbols.length} symbols for ${stored} stored elements`);
  const counts = new Array<number>(alphabet).fill(0);
  for (let k = 0; k < symbols.length; k++) {
    const s = symbols[k];
    if (!Number.isInteger(s) || s < 0 || s >= alphabet) throw new EdgeRunError('InvalidArgument', `entropy: symbol ${s} (stored element ${k}) is out of range for ${alphabet} codebook entries`);
    counts[s]++;
  }
  const w = new BitWriter();
  w.put(positions ? 1 : 0);
  if (positions) {
    const runs = zeroRuns(positions, size);
    const { k } = riceParameter(runs);
    const unit = 2 ** k;
    w.putField(k, RICE_FIELD_BITS);
    for (const r of runs) {
      for (let q = Math.floor(r / unit); q > 0; q--) w.put(1);
      w.put(0);
      w.putField(r % unit, k);
    }
  }
  const lengths = huffmanLengths(counts);
  for (const l of lengths) w.putField(l, LENGTH_FIELD_BITS);
  const single = lengths.filter((l) => l > 0).length === 1;
  const codes = canonicalCodes(lengths).map((c, s) => streamOrder(c, lengths[s]));
  if (!single) for (let k = 0; k < symbols.length; k++) w.putField(codes[symbols[k]], lengths[symbols[k]]);
  return w.finish();
}

export interface DecodedEntropy {
  /** Ascending indices of the stored elements; null = every element is stored. */
  positions: Uint32Array | null;
  symbols: Uint8Array;
}

/**
 * Decodes a stream for `size` elements and `alphabet` codebook entries. Throws EdgeRunError
 * (InvalidModel, naming `where`) on anything malformed: truncation, a Rice parameter above 24,
 * runs that overrun `size`, an invalid length table, bytes or nonzero bits after the end.
 */
export function decodeEntropyStream(stream: Uint8Array, size: number, alphabet: number, where: string): DecodedEntropy {
  const r = new BitReader(stream, where);
  if (!Number.isInteger(alphabet) || alphabet < 1 || alphabet > 256) throw r.fail(`cannot code indices into a codebook of ${alphabet} entries (1 … 256)`);
  r.what = 'the positions flag';
  const hasPositions = r.get() === 1;
  let positions: Uint32Array | null = null;
  if (hasPositions) {
    r.what = 'the Rice parameter';
    const k = r.field(RICE_FIELD_BITS);
    if (k > RICE_MAX) throw r.fail(`has Rice parameter ${k}; the largest allowed is ${RICE_MAX}`);
    const unit = 2 ** k;
    let found = new Uint32Array(64);
    let count = 0;
    let next = 0; // the element the next run starts at
    r.what = 'the zero run before stored element';
    for (;;) {
      r.item = count;
      const room = size - next; // the longest run that still ends at or before `size`
      let q = 0;
      while (r.get()) {
        if (++q * unit > room) throw r.fail(`has a zero run at element ${next} that overruns the ${size} elements of the output`);
      }
      const run = q * unit + r.field(k);
      if (run > room) throw r.fail(`has a zero run at element ${next} that overruns the ${size} elements of the output`);
      if (next + run === size) break; // the trailing run
      if (count === found.length) {
        const grown = new Uint32Array(Math.min(size, 2 * count));
        grown.set(found);
        found = grown;
      }
      found[count++] = next + run;
      next += run + 1;
    }
    positions = found.slice(0, count);
    r.item = -1;
  }
  const stored = positions ? positions.length : size;
  const lengths: number[] = [];
  r.what = 'the code length of codebook entry';
  for (let s = 0; s < alphabet; s++) {
    r.item = s;
    lengths.push(r.field(LENGTH_FIELD_BITS)); // 4 bits: ≤ 15 = MAX_CODE_LENGTH
  }
  r.item = -1;
  const huffman = new HuffmanDecoder(lengths, r);
  const symbols = new Uint8Array(stored);
  r.what = 'the codebook index of stored element';
  for (let j = 0; j < stored; j++) {
    r.item = j;
    symbols[j] = huffman.read(r);
  }
  r.item = -1;
  r.expectEnd();
  return { positions, symbols };
}
