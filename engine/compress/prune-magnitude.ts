// Pruning masks (1 = keep, 0 = prune) from weight magnitudes, the way tfmot computes them
// (sparsity/keras/pruning_impl.py): keep the k = max(1, round(size·(1 − s))) largest |w| —
// exactly k, ties broken by position so the result does not depend on the sort — either per
// element, per block of the weight matrix (pooled by AVG or MAX of |w|), or n of every m
// consecutive weights along the input channels (N:M, e.g. 2:4).
import { EdgeRunError } from '../errors.js';
import { axisView, viewIndex, type AxisView } from './weights.js';

export function checkSparsity(s: unknown, what: string): number {
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s >= 1) {
    throw new EdgeRunError('InvalidArgument', `${what}: sparsity ${String(s)} must be a number in [0, 1)`);
  }
  return s;
}

/** How many of `size` items a sparsity keeps (never none: tfmot's rule). */
export function keepCount(size: number, sparsity: number): number {
  return Math.max(1, Math.round(size * (1 - sparsity)));
}

/** Marks the `k` highest scores (ties: lower index first). */
export function topKMask(scores: ArrayLike<number>, k: number): Uint8Array {
  const n = scores.length;
  const keep = new Uint8Array(n);
  if (k >= n) return keep.fill(1);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  for (let i = 0; i < k; i++) keep[order[i]] = 1;
  return keep;
}

function magnitudes(w: Float32Array): Float32Array {
  const a = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
  return a;
}

/** Unstructured: keep the largest |w| of one tensor. */
export function magnitudeMask(w: Float32Array, sparsity: number): Uint8Array {
  return topKMask(magnitudes(w), keepCount(w.length, sparsity));
}

/** Unstructured with one threshold over several tensors: the largest |w| of them all survive. */
export function globalMagnitudeMasks(ws: readonly Float32Array[], sparsity: number): Uint8Array[] {
  const total = ws.reduce((s, w) => s + w.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const w of ws) {
    for (let i = 0; i < w.length; i++) all[at + i] = Math.abs(w[i]);
    at += w.length;
  }
  const keep = topKMask(all, keepCount(total, sparsity));
  const out: Uint8Array[] = [];
  at = 0;
  for (const w of ws) {
    out.push(keep.slice(at, at + w.length));
    at += w.length;
  }
  return out;
}

export type BlockPooling = 'avg' | 'max';

/**
 * Block sparsity in the orientation of the sparse kernels (kernels/sparse/formats.ts): the weight
 * is the matrix W[K × N] of Y = X·W — N output channels (`outAxis`), K inputs (everything else, in
 * storage order: for Conv [M, C, kH, kW] the im2col index c·kH·kW + ky·kW + kx; for Gemm the
 * input features). A block is `block[0]` consecutive k × `block[1]` consecutive output channels,
 * so '1x4' is [1, 4] (one input × 4 outputs, the BSR 1×4 the kernels run) and '4x4' is [4, 4].
 * Edge blocks are smaller (AVG divides by the elements they have). Whole blocks are kept or zeroed.
 */
export function blockMask(w: Float32Array, dims: readonly number[], outAxis: number, block: readonly [number, number], pooling: BlockPooling, sparsity: number): Uint8Array {
  const view = axisView(dims, outAxis);
  const [bc, br] = block; // columns of the view are k, rows are output channels
  const rows = view.n;
  const cols = view.outer * view.inner;
  const rowBlocks = Math.ceil(rows / br);
  const colBlocks = Math.ceil(cols / bc);
  const pooled = new Float64Array(rowBlocks * colBlocks);
  const counts = new Uint32Array(rowBlocks * colBlocks);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const b = Math.floor(r / br) * colBlocks + Math.floor(c / bc);
      const m = Math.abs(w[viewIndex(view, r, c)]);
      pooled[b] = pooling === 'max' ? Math.max(pooled[b], m) : pooled[b] + m;
      counts[b]++;
    }
  }
  if (pooling === 'avg') for (let b = 0; b < pooled.length; b++) pooled[b] /= counts[b];
  const keepBlock = topKMask(pooled, keepCount(pooled.length, sparsity));
  const keep = new Uint8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) keep[viewIndex(view, r, c)] = keepBlock[Math.floor(r / br) * colBlocks + Math.floor(c / bc)];
  }
  return keep;
}

/**
 * N:M sparsity: in every group of `m` consecutive weights along the input-channel axis `inAxis`
 * (at fixed output channel and kernel position: tfmot's and TFLite's convention, where channels
 * are the innermost dim), the `n` largest |w| survive. The axis length must be a multiple of m.
 */
export function nmMask(w: Float32Array, dims: readonly number[], inAxis: number, n: number, m: number): Uint8Array {
  return groupMask(w, axisView(dims, inAxis), n, m, 'N:M: the input-channel axis');
}

/**
 * N:M along the flattened input index k of W[K × N] (see blockMask): m consecutive k of one output
 * channel. For Gemm and 1×1 Conv this is the same as along channels; for a k×k Conv in ONNX's
 * OIHW layout consecutive k run along kW — the groups the 2:4 kernel (kernels/sparse) reads.
 */
export function nmMaskFlatK(w: Float32Array, dims: readonly number[], outAxis: number, n: number, m: number): Uint8Array {
  const view = axisView(dims, outAxis);
  const k = view.outer * view.inner;
  // Transpose the view: groups run over k (the columns) at a fixed output channel.
  const keep = new Uint8Array(w.length);
  if (k % m !== 0) throw new EdgeRunError('InvalidArgument', `N:M: the flattened input size ${k} is not a multiple of m = ${m}`);
  const group = new Float32Array(m);
  const at = new Uint32Array(m);
  for (let r = 0; r < view.n; r++) {
    for (let c0 = 0; c0 < k; c0 += m) {
      for (let j = 0; j < m; j++) {
        at[j] = viewIndex(view, r, c0 + j);
        group[j] = Math.abs(w[at[j]]);
      }
      const kept = topKMask(group, n);
      for (let j = 0; j < m; j++) keep[at[j]] = kept[j];
    }
  }
  return keep;
}

function groupMask(w: Float32Array, view: AxisView, n: number, m: number, what: string): Uint8Array {
  if (view.n % m !== 0) throw new EdgeRunError('InvalidArgument', `${what} has ${view.n} entries, not a multiple of m = ${m}`);
  const keep = new Uint8Array(w.length);
  const group = new Float32Array(m);
  const at = new Uint32Array(m);
  const cols = view.outer * view.inner;
  for (let c = 0; c < cols; c++) {
    for (let g = 0; g < view.n; g += m) {
      for (let j = 0; j < m; j++) {
        at[j] = viewIndex(view, g + j, c);
        group[j] = Math.abs(w[at[j]]);
      }
      const k = topKMask(group, n);
      for (let j = 0; j < m; j++) keep[at[j]] = k[j];
    }
  }
  return keep;
}

/** A new array with the pruned weights set to exactly zero (never the input array). */
export function applyMask(w: Float32Array, keep: Uint8Array): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) if (keep[i]) out[i] = w[i];
  return out;
}

export function countZeros(w: Float32Array): number {
  let z = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
  return z;
}
