// Bit I/O of the entropy-coded CodebookDecode stream (docs/compressed-format.md, "coding =
// rice-huffman"). Bit j of a stream is bit (j & 7) of byte (j >> 3), least significant first —
// the order of the mask. Fixed-width fields are written least significant bit first; Huffman
// codes are written most significant (first) code bit first, one bit at a time.
// The reader never reads past the end: it throws an EdgeRunError naming `where` instead, so a
// truncated or corrupt stream can neither read out of bounds nor loop forever.
import { EdgeRunError } from '../errors.js';

export class BitWriter {
  private bytes = new Uint8Array(64);
  private bit = 0;

  /** Appends one bit (0 or 1). */
  put(b: number): void {
    const at = this.bit >> 3;
    if (at >= this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    if (b) this.bytes[at] |= 1 << (this.bit & 7);
    this.bit++;
  }

  /** Appends the low `n` bits of `value` (0 ≤ n ≤ 32), least significant first. */
  putField(value: number, n: number): void {
    for (let t = 0; t < n; t++) this.put(Math.floor(value / 2 ** t) % 2);
  }

  /** Appends `n` bits of `code`, most significant first (Huffman codes). */
  putCode(code: number, n: number): void {
    for (let t = n - 1; t >= 0; t--) this.put((code >>> t) & 1);
  }

  get bitLength(): number {
    return this.bit;
  }

  /** The stream, padded with zero bits to a whole byte. */
  finish(): Uint8Array {
    return this.bytes.slice(0, Math.ceil(this.bit / 8));
  }
}

export class BitReader {
  private bit = 0;
  private readonly end: number;

  /** `where` names the node and input in errors: "CodebookDecode 'w': input 1 (rice-huffman stream)". */
  constructor(private readonly bytes: Uint8Array, readonly where: string) {
    this.end = bytes.length * 8;
  }

  get position(): number {
    return this.bit;
  }

  /** One bit; `what` says what was being read when the stream ends early. */
  get(what: string): number {
    if (this.bit >= this.end) throw this.fail(`is truncated: it ends (${this.bytes.length} bytes) while reading ${what}`);
    const b = (this.bytes[this.bit >> 3] >> (this.bit & 7)) & 1;
    this.bit++;
    return b;
  }

  /** An `n`-bit field (n ≤ 32), least significant bit first. */
  field(n: number, what: string): number {
    let v = 0;
    for (let t = 0; t < n; t++) v += this.get(what) * 2 ** t;
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
}
