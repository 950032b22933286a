// Sparse weight formats, built from a dense weight matrix (zeros dropped) or checked when a
// caller hands them in. Everything is "by output column": for Y[M×N] = X[M×K]·W, output column
// n (a row of W when it is given N×K, transB; an output channel of a convolution) lists the
// input indices k it reads. Pure TypeScript, no runtime: kernels/sparse/pack.ts lays these out
// for the WASM kernels.
import { EdgeRunError } from '../../engine/errors.js';

export type WeightArray = Float32Array | Int8Array;

/** CSR by output column: column n's nonzeros are k[ptr[n] .. ptr[n+1]) with weights w[...]. */
export interface ColumnLists {
  readonly K: number;
  readonly N: number;
  readonly ptr: Int32Array;
  readonly k: Int32Array;
  readonly w: WeightArray;
}

/** Blocks 4 output columns wide: 4×4 (k0..k0+3 × 4 columns) and 1×4 (one k × 4 columns). */
export interface BlockLists {
  readonly K: number;
  readonly N: number;
  readonly block: '1x4' | '4x4';
  /** Column blocks: ceil(N / 4). Block list b is [ptr4[b], ptr4[b+1]) etc. */
  readonly B: number;
  readonly ptr4: Int32Array;
  readonly k4: Int32Array;
  /** 16 weights per 4×4 block, [kk][col]. */
  readonly w4: WeightArray;
  readonly ptr1: Int32Array;
  readonly k1: Int32Array;
  /** 4 weights per 1×4 block. */
  readonly w1: WeightArray;
}

/** 2:4 along K: per column block b and k group g, 2 selected positions and weights per column. */
export interface NmLists {
  readonly K: number;
  readonly N: number;
  readonly B: number;
  /** ceil(K / 4) */
  readonly Kg: number;
  /** 8 bytes per (b, g): [col0 first, col0 second, col1 first, ...], position·4 or 0x80 (none). */
  readonly codes: Uint8Array;
  /** 8 weights per (b, g): [first of cols 0..3][second of cols 0..3], 0 where none. */
  readonly w: WeightArray;
}

export const NONE = 0x80;

/** W[k][n] wherever it lives (K×N row-major, or N×K with transB). */
export function accessor(w: WeightArray, K: number, N: number, transB: boolean): (k: number, n: number) => number {
  return transB ? (k, n) => w[n * K + k] : (k, n) => w[k * N + n];
}

function sameKind(w: WeightArray, n: number): WeightArray {
  return w instanceof Int8Array ? new Int8Array(n) : new Float32Array(n);
}

export function checkWeights(w: unknown, K: number, N: number, where: string): WeightArray {
  if (!(w instanceof Float32Array) && !(w instanceof Int8Array)) {
    throw new EdgeRunError('DTypeMismatch', `${where}: weights must be a Float32Array or an Int8Array`);
  }
  if (w.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: weights have ${w.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  return w;
}

/** Drops the zeros of a dense W. */
export function columnListsFromDense(w: WeightArray, K: number, N: number, transB: boolean): ColumnLists {
  const at = accessor(w, K, N, transB);
  const ptr = new Int32Array(N + 1);
  let nnz = 0;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) if (at(k, n) !== 0) nnz++;
    ptr[n + 1] = nnz;
  }
  const ks = new Int32Array(nnz);
  const ws = sameKind(w, nnz);
  let e = 0;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const v = at(k, n);
      if (v !== 0) {
        ks[e] = k;
        ws[e++] = v;
      }
    }
  }
  return { K, N, ptr, k: ks, w: ws };
}

