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
import { HuffmanDecoder, canonicalCodes, huffmanLengths } from './entropy-huffman.js';

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

/** The Rice parameter (0 … RICE_MAX) that codes `runs` in the fewest bits; the smallest on ties. */
export function riceParameter(runs: readonly number[]): number {
  let best = 0;
  let bestBits = Infinity;
  for (let k = 0; k <= RICE_MAX; k++) {
    const unit = 2 ** k;
    let bits = runs.length * (k + 1);
    for (const r of runs) bits += Math.floor(r / unit);
    if (bits < bestBits) [best, bestBits] = [k, bits];
  }
  return best;
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
    const k = riceParameter(runs);
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
  const codes = canonicalCodes(lengths);
  if (!single) for (let k = 0; k < symbols.length; k++) w.putCode(codes[symbols[k]], lengths[symbols[k]]);
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
  const hasPositions = r.get('the positions flag') === 1;
  let positions: Uint32Array | null = null;
  if (hasPositions) {
    const k = r.field(RICE_FIELD_BITS, 'the Rice parameter');
    if (k > RICE_MAX) throw r.fail(`has Rice parameter ${k}; the largest allowed is ${RICE_MAX}`);
    const unit = 2 ** k;
    const found: number[] = [];
    let next = 0; // the element the next run starts at
    for (;;) {
      const what = `the zero run before stored element ${found.length}`;
      const room = size - next; // the longest run that still ends at or before `size`
      let q = 0;
      while (r.get(what)) {
        if (++q * unit > room) throw r.fail(`has a zero run at element ${next} that overruns the ${size} elements of the output`);
      }
      const run = q * unit + r.field(k, what);
      if (run > room) throw r.fail(`has a zero run at element ${next} that overruns the ${size} elements of the output`);
      if (next + run === size) break; // the trailing run
      found.push(next + run);
      next += run + 1;
    }
    positions = Uint32Array.from(found);
  }
  const stored = positions ? positions.length : size;
  const lengths: number[] = [];
  for (let s = 0; s < alphabet; s++) {
    lengths.push(r.field(LENGTH_FIELD_BITS, `the code length of codebook entry ${s}`)); // 4 bits: ≤ 15 = MAX_CODE_LENGTH
  }
  const huffman = new HuffmanDecoder(lengths, r);
  const symbols = new Uint8Array(stored);
  for (let j = 0; j < stored; j++) symbols[j] = huffman.read(r, `the codebook index of stored element ${j}`);
  r.expectEnd();
  return { positions, symbols };
}
