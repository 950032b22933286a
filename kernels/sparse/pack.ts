// Lays the sparse formats of formats.ts out in the arena for the WASM kernels (layouts:
// wasm/lib/spmm-sell4.ts, spmm-bsr.ts, spmm-nm.ts). One arena block per packed weight; the
// reference build keeps the column lists (what the format multiplies) in JavaScript arrays.
import { checkPackedWeights, PackedArenaWeights } from '../packed-weights.js';
import type { Runtime } from '../runtime.js';
import { blockEntries, nmEntries, type BlockLists, type ColumnLists, type NmLists, type WeightArray } from './formats.js';

export type SparseFormat = 'csr' | 'bsr1x4' | 'bsr4x4' | '2:4';
export const SPARSE_FORMATS: readonly SparseFormat[] = ['csr', 'bsr1x4', 'bsr4x4', '2:4'];

const SELL4_META_WORDS = 24;
const BSR_META_WORDS = 12;
const NM_META_WORDS = 8;

/** Byte offsets of a layout's sections from the block's start. */
export type Sections = Record<string, number>;

export class PackedSparse extends PackedArenaWeights {
  constructor(
    rt: Runtime,
    readonly format: SparseFormat,
    readonly K: number,
    readonly N: number,
    readonly weightType: 'float32' | 'int8',
    /** Multiply-adds per input row (stored entries, explicit zeros of blocks included). */
    readonly entries: number,
    /** Arena block (WASM builds; -1 for the reference build). */
    ptr: number,
    readonly bytes: number,
    readonly sections: Sections,
    /** Groups of 4 columns (csr) or column blocks (bsr, 2:4). */
    readonly groups: number,
    /** k groups of 4 (2:4). */
    readonly kGroups: number,
    /** The reference build's oracle data. */
    readonly lists: ColumnLists,
    readonly bias: Float32Array,
    readonly scales: Float32Array,
    /**
     * What one unit of a stored csr index is, in elements: 4 when the u16 indices hold byte
     * offsets 4k (K <= CSR_OFFSET_MAX_K: the batch-1 kernel gathers without arithmetic), else 1.
     */
    readonly indexUnit: 1 | 4 = 1,
  ) {
    super(rt, ptr);
  }
  protected get what(): string {
    return 'packed sparse weights';
  }
  /** Bytes of the weights as stored (what a model file or a download would hold). */
  get weightBytes(): number {
    return this.bytes;
  }
}

