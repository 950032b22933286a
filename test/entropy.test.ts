// The entropy-coded CodebookDecode stream (coding = "rice-huffman", engine/compress/entropy.ts):
// the documented example bit by bit; random tensors at sparsities 0 … 0.99 and 2 … 256 entries
// decode bit-exactly (four element types, per tensor and per channel, −0 and NaN kept); skewed
// index distributions (length-limited Huffman); a single-valued tensor (0 bits per index); empty
// and all-zero tensors; sizes against the bitmask form; malformed and mutated streams →
// EdgeRunError naming the node and input, never a hang or an out-of-range read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EdgeRunError } from '../engine/errors.js';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Graph } from '../engine/graph/ir.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor, DTYPE_ARRAY, type DType, type TypedData } from '../engine/tensor.js';
import { importModel } from '../engine/onnx/import.js';
import { saveModelWithReport } from '../engine/onnx/export.js';
import { encodeCodebook } from '../engine/onnx/codebook-forms.js';
import { decompress } from '../engine/compress/decompress.js';
import { decodeEntropyStream, encodeEntropyStream, entropyStreamBytes } from '../engine/compress/entropy.js';
import { canonicalCodes, huffmanLengths } from '../engine/compress/entropy-huffman.js';
import { decodeCodebookTensor } from '../engine/backends/cpu/ops/codebook-decode.js';
import type { CodebookDecodeParams } from '../engine/ops/codebook-ops.js';
import { randomF32, randomInt, rng } from './helpers/random.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const rand = rng(31337);
const RH = 'rice-huffman' as const;

/** Bytes of a bit string written first bit first, each byte filled from its least significant bit. */
function fromBits(bits: string): Uint8Array {
  const clean = bits.replace(/\s/g, '');
  const out = new Uint8Array(Math.ceil(clean.length / 8));
  for (let j = 0; j < clean.length; j++) if (clean[j] === '1') out[j >> 3] |= 1 << (j & 7);
  return out;
}

/** A graph whose output y = CodebookDecode(inputs) (node 'dec'), to see errors as a session reports them. */
function decoder(inputs: (Tensor | null)[], attrs: Record<string, number | number[] | string>): Graph {
  const b = new GraphBuilder('rh', 17);
  const x = b.input('x', 'float32', [1]);
  const ins = inputs.map((t, i) => (t ? b.constant(t, `in${i}`) : null));
  const [y] = b.node('CodebookDecode', ins, attrs, { domain: 'ai.edgerun', name: 'dec' });
  b.output(y, 'y');
  b.output(b.op('Identity', [x]), 'x_out');
  return b.build();
}

function decodeWith(inputs: (Tensor | null)[], attrs: Record<string, number | number[] | string>): Tensor {
  return InferenceSession.createSync(decoder(inputs, attrs)).runSync({ x: new Tensor('float32', [0], [1]) }).y;
}

const u8 = (a: ArrayLike<number>) => new Tensor('uint8', Uint8Array.from(a), [a.length]);

function bitsOf(t: Tensor | TypedData): number[] {
  const d = (t instanceof Tensor ? t.data : t) as TypedData;
  if (d instanceof Float32Array) return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length));
  return Array.from(d as ArrayLike<number>);
}

test('the documented example, bit by bit: encoder output and decoded elements', () => {
  // docs/compressed-format.md: shape [8], codebook [−1, 4, 9], elements [4, 0, 0, 4, 9, 0, −1, 0].
  const stream = fromBits('1 00000 0 110 0 10 10 0100 1000 0100 0 0 11 10');
  assert.is(stream.length, 5);
  assert.equal([...encodeEntropyStream(8, 3, { positions: [0, 3, 4, 6], symbols: [1, 1, 2, 0] })], [...stream]);
  const y = decodeWith([new Tensor('float32', [-1, 4, 9], [3]), u8(stream)], { shape: [8], bits: 2, coding: RH });
  assert.equal([...(y.data as Float32Array)], [4, 0, 0, 4, 9, 0, -1, 0]);
  // Canonical codes as in RFC 1951 §3.2.2's example: lengths (3,3,3,3,3,2,4,4) → 010 011 100 101 110 00 1110 1111.
  assert.equal(canonicalCodes([3, 3, 3, 3, 3, 2, 4, 4]), [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111]);
});

