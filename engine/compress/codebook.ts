// Packed codebook indices: `bits` (2, 4 or 8) per element, little-endian within a byte — element
// i lives in byte ⌊i·bits/8⌋ at bit offset (i·bits) mod 8, so for 4 bits element 2j is the low
// nibble of byte j and element 2j + 1 the high nibble; for 2 bits element 4j is bits 0–1.
import { EdgeRunError } from '../errors.js';

export type IndexBits = 2 | 4 | 8;

function checkBits(bits: number): asserts bits is IndexBits {
  if (bits !== 2 && bits !== 4 && bits !== 8) throw new EdgeRunError('InvalidArgument', `codebook: bits ${String(bits)} must be 2, 4 or 8`);
}

export function packIndices(index: ArrayLike<number>, bits: IndexBits): Uint8Array {
  checkBits(bits);
  const per = 8 / bits;
  const out = new Uint8Array(Math.ceil(index.length / per));
  const limit = 1 << bits;
  for (let i = 0; i < index.length; i++) {
    const v = index[i];
    if (!Number.isInteger(v) || v < 0 || v >= limit) throw new EdgeRunError('InvalidArgument', `codebook: index[${i}] = ${v} does not fit in ${bits} bits`);
    out[Math.floor(i / per)] |= v << ((i % per) * bits);
  }
  return out;
}

export function unpackIndices(packed: Uint8Array, bits: IndexBits, count: number): Uint8Array {
  checkBits(bits);
  const per = 8 / bits;
  if (packed.length < Math.ceil(count / per)) {
    throw new EdgeRunError('ShapeMismatch', `codebook: ${packed.length} bytes hold fewer than ${count} ${bits}-bit indices`);
  }
  const out = new Uint8Array(count);
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) out[i] = (packed[Math.floor(i / per)] >> ((i % per) * bits)) & mask;
  return out;
}

/** The fields of a clustered weight a decoder needs (see ClusteredWeight in cluster.ts). */
export interface Codebook {
  shape: readonly number[];
  clusters: number;
  bits: IndexBits;
  axis: number | null;
  codebook: Float32Array;
  indices: Uint8Array;
}

/** The dense float32 weight a codebook encodes. */
export function decodeCodebook(c: Codebook): Float32Array {
  const size = c.shape.reduce((a, d) => a * d, 1);
  const idx = unpackIndices(c.indices, c.bits, size);
  let inner = 1;
  if (c.axis !== null) for (let d = c.axis + 1; d < c.shape.length; d++) inner *= c.shape[d];
  const channels = c.axis === null ? 1 : c.shape[c.axis];
  if (c.codebook.length !== channels * c.clusters) {
    throw new EdgeRunError('ShapeMismatch', `codebook: ${c.codebook.length} entries, expected ${channels} channel(s) × ${c.clusters} clusters`);
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    if (idx[i] >= c.clusters) throw new EdgeRunError('InvalidArgument', `codebook: index ${idx[i]} of element ${i} is ≥ ${c.clusters} clusters`);
    const ch = c.axis === null ? 0 : Math.floor(i / inner) % channels;
    out[i] = c.codebook[ch * c.clusters + idx[i]];
  }
  return out;
}