/** Validates caller-made column lists (ascending, distinct k per column, all in range). */
export function checkColumnLists(c: ColumnLists, where: string): ColumnLists {
  if (typeof c !== 'object' || c === null) throw new EdgeRunError('InvalidArgument', `${where}: column lists must be an object { K, N, ptr, k, w }`);
  const { K, N, ptr, k, w } = c;
  for (const [v, name] of [[K, 'K'], [N, 'N']] as const) {
    if (!Number.isInteger(v) || v < 0) throw new EdgeRunError('InvalidArgument', `${where}: ${name} must be a non-negative integer, got ${v}`);
  }
  if (!(ptr instanceof Int32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: ptr must be an Int32Array`);
  if (!(k instanceof Int32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: k must be an Int32Array`);
  if (!(w instanceof Float32Array) && !(w instanceof Int8Array)) throw new EdgeRunError('DTypeMismatch', `${where}: w must be a Float32Array or an Int8Array`);
  if (ptr.length !== N + 1) throw new EdgeRunError('ShapeMismatch', `${where}: ptr has ${ptr.length} entries, expected N + 1 = ${N + 1}`);
  if (ptr[0] !== 0) throw new EdgeRunError('InvalidArgument', `${where}: ptr[0] must be 0, got ${ptr[0]}`);
  if (k.length !== w.length) throw new EdgeRunError('ShapeMismatch', `${where}: k has ${k.length} entries but w has ${w.length}`);
  if (ptr[N] !== k.length) throw new EdgeRunError('ShapeMismatch', `${where}: ptr[N] = ${ptr[N]} but there are ${k.length} nonzeros`);
  for (let n = 0; n < N; n++) {
    if (ptr[n + 1] < ptr[n]) throw new EdgeRunError('InvalidArgument', `${where}: ptr decreases at column ${n} (${ptr[n]} > ${ptr[n + 1]})`);
  }
  for (let n = 0; n < N; n++) {
    for (let e = ptr[n]; e < ptr[n + 1]; e++) {
      const kk = k[e];
      if (!Number.isInteger(kk) || kk < 0 || kk >= K) throw new EdgeRunError('InvalidArgument', `${where}: k[${e}] = ${kk} (column ${n}) is out of range [0, ${K})`);
      if (e > ptr[n] && kk <= k[e - 1]) throw new EdgeRunError('InvalidArgument', `${where}: k of column ${n} must be strictly increasing (k[${e - 1}] = ${k[e - 1]}, k[${e}] = ${kk})`);
    }
  }
  if (w instanceof Float32Array) {
    for (let e = 0; e < w.length; e++) {
      if (!Number.isFinite(w[e])) throw new EdgeRunError('InvalidArgument', `${where}: w[${e}] = ${w[e]} is not finite`);
    }
  }
  return c;
}

/** Keeps every block (4 columns × 4 k, or × 1 k) with any nonzero weight. */
export function blocksFromDense(w: WeightArray, K: number, N: number, transB: boolean, block: '1x4' | '4x4'): BlockLists {
  const at = accessor(w, K, N, transB);
  const B = Math.ceil(N / 4);
  const get = (k: number, n: number) => (n < N ? at(k, n) : 0);
  const K4 = block === '4x4' ? K & ~3 : 0;
  const ptr4 = new Int32Array(B + 1);
  const ptr1 = new Int32Array(B + 1);
  const k4: number[] = [];
  const k1: number[] = [];
  const v4: number[] = [];
  const v1: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let k0 = 0; k0 < K4; k0 += 4) {
      const vals: number[] = [];
      for (let kk = 0; kk < 4; kk++) for (let j = 0; j < 4; j++) vals.push(get(k0 + kk, 4 * b + j));
      if (vals.some((v) => v !== 0)) {
        k4.push(k0);
        v4.push(...vals);
      }
    }
    for (let k = K4; k < K; k++) {
      const vals = [0, 1, 2, 3].map((j) => get(k, 4 * b + j));
      if (vals.some((v) => v !== 0)) {
        k1.push(k);
        v1.push(...vals);
      }
    }
    ptr4[b + 1] = k4.length;
    ptr1[b + 1] = k1.length;
  }
  const make = (vals: number[]) => (w instanceof Int8Array ? Int8Array.from(vals) : Float32Array.from(vals));
  return { K, N, block, B, ptr4, k4: Int32Array.from(k4), w4: make(v4), ptr1, k1: Int32Array.from(k1), w1: make(v1) };
}