/** A random tensor of `type` with about `sparsity` zeros and `values` distinct nonzero values (per channel when `axis` is set). */
function randomTensor(type: DType, dims: number[], sparsity: number, values: number, axis: number | null): Tensor {
  const size = dims.reduce((a, d) => a * d, 1);
  const inner = axis === null ? size : dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const channels = axis === null ? 1 : dims[axis];
  const pools = Array.from({ length: channels }, (_, ch) => {
    const pool: number[] = [];
    const seen = new Set<number>();
    while (pool.length < values) {
      let v: number;
      if (type === 'float32') v = pool.length === 0 ? -0 : pool.length === 1 && values > 2 ? NaN : Math.fround(ch * 3 + randomF32(rand, 1)[0]);
      else if (type === 'float16') v = randomInt(rand, 1, 0xffff); // raw half bits; 0 is +0
      else if (type === 'int8') v = randomInt(rand, -128, 127);
      else v = randomInt(rand, 1, 255);
      const key = Number.isNaN(v) ? 1e9 : Object.is(v, -0) ? -1e9 : v;
      if (v === 0 && !Object.is(v, -0)) continue;
      if (!seen.has(key)) seen.add(key), pool.push(v);
    }
    return pool;
  });
  const data = new DTYPE_ARRAY[type as 'float32'](size);
  // Skewed use of the values (squared uniform): the Huffman code has something to gain.
  for (let i = 0; i < size; i++) data[i] = rand() < sparsity ? 0 : pools[Math.floor(i / inner) % channels][Math.floor(rand() ** 2 * values)];
  return new Tensor(type, data as TypedData, dims);
}

/** Distinct stored keys per channel: the codebook entries the stream must address. */
function entriesOf(t: Tensor, axis: number | null, masked: boolean): number {
  const keys = t.type === 'float32' ? new Uint32Array((t.data as Float32Array).buffer) : (t.data as ArrayLike<number>);
  const inner = axis === null ? t.size : t.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const channels = axis === null ? 1 : t.dims[axis];
  const sets = Array.from({ length: channels }, () => new Set<number>());
  for (let i = 0; i < t.size; i++) if (!masked || keys[i] !== 0) sets[Math.floor(i / inner) % channels].add(keys[i]);
  return Math.max(1, ...sets.map((s) => s.size));
}

function roundTrip(t: Tensor, axis: number | null, masked: boolean, where: string): number {
  const entries = entriesOf(t, axis, masked);
  const bits = entries <= 4 ? 2 : entries <= 16 ? 4 : 8;
  const enc = encodeCodebook(t, { axis, masked, entries, bits, coding: RH });
  assert.is(enc.mask, null);
  const p: CodebookDecodeParams = { shape: [...t.dims], bits, axis, size: t.size, coding: RH };
  const out = decodeCodebookTensor({ codebook: enc.codebook.data as TypedData, dtype: t.type, indices: enc.indices, mask: null, scale: null }, p, where);
  assert.equal(bitsOf(out), bitsOf(t), where);
  // The size the saver plans with (from zero runs and index counts alone) is the stream's length.
  const { positions, symbols } = decodeEntropyStream(enc.indices, t.size, entries, where);
  const counts = new Array<number>(entries).fill(0);
  for (const s of symbols) counts[s]++;
  const runs = positions ? [...positions, t.size].map((p, k) => p - (k ? positions[k - 1] + 1 : 0)) : null;
  assert.is(entropyStreamBytes(runs, counts), enc.indices.length, `${where}: planned size`);
  return enc.indices.length;
}