export function checkPackedSparse(rt: Runtime, p: PackedSparse, where: string): PackedSparse {
  checkPackedWeights(rt, p, PackedSparse, 'packSparseGemm or packSparseConv2d', where);
  return p;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** Allocates `sizes` (bytes) back to back, each section 16-byte aligned. */
function allocSections(rt: Runtime, sizes: Record<string, number>, what: string): { ptr: number; bytes: number; sections: Sections } {
  const sections: Sections = {};
  let at = 0;
  for (const [name, n] of Object.entries(sizes)) {
    sections[name] = at;
    at += align16(n);
  }
  const ptr = rt.arena.alloc(Math.max(at, 16), what);
  rt.arena.u8(ptr, Math.max(at, 16)).fill(0);
  return { ptr, bytes: at, sections };
}

function writeWeights(rt: Runtime, at: number, w: WeightArray, from: number, to: number, count: number): void {
  if (w instanceof Int8Array) rt.arena.i8(at, count).set(w.subarray(from, to));
  else rt.arena.f32(at, count).set(w.subarray(from, to));
}

interface Common {
  bias: Float32Array;
  scales: Float32Array;
  int8: boolean;
}

/** Largest K whose byte offsets 4k fit a u16 index (wasm/lib/spmm-sell4.ts STAGE_FLOATS). */
export const CSR_OFFSET_MAX_K = 16384;

/**
 * SELL-4: columns sorted by nonzero count, 4 per group, interleaved lane by lane. Indices are
 * byte offsets 4k when K <= CSR_OFFSET_MAX_K, else k.
 */
export function packCsr(rt: Runtime, c: ColumnLists, common: Common, where: string): PackedSparse {
  const { K, N, ptr, k, w } = c;
  const wb = common.int8 ? 1 : 4;
  const count = (n: number) => ptr[n + 1] - ptr[n];
  const order = Array.from({ length: N }, (_, n) => n).sort((a, b) => count(b) - count(a) || a - b);
  const G = Math.ceil(N / 4);
  let E = 0;
  for (let g = 0; g < G; g++) E += order[4 * g] === undefined ? 0 : count(order[4 * g]);
  if (rt.build === 'reference') return new PackedSparse(rt, 'csr', K, N, common.int8 ? 'int8' : 'float32', k.length, -1, 0, {}, G, 0, c, common.bias, common.scales);
  const { ptr: base, bytes, sections } = allocSections(rt, { meta: G * SELL4_META_WORDS * 4, idx: E * 8, val: E * 4 * wb }, `${where}: packed sparse weights`);
  const meta = rt.arena.i32(base + sections.meta, G * SELL4_META_WORDS);
  const metaF = rt.arena.f32(base + sections.meta, G * SELL4_META_WORDS);
  const idx = rt.arena.u16(base + sections.idx, E * 4);
  const valF = common.int8 ? null : rt.arena.f32(base + sections.val, E * 4);
  const valI = common.int8 ? rt.arena.i8(base + sections.val, E * 4) : null;
  const unit = K <= CSR_OFFSET_MAX_K ? 4 : 1;
  let first = 0;
  for (let g = 0; g < G; g++) {
    const cols = [0, 1, 2, 3].map((j) => (4 * g + j < N ? order[4 * g + j] : -1));
    const counts = cols.map((n) => (n < 0 ? 0 : count(n)));
    const steps = Math.max(...counts);
    const m = g * SELL4_META_WORDS;
    meta[m] = steps;
    meta[m + 1] = first;
    meta[m + 2] = Math.min(...counts);
    for (let j = 0; j < 4; j++) {
      const n = cols[j];
      meta[m + 4 + j] = n;
      meta[m + 8 + j] = counts[j];
      metaF[m + 12 + j] = n < 0 ? 0 : common.bias[n];
      metaF[m + 16 + j] = n < 0 ? 1 : common.scales[n];
      for (let s = 0; s < counts[j]; s++) {
        const e = ptr[n] + s;
        const at = (first + s) * 4 + j;
        idx[at] = k[e] * unit;
        if (valF) valF[at] = w[e];
        else valI![at] = w[e];
      }
    }
    first += steps;
  }
  return new PackedSparse(rt, 'csr', K, N, common.int8 ? 'int8' : 'float32', k.length, base, bytes, sections, G, 0, c, common.bias, common.scales, unit);
}

export function packBsr(rt: Runtime, b: BlockLists, common: Common, where: string): PackedSparse {
  const { K, N, B } = b;
  const wb = common.int8 ? 1 : 4;
  const format: SparseFormat = b.block === '1x4' ? 'bsr1x4' : 'bsr4x4';
  const lists = blockEntries(b);
  const n4 = b.k4.length;
  const n1 = b.k1.length;
  if (rt.build === 'reference') return new PackedSparse(rt, format, K, N, common.int8 ? 'int8' : 'float32', lists.k.length, -1, 0, {}, B, 0, lists, common.bias, common.scales);
  const { ptr: base, bytes, sections } = allocSections(
    rt,
    { meta: B * BSR_META_WORDS * 4, idx4: n4 * 4, val4: n4 * 16 * wb, idx1: n1 * 4, val1: n1 * 4 * wb },
    `${where}: packed block-sparse weights`,
  );
  const meta = rt.arena.i32(base + sections.meta, B * BSR_META_WORDS);
  const metaF = rt.arena.f32(base + sections.meta, B * BSR_META_WORDS);
  for (let blk = 0; blk < B; blk++) {
    const m = blk * BSR_META_WORDS;
    meta[m] = b.ptr4[blk];
    meta[m + 1] = b.ptr4[blk + 1] - b.ptr4[blk];
    meta[m + 2] = b.ptr1[blk];
    meta[m + 3] = b.ptr1[blk + 1] - b.ptr1[blk];
    for (let j = 0; j < 4; j++) {
      const n = 4 * blk + j;
      metaF[m + 4 + j] = n < N ? common.bias[n] : 0;
      metaF[m + 8 + j] = n < N ? common.scales[n] : 1;
    }
  }
  rt.arena.i32(base + sections.idx4, n4).set(b.k4.map((v) => v * 4));
  rt.arena.i32(base + sections.idx1, n1).set(b.k1.map((v) => v * 4));
  writeWeights(rt, base + sections.val4, b.w4, 0, n4 * 16, n4 * 16);
  writeWeights(rt, base + sections.val1, b.w1, 0, n1 * 4, n1 * 4);
  return new PackedSparse(rt, format, K, N, common.int8 ? 'int8' : 'float32', lists.k.length, base, bytes, sections, B, 0, lists, common.bias, common.scales);
}

export function packNm(rt: Runtime, nm: NmLists, common: Common, where: string): PackedSparse {
  const { K, N, B, Kg } = nm;
  const wb = common.int8 ? 1 : 4;
  const lists = nmEntries(nm);
  if (rt.build === 'reference') return new PackedSparse(rt, '2:4', K, N, common.int8 ? 'int8' : 'float32', lists.k.length, -1, 0, {}, B, Kg, lists, common.bias, common.scales);
  const { ptr: base, bytes, sections } = allocSections(rt, { meta: B * NM_META_WORDS * 4, codes: nm.codes.length, val: nm.w.length * wb }, `${where}: packed 2:4 weights`);
  const metaF = rt.arena.f32(base + sections.meta, B * NM_META_WORDS);
  for (let blk = 0; blk < B; blk++) {
    for (let j = 0; j < 4; j++) {
      const n = 4 * blk + j;
      metaF[blk * NM_META_WORDS + j] = n < N ? common.bias[n] : 0;
      metaF[blk * NM_META_WORDS + 4 + j] = n < N ? common.scales[n] : 1;
    }
  }
  rt.arena.u8(base + sections.codes, nm.codes.length).set(nm.codes);
  writeWeights(rt, base + sections.val, nm.w, 0, nm.w.length, nm.w.length);
  return new PackedSparse(rt, '2:4', K, N, common.int8 ? 'int8' : 'float32', lists.k.length, base, bytes, sections, B, Kg, lists, common.bias, common.scales);
}