/** 2:4 along K. Throws when a group of 4 consecutive k of a column holds more than 2 nonzeros. */
export function nmFromDense(w: WeightArray, K: number, N: number, transB: boolean, where: string): NmLists {
  const at = accessor(w, K, N, transB);
  const B = Math.ceil(N / 4);
  const Kg = Math.ceil(K / 4);
  const codes = new Uint8Array(B * Kg * 8).fill(NONE);
  const ws = sameKind(w, B * Kg * 8);
  for (let n = 0; n < N; n++) {
    const b = n >> 2;
    const j = n & 3;
    for (let g = 0; g < Kg; g++) {
      let found = 0;
      for (let i = 0; i < 4 && 4 * g + i < K; i++) {
        const v = at(4 * g + i, n);
        if (v === 0) continue;
        if (found === 2) {
          throw new EdgeRunError(
            'InvalidArgument',
            `${where}: weights are not 2:4 sparse: output ${n} has more than 2 nonzeros among k = ${4 * g}..${Math.min(K, 4 * g + 4) - 1}`,
          );
        }
        const base = (b * Kg + g) * 8;
        codes[base + 2 * j + found] = 4 * i;
        ws[base + 4 * found + j] = v;
        found++;
      }
    }
  }
  return { K, N, B, Kg, codes, w: ws };
}

/**
 * The multiply-adds a format performs, as column lists: blocks keep their explicit zeros (the
 * block kernels multiply them), 2:4 keeps only its selected weights. The reference build runs
 * these, so it is a faithful twin of each WASM kernel (even for an Inf input times a zero).
 */
export function blockEntries(b: BlockLists): ColumnLists {
  const { K, N, B } = b;
  const lists: Array<Array<[number, number]>> = Array.from({ length: N }, () => []);
  for (let blk = 0; blk < B; blk++) {
    for (let e = b.ptr4[blk]; e < b.ptr4[blk + 1]; e++) {
      for (let kk = 0; kk < 4; kk++) for (let j = 0; j < 4; j++) if (4 * blk + j < N) lists[4 * blk + j].push([b.k4[e] + kk, b.w4[e * 16 + kk * 4 + j]]);
    }
    for (let e = b.ptr1[blk]; e < b.ptr1[blk + 1]; e++) {
      for (let j = 0; j < 4; j++) if (4 * blk + j < N) lists[4 * blk + j].push([b.k1[e], b.w1[e * 4 + j]]);
    }
  }
  return fromLists(K, N, lists, b.w4 instanceof Int8Array);
}

export function nmEntries(nm: NmLists): ColumnLists {
  const { K, N, Kg } = nm;
  const lists: Array<Array<[number, number]>> = Array.from({ length: N }, () => []);
  for (let n = 0; n < N; n++) {
    const b = n >> 2;
    const j = n & 3;
    for (let g = 0; g < Kg; g++) {
      const base = (b * Kg + g) * 8;
      for (let s = 0; s < 2; s++) {
        const code = nm.codes[base + 2 * j + s];
        if (code !== NONE) lists[n].push([4 * g + code / 4, nm.w[base + 4 * s + j]]);
      }
    }
  }
  return fromLists(K, N, lists, nm.w instanceof Int8Array);
}

function fromLists(K: number, N: number, lists: Array<Array<[number, number]>>, int8: boolean): ColumnLists {
  const ptr = new Int32Array(N + 1);
  for (let n = 0; n < N; n++) ptr[n + 1] = ptr[n] + lists[n].length;
  const k = new Int32Array(ptr[N]);
  const w = int8 ? new Int8Array(ptr[N]) : new Float32Array(ptr[N]);
  let e = 0;
  for (const list of lists) {
    list.sort((a, b) => a[0] - b[0]);
    for (const [kk, v] of list) {
      k[e] = kk;
      w[e++] = v;
    }
  }
  return { K, N, ptr, k, w };
}

/** Fraction of zeros in W. */
export function sparsityOf(w: WeightArray): number {
  let z = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
  return w.length === 0 ? 0 : z / w.length;
}