test('random tensors decode bit-exactly: sparsity 0 … 0.99, 2 … 256 entries, four types, per tensor and per channel', () => {
  const types: DType[] = ['float32', 'int8', 'uint8', 'float16'];
  let trial = 0;
  for (const sparsity of [0, 0.1, 0.5, 0.8, 0.9, 0.99]) {
    for (const values of [2, 3, 4, 5, 16, 17, 100, 256]) {
      const type = types[trial % 4];
      const perChannel = trial % 3 === 1;
      const dims = [randomInt(rand, 1, 24), randomInt(rand, 1, 40), ...(trial % 2 ? [3] : [])];
      const axis = perChannel ? 0 : null;
      const cap = type === 'int8' || type === 'uint8' ? 250 : values; // int types hold ≤ 255 nonzero values
      const t = randomTensor(type, dims, sparsity, Math.min(values, cap), axis);
      for (const masked of [false, true]) roundTrip(t, axis, masked, `trial ${trial}: ${type} [${dims}], sparsity ${sparsity}, ${values} values${perChannel ? ' per channel' : ''}${masked ? ', positions coded' : ''}`);
      trial++;
    }
  }
  // Large runs: 20 000 elements with 10 nonzeros push the Rice parameter up and exercise long codes.
  const big = new Float32Array(20000);
  for (let k = 0; k < 10; k++) big[randomInt(rand, 0, big.length - 1)] = k + 1;
  roundTrip(new Tensor('float32', big, [200, 100]), null, true, 'sparse 20 000');
});

test('skewed index distributions: lengths ≤ 15, optimal when unconstrained, bit-exact', () => {
  // Unconstrained: Σ count·length lies within [entropy, entropy + 1 bit per symbol) (Huffman's bound).
  for (const counts of [[1000, 1, 1], [50, 30, 10, 5, 3, 1, 1], Array.from({ length: 16 }, (_, s) => 2 ** (15 - s))]) {
    const n = counts.reduce((a, c) => a + c, 0);
    const lengths = huffmanLengths(counts);
    const cost = counts.reduce((a, c, s) => a + c * lengths[s], 0);
    const entropy = -counts.reduce((a, c) => a + c * Math.log2(c / n), 0);
    assert.ok(cost >= entropy - 1e-9 && cost < entropy + n, `${counts}: ${cost} bits, entropy ${entropy}`);
    assert.is(lengths.reduce((a, l) => a + 2 ** -l, 0), 1, 'complete code');
  }
  // Fibonacci counts over 30 symbols would need a 29-bit code: the limit flattens them to ≤ 15.
  const fib = [1, 1];
  while (fib.length < 30) fib.push(fib[fib.length - 1] + fib[fib.length - 2]);
  for (const counts of [fib, Array.from({ length: 256 }, (_, s) => Math.max(1, Math.floor(2 ** 30 / 2 ** Math.min(s, 29))))]) {
    const lengths = huffmanLengths(counts);
    assert.ok(Math.max(...lengths) <= 15, `longest code ${Math.max(...lengths)}`);
    assert.is(lengths.reduce((a, l) => a + 2 ** -l, 0), 1, 'complete code');
    // A tensor drawn with those proportions (every symbol at least once) decodes exactly.
    const symbols: number[] = [];
    counts.forEach((c, s) => symbols.push(...new Array(Math.min(c, 400)).fill(s)));
    const order = symbols.map((s) => [rand(), s]).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    const stream = encodeEntropyStream(order.length, counts.length, { positions: null, symbols: order });
    assert.equal([...decodeEntropyStream(stream, order.length, counts.length, 'skewed').symbols], order);
  }
});

