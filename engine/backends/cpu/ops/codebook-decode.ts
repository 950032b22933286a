// CPU kernel of ai.edgerun.CodebookDecode (engine/ops/codebook-ops.ts): codebook + packed
// indices (+ optional mask of stored elements) or a rice-huffman stream (engine/compress/
// entropy.ts), + optional scale → the dense tensor. It runs once per model in practice —
// constant folding decodes the weights at load — so it is plain TypeScript that checks every
// index and every bit it reads.
import { EdgeRunError } from '../../../errors.js';
import type { CodebookDecodeParams } from '../../../ops/codebook-ops.js';
import { CODEBOOK_DECODE, indexBytes } from '../../../ops/codebook-ops.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import { decodeEntropyStream } from '../../../compress/entropy.js';
import { DTYPE_ARRAY, type DType, type TypedData } from '../../../tensor.js';
import { defineCpuKernel } from '../kernel-def.js';

export interface CodebookParts {
  /** [C] or [channels × C] entries (row-major), float32 / float16 bits / int8 / uint8. */
  codebook: TypedData;
  dtype: DType;
  indices: Uint8Array;
  mask: Uint8Array | null;
  scale: Float32Array | null;
}

/**
 * The dense tensor, in storage order. Throws EdgeRunError (naming `where`) when the byte counts
 * do not fit the shape, an index reaches past its codebook or the entropy stream is malformed.
 */
export function decodeCodebookTensor(parts: CodebookParts, p: CodebookDecodeParams, where: string): TypedData {
  const { codebook, indices, mask, scale } = parts;
  const channels = p.axis === null ? 1 : p.shape[p.axis];
  if (channels === 0 || codebook.length % channels !== 0) throw new EdgeRunError('ShapeMismatch', `${where}: ${codebook.length} codebook entries do not split into ${channels} channel(s)`);
  const C = codebook.length / channels;
  let inner = 1;
  if (p.axis !== null) for (let d = p.axis + 1; d < p.shape.length; d++) inner *= p.shape[d];
  if (scale && scale.length !== 1 && scale.length !== channels) throw new EdgeRunError('ShapeMismatch', `${where}: scale has ${scale.length} elements; expected 1 or ${channels}`);
  const outType: DType = scale ? 'float32' : parts.dtype;
  const Ctor = DTYPE_ARRAY[outType as Exclude<DType, 'string'>] as unknown as new (n: number) => TypedData;
  const out = new Ctor(p.size) as Float32Array;
  const book = codebook as Float32Array;
  /** Element i takes entry `idx` of its channel's codebook (times the scale). */
  const put = (i: number, idx: number) => {
    if (idx >= C) throw new EdgeRunError('InvalidModel', `${where}: index ${idx} of element ${i} is out of range for a codebook of ${C} entries`);
    const ch = p.axis === null ? 0 : Math.floor(i / inner) % channels;
    const v = book[ch * C + idx];
    out[i] = scale ? Math.fround(v * scale[scale.length === 1 ? 0 : ch]) : v;
  };
  if (p.coding === 'rice-huffman') {
    if (mask) throw new EdgeRunError('InvalidModel', `${where}: a mask (input 2) does not go with coding = 'rice-huffman' (the stream holds the positions)`);
    // The Huffman alphabet is the C entries of a codebook, so no decoded index is out of range.
    const { positions, symbols } = decodeEntropyStream(indices, p.size, C, `${where}: input 1 (rice-huffman stream)`);
    for (let k = 0; k < symbols.length; k++) put(positions ? positions[k] : k, symbols[k]);
    return out; // unstored elements stay 0
  }
  if (mask && mask.length !== Math.ceil(p.size / 8)) throw new EdgeRunError('ShapeMismatch', `${where}: mask has ${mask.length} bytes; ${p.size} elements need ${Math.ceil(p.size / 8)}`);
  let stored = p.size;
  if (mask) {
    stored = 0;
    for (let i = 0; i < p.size; i++) stored += (mask[i >> 3] >> (i & 7)) & 1;
  }
  if (indices.length !== indexBytes(stored, p.bits)) {
    throw new EdgeRunError('ShapeMismatch', `${where}: indices hold ${indices.length} bytes; ${stored} ${p.bits}-bit indices need ${indexBytes(stored, p.bits)} (output shape [${p.shape.join(', ')}]${mask ? ', set bits of the mask' : ''})`);
  }
  const perByte = 8 / p.bits;
  const lowMask = (1 << p.bits) - 1;
  let k = 0;
  for (let i = 0; i < p.size; i++) {
    if (mask && !((mask[i >> 3] >> (i & 7)) & 1)) continue; // unstored: stays 0
    put(i, (indices[Math.floor(k / perByte)] >> ((k % perByte) * p.bits)) & lowMask);
    k++;
  }
  return out;
}

defineCpuKernel<CodebookDecodeParams>({
  type: CODEBOOK_DECODE,
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const [codebook, indices, mask, scale] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2] ?? null, ctx.inputs[3] ?? null];
    const y = ctx.outputs[0];
    const where = `${CODEBOOK_DECODE} '${ctx.node.name}'`;
    return () => {
      const dense = decodeCodebookTensor(
        {
          codebook: ctx.view(codebook).slice() as TypedData,
          dtype: codebook.dtype,
          indices: (ctx.view(indices) as Uint8Array).slice(),
          mask: mask ? (ctx.view(mask) as Uint8Array).slice() : null,
          scale: scale ? (ctx.view(scale) as Float32Array).slice() : null,
        },
        ctx.params,
        where,
      );
      (ctx.view(y) as Float32Array).set(dense as Float32Array);
    };
  },
});
