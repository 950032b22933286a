// The one primitive behind Transpose, Concat, Split, Slice, DepthToSpace, SpaceToDepth and Pad:
// copy an N-d block of elements from strided positions to strided positions in the arena.
// Plans are simplified once at prepare time (size-1 axes dropped, axes that are contiguous in
// both source and destination merged), so a channel Concat or ShuffleNet's channel shuffle ends
// up as a few long block moves (TypedArray.copyWithin, a memmove) instead of element loops.
// Elements are moved as raw bits (integer views), so NaN payloads and -0 survive, whatever the dtype.
import { DTYPE_BYTES, type DType } from '../../../tensor.js';

/** Rows shorter than this many elements are copied by a loop: a copyWithin call costs more. */
const BLOCK_MIN = 16;

type Words = Uint8Array | Uint16Array | Int32Array;

/** A view of the whole arena buffer in units of `width` bytes (1, 2 or 4). */
export function wordsOf(buffer: ArrayBuffer, width: number): Words {
  return width === 1 ? new Uint8Array(buffer) : width === 2 ? new Uint16Array(buffer) : new Int32Array(buffer);
}

/** Bytes of one element; 8-byte elements are moved as two 4-byte words. */
export function elementBytes(dtype: DType): number {
  return DTYPE_BYTES[dtype];
}

export class StridedCopy {
  /** Unit moved: 1, 2 or 4 bytes. */
  readonly width: number;
  /** Simplified loop nest, outermost first; strides in units. The last axis is the row. */
  readonly dims: number[];
  readonly src: number[];
  readonly dst: number[];
  readonly empty: boolean;

  /**
   * `dims` in destination order; `src`/`dst` strides in elements of `elemBytes` bytes (negative
   * source strides allowed: Slice with negative steps).
   */
  constructor(elemBytes: number, dims: readonly number[], src: readonly number[], dst: readonly number[]) {
    let d = [...dims];
    let s = [...src];
    let t = [...dst];
    let width = elemBytes;
    if (elemBytes === 8) {
      // int64/float64 as pairs of 32-bit words: one more, innermost, contiguous axis.
      s = s.map((x) => 2 * x);
      t = t.map((x) => 2 * x);
      d.push(2);
      s.push(1);
      t.push(1);
      width = 4;
    }
    this.width = width;
    this.empty = d.some((n) => n === 0);
    const keep = d.map((n) => n !== 1);
    d = d.filter((_, i) => keep[i]);
    s = s.filter((_, i) => keep[i]);
    t = t.filter((_, i) => keep[i]);
    // Merge axis i into i+1 when stepping i is the same as running i+1 off its end, on both sides.
    for (let i = d.length - 2; i >= 0; i--) {
      if (s[i] === s[i + 1] * d[i + 1] && t[i] === t[i + 1] * d[i + 1]) {
        d.splice(i, 2, d[i] * d[i + 1]);
        s.splice(i, 1);
        t.splice(i, 1);
      }
    }
    if (d.length === 0) {
      d = [1];
      s = [1];
      t = [1];
    }
    this.dims = d;
    this.src = s;
    this.dst = t;
  }

  /** Copies from the tensor at byte address `srcByte` to the one at `dstByte` (both in `buffer`). */
  run(buffer: ArrayBuffer, srcByte: number, dstByte: number): void {
    if (this.empty) return;
    const w = this.width;
    const view = wordsOf(buffer, w);
    const last = this.dims.length - 1;
    const n = this.dims[last];
    const ss = this.src[last];
    const ds = this.dst[last];
    // One row mover per element width, so each loop only ever sees one typed-array kind (V8
    // keeps it monomorphic and fast).
    const row: RowMover =
      ss === 1 && ds === 1 && n >= BLOCK_MIN ? moveBlock : ((w === 4 ? move32 : w === 2 ? move16 : move8) as RowMover);
    if (last === 0) row(view, srcByte / w, dstByte / w, n, ss, ds);
    else this.nest(view, row, 0, srcByte / w, dstByte / w);
  }

  private nest(view: Words, row: RowMover, axis: number, s: number, d: number): void {
    const n = this.dims[axis];
    const ss = this.src[axis];
    const ds = this.dst[axis];
    const last = this.dims.length - 1;
    if (axis === last - 1) {
      const len = this.dims[last];
      const rs = this.src[last];
      const rd = this.dst[last];
      for (let i = 0; i < n; i++, s += ss, d += ds) row(view, s, d, len, rs, rd);
    } else {
      for (let i = 0; i < n; i++, s += ss, d += ds) this.nest(view, row, axis + 1, s, d);
    }
  }
}

/** Moves `n` units from s (stride ss) to d (stride ds), offsets in units. */
type RowMover = (v: Words, s: number, d: number, n: number, ss: number, ds: number) => void;

/** Contiguous rows: a memmove. */
function moveBlock(v: Words, s: number, d: number, n: number): void {
  v.copyWithin(d, s, s + n);
}

function move32(v: Int32Array, s: number, d: number, n: number, ss: number, ds: number): void {
  for (let i = 0; i < n; i++, s += ss, d += ds) v[d] = v[s];
}

function move16(v: Uint16Array, s: number, d: number, n: number, ss: number, ds: number): void {
  for (let i = 0; i < n; i++, s += ss, d += ds) v[d] = v[s];
}

function move8(v: Uint8Array, s: number, d: number, n: number, ss: number, ds: number): void {
  for (let i = 0; i < n; i++, s += ss, d += ds) v[d] = v[s];
}

/** Row-major strides of `dims` in elements. */
export function stridesOf(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= dims[i];
  }
  return out;
}

/**
 * Moves runs of contiguous elements between byte addresses of one buffer: long runs by memmove,
 * short ones by a word loop. Make one per run of a kernel (it holds views of the buffer).
 */
export class BlockMover {
  private readonly bytes: Uint8Array;
  private readonly words: Words;
  private readonly width: number;
  private readonly perElement: number;

  constructor(buffer: ArrayBuffer, private readonly elemBytes: number) {
    this.bytes = new Uint8Array(buffer);
    this.width = elemBytes === 8 ? 4 : elemBytes;
    this.perElement = elemBytes === 8 ? 2 : 1;
    this.words = wordsOf(buffer, this.width);
  }

  move(srcByte: number, dstByte: number, count: number): void {
    if (count >= BLOCK_MIN) {
      this.bytes.copyWithin(dstByte, srcByte, srcByte + count * this.elemBytes);
      return;
    }
    const v = this.words;
    const s = srcByte / this.width;
    const d = dstByte / this.width;
    const n = count * this.perElement;
    for (let i = 0; i < n; i++) v[d + i] = v[s + i];
  }
}