test('a single-valued tensor costs 0 bits per index; empty and all-zero tensors', () => {
  const one = new Float32Array(1000).fill(0.25);
  const dense = encodeCodebook(new Tensor('float32', one, [1000]), { axis: null, masked: false, entries: 1, bits: 2, coding: RH });
  assert.is(dense.indices.length, 1, 'P + one 4-bit length: 5 bits');
  assert.equal([...(decodeWith([dense.codebook, u8(dense.indices)], { shape: [1000], bits: 2, coding: RH }).data as Float32Array)], [...one]);
  const sparse = new Float32Array(1000).map((_, i) => (i % 7 === 3 ? -2 : 0));
  const s = roundTrip(new Tensor('float32', sparse, [10, 100]), null, true, 'one value, 1 in 7 stored');
  // 1 + 5 header bits; runs 3, 6 × 142, 2 as Rice codes with K = 2 (3 + 4 · 142 + 3 bits); one 4-bit length; 0 bits per index.
  assert.is(s, Math.ceil((6 + 3 + 4 * 142 + 3 + 4) / 8));
  // Empty: shape [0] and [3, 0], with and without positions.
  for (const dims of [[0], [3, 0]]) {
    for (const masked of [false, true]) {
      const t = new Tensor('float32', new Float32Array(0), dims);
      const enc = encodeCodebook(t, { axis: null, masked, entries: 1, bits: 2, coding: RH });
      const y = decodeWith([enc.codebook, u8(enc.indices)], { shape: dims, bits: 2, coding: RH });
      assert.equal([y.size, y.dims], [0, dims]);
    }
  }
  // All zero: the positions section is one run of `size` and the length table is all zero.
  const zeros = new Tensor('int8', new Int8Array(300), [3, 100]);
  assert.is(roundTrip(zeros, null, true, 'all zero'), 3, '1 + 5 + Rice(300) + 4 bits');
  const { bytes, weights } = saveModelWithReport(gemmOf(new Tensor('float32', new Float32Array(64 * 9), [64, 9])), { codebook: true });
  // Saved, zero is the one codebook value: the 5-bit stream (P = 0, one length) beats coding the positions.
  assert.equal([weights[0].form, weights[0].bytes], ['codebook+huffman', 4 + 1]);
  assert.equal(bitsOf(weightOf(decompress(importModel(bytes)), 'w')), new Array(64 * 9).fill(0));
});

function gemmOf(w: Tensor): Graph {
  const b = new GraphBuilder('g', 17);
  const x = b.input('x', 'float32', [2, w.dims[1]]);
  b.output(b.gemm(x, b.constant(w, 'w'), undefined, { transB: 1 }), 'y');
  return b.build();
}

function weightOf(g: Graph, name: string): Tensor {
  return g.constants().find((v) => v.name === name)!.constant!;
}

test('sizes against the bitmask form; saveModel picks the smallest and round-trips it', () => {
  const rows: string[] = [];
  for (const sparsity of [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99]) {
    const t = randomTensor('int8', [128, 64], sparsity, 15, null);
    // Every codebook form the saver weighs (per tensor; per channel is far larger here), in bytes with a float32 codebook.
    const forms = (sparsity > 0 ? [false, true] : [false]).map((masked) => {
      const entries = entriesOf(t, null, masked);
      const bits = entries <= 16 ? 4 : 8;
      const packed = encodeCodebook(t, { axis: null, masked, entries, bits, coding: 'packed' });
      const coded = encodeCodebook(t, { axis: null, masked, entries, bits, coding: RH });
      return { masked, packed: packed.indices.length + (packed.mask?.length ?? 0), coded: coded.indices.length, book: entries * 4 };
    });
    const { packed, coded } = forms[forms.length - 1];
    rows.push(`${sparsity}: ${sparsity > 0 ? 'mask + 4-bit indices' : '4-bit indices'} ${packed} B, rice-huffman ${coded} B (${(packed / coded).toFixed(2)}× smaller)`);
    // Skewed values and (from 0.7 on) sparse positions: the entropy-coded form is smaller.
    if (sparsity === 0 || sparsity >= 0.7) assert.ok(coded < packed, rows[rows.length - 1]);
    const { bytes, weights } = saveModelWithReport(gemmOf(new Tensor('float32', Float32Array.from(t.data as Int8Array), [128, 64])), { codebook: true });
    const want = Math.min(...forms.flatMap((f) => [f.packed + f.book, f.coded + f.book]));
    assert.is(weights[0].bytes, want, `${sparsity}: saver took ${weights[0].form}`);
    assert.equal(bitsOf(weightOf(decompress(importModel(bytes)), 'w')), bitsOf(Float32Array.from(t.data as Int8Array)));
    const y = InferenceSession.createSync(importModel(bytes)).runSync({ x: new Tensor('float32', randomF32(rng(1), 128), [2, 64]) }).y;
    const ref = InferenceSession.createSync(gemmOf(new Tensor('float32', Float32Array.from(t.data as Int8Array), [128, 64]))).runSync({ x: new Tensor('float32', randomF32(rng(1), 128), [2, 64]) }).y;
    assert.equal(bitsOf(y), bitsOf(ref), 'save → load: identical outputs');
  }
  console.log(`  8192 int8 weights, 15 values (skewed), index bytes:\n    ${rows.join('\n    ')}`);
});

