// ai.edgerun.CodebookDecode: a clustered (weight-shared) tensor stored as a codebook and packed
// indices, decoded to the dense tensor the next node reads. The layout is docs/compressed-format.md:
//   inputs   codebook  T      [C] per tensor, or [channels, C] with `axis`
//            indices   uint8  packed `bits`-bit indices, element i at bit (i·bits) of the byte
//                             string, LSB first (engine/compress/codebook.ts packIndices);
//                             with coding = "rice-huffman" an entropy-coded stream instead: the
//                             positions of the stored elements as Golomb-Rice coded zero runs and
//                             their indices as canonical Huffman codes (engine/compress/entropy.ts)
//            mask      uint8  optional: ⌈size/8⌉ bytes, bit i (byte i>>3, bit i&7) set = element i
//                             is stored; unset elements are 0 and have no index (pruned weights);
//                             not with rice-huffman (the stream holds the positions)
//            scale     float  optional (T = int8 only): scalar or [channels]; output = value · scale
//   attrs    shape (ints, the output shape), bits (2 | 4 | 8), axis (int; per-channel codebooks),
//            coding (string: "packed", the default, or "rice-huffman")
//   output   T (float32 with a scale) of `shape`
// Values of the stored indices are checked against C when decoding (the CPU kernel): constant
// folding decodes at load, so a bad file fails when a session is created.
import type { DType } from '../tensor.js';
import { EDGERUN_DOMAIN } from './fused-activation.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';

export const CODEBOOK_DECODE = 'CodebookDecode';
export const CODEBOOK_TYPES: readonly DType[] = ['float32', 'float16', 'int8', 'uint8'];
export const CODINGS = ['packed', 'rice-huffman'] as const;
export type CodebookCoding = (typeof CODINGS)[number];

export interface CodebookDecodeParams {
  shape: number[];
  bits: 2 | 4 | 8;
  /** Normalized output axis of a per-channel codebook; null per tensor. */
  axis: number | null;
  size: number;
  /** How input 1 holds the indices: packed `bits`-bit fields, or an entropy-coded stream. */
  coding: CodebookCoding;
}

function params(ctx: OpContext): CodebookDecodeParams {
  const shape = ctx.node.ints('shape');
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw ctx.error('InvalidModel', `attribute shape [${shape.join(', ')}] must hold non-negative integers`);
  const size = shape.reduce((a, d) => a * d, 1);
  if (size > 2 ** 32) throw ctx.error('OutOfMemory', `attribute shape [${shape.join(', ')}] holds ${size} elements, more than edgerun can address`);
  const bits = ctx.node.int('bits');
  if (bits !== 2 && bits !== 4 && bits !== 8) throw ctx.error('InvalidModel', `attribute bits = ${bits} must be 2, 4 or 8`);
  let axis: number | null = null;
  if (ctx.node.has('axis')) {
    const a = ctx.node.int('axis');
    if (!Number.isInteger(a) || a < -shape.length || a >= shape.length) throw ctx.error('InvalidModel', `attribute axis = ${a} is out of range for the output rank ${shape.length}`);
    axis = a < 0 ? a + shape.length : a;
  }
  const coding = ctx.node.string('coding', 'packed');
  if (!(CODINGS as readonly string[]).includes(coding)) throw ctx.error('InvalidModel', `attribute coding = '${coding}' must be ${CODINGS.map((c) => `'${c}'`).join(' or ')}`);
  return { shape, bits, axis, size, coding: coding as CodebookCoding };
}

/** Bytes that hold `count` indices of `bits` bits. */
export function indexBytes(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

function knownLength(v: ValueInfo): number | null {
  if (!v.shape || v.shape.length !== 1 || typeof v.shape[0] !== 'number') return null;
  return v.shape[0];
}

function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i];
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}

/** Elements stored with an index: every element, or the set bits of a known mask. */
export function storedCount(p: CodebookDecodeParams, mask: Uint8Array | null): number {
  return mask ? popcount(mask) : p.size;
}

defineOp<CodebookDecodeParams>({
  type: CODEBOOK_DECODE,
  domain: EDGERUN_DOMAIN,
  params,
  infer: (ctx, inputs, p) => {
    const codebook = ctx.input(inputs, 0, 'codebook');
    const indices = ctx.input(inputs, 1, 'indices');
    const mask = inputs[2] ?? null;
    const scale = inputs[3] ?? null;
    ctx.expectDType(codebook, CODEBOOK_TYPES, 'input 0');
    ctx.expectDType(indices, ['uint8'], 'input 1');
    if (mask) ctx.expectDType(mask, ['uint8'], 'input 2');
    if (mask && p.coding === 'rice-huffman') throw ctx.error('InvalidModel', `a mask (input 2) does not go with coding = 'rice-huffman': the stream (input 1) holds the positions`);
    if (scale) {
      ctx.expectDType(scale, ['float32'], 'input 3');
      if (codebook.dtype !== 'int8') throw ctx.error('DTypeMismatch', `a scale (input 3) goes with an int8 codebook, not ${codebook.dtype}`);
    }
    ctx.expectRank(indices, 1, 'indices (input 1)', 'a 1-D byte string');
    if (mask) ctx.expectRank(mask, 1, 'mask (input 2)', 'a 1-D byte string');
    const want = p.axis === null ? 1 : 2;
    ctx.expectRank(codebook, want, 'codebook (input 0)', p.axis === null ? 'rank 1 ([C]; a per-channel codebook needs the axis attribute)' : `rank 2 ([channels, C]) with axis = ${p.axis}`);
    const channels = p.axis === null ? 1 : p.shape[p.axis];
    if (codebook.shape) {
      const c = codebook.shape[codebook.shape.length - 1];
      if (typeof c === 'number' && (c < 1 || c > 1 << p.bits)) throw ctx.error('InvalidModel', `codebook has ${c} entries; ${p.bits}-bit indices address 1 … ${1 << p.bits}`);
      if (p.axis !== null && typeof codebook.shape[0] === 'number' && codebook.shape[0] !== channels) {
        throw ctx.error('ShapeMismatch', `codebook has ${codebook.shape[0]} channels; output shape [${p.shape.join(', ')}] has ${channels} along axis ${p.axis}`);
      }
    }
    if (scale?.shape) {
      const n = scale.shape.reduce<number | null>((a, d) => (a === null || typeof d !== 'number' ? null : a * d), 1);
      if (n !== null && n !== 1 && n !== channels) throw ctx.error('ShapeMismatch', `scale has ${n} elements; expected 1 or one per channel (${channels})`);
    }
    const maskBytes = mask ? knownLength(mask) : null;
    if (maskBytes !== null && maskBytes !== Math.ceil(p.size / 8)) {
      throw ctx.error('ShapeMismatch', `mask has ${maskBytes} bytes; output shape [${p.shape.join(', ')}] (${p.size} elements) needs ${Math.ceil(p.size / 8)}`);
    }
    const count = mask ? (mask.value ? storedCount(p, mask.value.data as Uint8Array) : null) : p.size;
    const have = knownLength(indices);
    // An entropy-coded stream has no fixed length: the decoder checks it ends exactly at its last byte.
    if (p.coding === 'packed' && count !== null && have !== null && have !== indexBytes(count, p.bits)) {
      throw ctx.error('ShapeMismatch', `indices hold ${have} bytes; ${count} ${p.bits}-bit indices (${mask ? 'the set bits of the mask' : `output shape [${p.shape.join(', ')}]`}) need ${indexBytes(count, p.bits)}`);
    }
    return [{ dtype: scale ? 'float32' : codebook.dtype, shape: [...p.shape], value: null }];
  },
});
