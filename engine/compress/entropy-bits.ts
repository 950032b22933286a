// Bit I/O of the entropy-coded CodebookDecode stream (docs/compressed-format.md, "coding =
// rice-huffman"). Bit j of a stream is bit (j & 7) of byte (j >> 3), least significant first —
// the order of the mask. Fixed-width fields are written least significant bit first; Huffman
// codes most significant (first) code bit first, i.e. as fields of their bits reversed
// (entropy-huffman.ts streamOrder).
// The reader never reads past the end: it throws an EdgeRunError naming `where` instead, so a
// truncated or corrupt stream can neither read out of bounds nor loop forever.
import { EdgeRunError } from '../errors.js';

export class BitWriter {
  private bytes = new Uint8Array(64);
  private length = 0; // whole bytes written
  private pending = 0; // bits not yet written, the first one least significant
  private pendingBits = 0; // < 8 between calls

  /** Appends one bit (0 or 1). */
  put(b: number): void {
    this.putField(b, 1);
  }

  /** Appends the low `n` bits of `value` (0 ≤ n ≤ 24), least significant first. */
  putField(value: number, n: number): void {
    this.pending |= (value & ((1 << n) - 1)) << this.pendingBits;
    this.pendingBits += n;
    while (this.pendingBits >= 8) {
      if (this.length === this.bytes.length) {
        const grown = new Uint8Array(this.bytes.length * 2);
        grown.set(this.bytes);
        this.bytes = grown;
      }
      this.bytes[this.length++] = this.pending & 0xff;
      this.pending >>>= 8;
      this.pendingBits -= 8;
    }
  }

  get bitLength(): number {
    return this.length * 8 + this.pendingBits;
  }

  /** The stream, padded with zero bits to a whole byte. */
  finish(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bitLength / 8));
    out.set(this.bytes.subarray(0, this.length));
    if (this.pendingBits) out[this.length] = this.pending;
    return out;
  }
}

export class BitReader {
  private bit = 0;
  private readonly end: number;
  /** What is being read, for errors: set per section, `item` per element (−1: none). */
  what = 'the stream';
  item = -1;

  /** `where` names the node and input in errors: "CodebookDecode 'w': input 1 (rice-huffman stream)". */
  constructor(private readonly bytes: Uint8Array, readonly where: string) {
    this.end = bytes.length * 8;
  }

  /** One bit. */
  get(): number {
    if (this.bit >= this.end) throw this.truncated();
    const b = (this.bytes[this.bit >> 3] >> (this.bit & 7)) & 1;
    this.bit++;
    return b;
  }

  /** The next `n` ≤ 24 bits, the first one least significant, without consuming them; zeros past the end. */
  peek(n: number): number {
    const b = this.bytes;
    const at = this.bit >> 3;
    const last = b.length - 1;
    const word = (at <= last ? b[at] : 0) | (at + 1 <= last ? b[at + 1] << 8 : 0) | (at + 2 <= last ? b[at + 2] << 16 : 0) | (at + 3 <= last ? b[at + 3] << 24 : 0);
    return (word >>> (this.bit & 7)) & ((1 << n) - 1); // ≥ 25 valid bits after the shift
  }

  /** Consumes `n` bits, which must all lie within the stream. */
  skip(n: number): void {
    if (this.bit + n > this.end) throw this.truncated();
    this.bit += n;
  }

  /** An `n`-bit field (n ≤ 24), least significant bit first. */
  field(n: number): number {
    const v = this.peek(n);
    this.skip(n);
    return v;
  }

  /** Checks that only zero padding bits to the end of the last byte remain. */
  expectEnd(): void {
    const used = Math.ceil(this.bit / 8);
    if (used < this.bytes.length) throw this.fail(`has ${this.bytes.length - used} byte(s) after the end of the stream (${used} bytes used)`);
    for (let j = this.bit; j < this.end; j++) {
      if ((this.bytes[j >> 3] >> (j & 7)) & 1) throw this.fail(`has a nonzero padding bit ${j} after the end of the stream`);
    }
  }

  fail(message: string): EdgeRunError {
    return new EdgeRunError('InvalidModel', `${this.where} ${message}`);
  }

  private truncated(): EdgeRunError {
    return this.fail(`is truncated: it ends (${this.bytes.length} bytes) while reading ${this.what}${this.item >= 0 ? ` ${this.item}` : ''}`);
  }
}