test('malformed streams → EdgeRunError naming the node and input 1', () => {
  const book = new Tensor('float32', [-1, 4, 9], [3]);
  const at = /CodebookDecode 'dec': input 1 \(rice-huffman stream\)/;
  const fails = (stream: Uint8Array, shape: number[], pattern: RegExp, inputs: (Tensor | null)[] = [book]) => {
    const e = expectEdgeRunError(() => decodeWith([...inputs, u8(stream)], { shape, bits: 2, coding: RH }), 'InvalidModel', pattern);
    assert.match(e.message, at);
  };
  const valid = fromBits('1 00000 0 110 0 10 10 0100 1000 0100 0 0 11 10');
  for (let n = 0; n < valid.length; n++) fails(valid.slice(0, n), [8], /is truncated: it ends \(\d bytes\) while reading/);
  fails(new Uint8Array([...valid, 0]), [8], /has 1 byte\(s\) after the end of the stream \(5 bytes used\)/);
  fails(Uint8Array.from(valid, (b, i) => (i === 4 ? b | 0x80 : b)), [8], /nonzero padding bit 39/);
  for (const k of [25, 31]) fails(fromBits(`1 ${[0, 1, 2, 3, 4].map((t) => (k >> t) & 1).join('')} 0 0000 0000 0000`), [8], new RegExp(`Rice parameter ${k}; the largest allowed is 24`));
  fails(fromBits('1 00000 111111111111111111111111'), [8], /zero run at element 0 that overruns the 8 elements/);
  fails(fromBits('1 11000 0 111'), [4], /zero run at element 0 that overruns the 4 elements/); // K = 3, run 7 > 4
  fails(fromBits('1 00000 0 0 110'), [3], /zero run at element 2 that overruns the 3 elements/); // runs 0, 0, then ≥ 2 from element 2
  fails(fromBits('0 1000 1000 1000 00'), [2], /code lengths \[1, 1, 1\] that are over-subscribed/);
  fails(fromBits('0 1000 0100 0000 00'), [2], /code lengths \[1, 2, 0\] that are incomplete/);
  fails(fromBits('0 0100 0000 0000 00'), [2], /only symbol 0 the code length 2/);
  fails(fromBits('0 0000 0000 0000'), [2], /has no code lengths but must code the codebook index of stored element 0/);
  // Not the stream but its node: a mask beside it, an unknown coding.
  expectEdgeRunError(() => decodeWith([book, u8(valid), u8([0])], { shape: [8], bits: 2, coding: RH }), 'InvalidModel', /dec.*mask \(input 2\) does not go with coding = 'rice-huffman'/);
  expectEdgeRunError(() => decodeWith([book, u8(valid)], { shape: [8], bits: 2, coding: 'zip' }), 'InvalidModel', /attribute coding = 'zip' must be 'packed' or 'rice-huffman'/);
});

test('mutated streams: an EdgeRunError or a tensor of codebook values, never another error or a hang', () => {
  const cases: { t: Tensor; masked: boolean; axis: number | null }[] = [
    { t: randomTensor('float32', [40, 50], 0.8, 15, null), masked: true, axis: null },
    { t: randomTensor('int8', [16, 30], 0.5, 200, null), masked: true, axis: null },
    { t: randomTensor('float32', [12, 20], 0, 5, 0), masked: false, axis: 0 },
    { t: randomTensor('uint8', [500], 0.99, 3, null), masked: true, axis: null },
  ];
  const started = Date.now();
  let errors = 0;
  let decoded = 0;
  for (const [c, { t, masked, axis }] of cases.entries()) {
    const entries = entriesOf(t, axis, masked);
    const bits = entries <= 4 ? 2 : entries <= 16 ? 4 : 8;
    const enc = encodeCodebook(t, { axis, masked, entries, bits, coding: RH });
    const book = enc.codebook.data as TypedData;
    const allowed = new Set([...bitsOf(book), 0]);
    const p: CodebookDecodeParams = { shape: [...t.dims], bits, axis, size: t.size, coding: RH };
    for (let m = 0; m < 600; m++) {
      const s = mutate(enc.indices);
      try {
        const out = decodeCodebookTensor({ codebook: book, dtype: t.type, indices: s, mask: null, scale: null }, p, `case ${c}`);
        assert.is(out.length, t.size);
        for (const v of bitsOf(out)) assert.ok(allowed.has(v), `case ${c}, mutation ${m}: ${v} is not in the codebook`);
        decoded++;
      } catch (e) {
        if (!(e instanceof EdgeRunError) || e.code !== 'InvalidModel' || !e.message.includes(`case ${c}`)) throw e;
        errors++;
      }
    }
  }
  assert.ok(errors > 1000 && Date.now() - started < 10_000, `${errors} errors, ${decoded} decoded in ${Date.now() - started} ms`);
});

test('mutated streams inside a saved model file: session creation fails with an EdgeRunError naming the node, or runs', () => {
  const w = randomTensor('float32', [64, 40], 0.8, 15, null);
  const { bytes, weights } = saveModelWithReport(gemmOf(w), { codebook: true });
  assert.is(weights[0].form, 'codebook+rice-huffman');
  const stream = weights[0].parts[1];
  const at = findBytes(bytes, stream);
  assert.ok(at > 0, 'the stream is stored verbatim in the file');
  const node = importModel(bytes).nodes.find((n) => n.op === 'CodebookDecode')!.name;
  const x = new Tensor('float32', randomF32(rand, 80), [2, 40]);
  let errors = 0;
  for (let m = 0; m < 150; m++) {
    const file = bytes.slice();
    const flips = randomInt(rand, 1, 3);
    for (let f = 0; f < flips; f++) file[at + randomInt(rand, 0, stream.length - 1)] ^= 1 << randomInt(rand, 0, 7);
    try {
      const y = InferenceSession.createSync(file).runSync({ x }).y;
      assert.equal(y.dims, [2, 64]);
    } catch (e) {
      if (!(e instanceof EdgeRunError) || e.code !== 'InvalidModel' || !e.message.includes(`CodebookDecode '${node}': input 1 (rice-huffman stream)`)) throw e;
      errors++;
    }
  }
  assert.ok(errors > 75, `${errors} of 150 mutations detected`);
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function mutate(stream: Uint8Array): Uint8Array {
  const out = stream.slice();
  switch (randomInt(rand, 0, 4)) {
    case 0: // flip a few bits
      for (let f = randomInt(rand, 1, 4); f > 0; f--) out[randomInt(rand, 0, out.length - 1)] ^= 1 << randomInt(rand, 0, 7);
      return out;
    case 1: // truncate
      return out.slice(0, randomInt(rand, 0, out.length - 1));
    case 2: // overwrite bytes (hits the flag, the Rice parameter, the lengths)
      for (let f = randomInt(rand, 1, 4); f > 0; f--) out[randomInt(rand, 0, Math.min(out.length - 1, 9))] = randomInt(rand, 0, 255);
      return out;
    case 3: // append random bytes
      return Uint8Array.from([...out, ...Array.from({ length: randomInt(rand, 1, 8) }, () => randomInt(rand, 0, 255))]);
    default: { // all ones from some byte on (long unary runs)
      const from = randomInt(rand, 0, out.length - 1);
      out.fill(0xff, from);
      return out;
    }
  }
}

test.run();
