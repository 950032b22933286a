// One-dimensional k-means (Lloyd's algorithm) for weight clustering. In 1-D the clusters of
// sorted centroids are contiguous runs of the sorted values, split at the midpoints between
// neighbouring centroids, so one iteration is k binary searches plus prefix-sum lookups —
// O(k log n), not O(n k) — after a single sort.
import { EdgeRunError } from '../errors.js';

export type CentroidInit = 'kmeans++' | 'linear' | 'density' | 'random';
export const CENTROID_INITS: readonly CentroidInit[] = ['kmeans++', 'linear', 'density', 'random'];

export interface KMeansOptions {
  init: CentroidInit;
  /** Seed of the random choices (kmeans++, random). */
  seed: number;
  maxIterations?: number;
  /** Stop when no centroid moves more than tolerance · (max − min). */
  tolerance?: number;
}

export interface KMeansResult {
  /** Ascending. */
  centroids: Float64Array;
  iterations: number;
  converged: boolean;
  /** Sum of squared distances to the nearest centroid. */
  inertia: number;
}

/** mulberry32: small, seedable, good enough to pick initial centroids. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function countUnique(values: ArrayLike<number>): number {
  return new Set(Array.from(values)).size;
}

/** Clusters `values` into k groups. The caller checks that there are at least k distinct values. */
export function kmeans1d(values: ArrayLike<number>, k: number, opts: KMeansOptions): KMeansResult {
  const xs = Float64Array.from(values).sort();
  const n = xs.length;
  if (k < 1 || n < k) throw new EdgeRunError('InvalidArgument', `kmeans: ${k} clusters for ${n} values`);
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    s1[i + 1] = s1[i] + xs[i];
    s2[i + 1] = s2[i] + xs[i] * xs[i];
  }
  const range = xs[n - 1] - xs[0];
  const tol = (opts.tolerance ?? 1e-7) * range;
  const maxIterations = opts.maxIterations ?? 300;
  let c = initialCentroids(xs, k, opts);
  let iterations = 0;
  let converged = false;
  const ends = new Int32Array(k + 1);
  while (iterations < maxIterations) {
    iterations++;
    split(xs, c, ends);
    const next = new Float64Array(k);
    const empty: number[] = [];
    for (let j = 0; j < k; j++) {
      const count = ends[j + 1] - ends[j];
      if (count === 0) empty.push(j);
      else next[j] = (s1[ends[j + 1]] - s1[ends[j]]) / count;
    }
    // An empty cluster restarts at the value farthest from its centroid (an end of some run).
    for (const j of empty) next[j] = farthestValue(xs, next, ends, empty);
    next.sort();
    let moved = 0;
    for (let j = 0; j < k; j++) moved = Math.max(moved, Math.abs(next[j] - c[j]));
    c = next;
    if (moved <= tol && empty.length === 0) {
      converged = true;
      break;
    }
  }
  split(xs, c, ends);
  let inertia = 0;
  for (let j = 0; j < k; j++) {
    const [lo, hi] = [ends[j], ends[j + 1]];
    // Σ (x − c)² = Σx² − 2cΣx + n c²
    inertia += s2[hi] - s2[lo] - 2 * c[j] * (s1[hi] - s1[lo]) + (hi - lo) * c[j] * c[j];
  }
  return { centroids: c, iterations, converged, inertia: Math.max(0, inertia) };
}

/** ends[j]..ends[j+1] is cluster j's run of the sorted values (values on a midpoint go to the lower cluster). */
function split(xs: Float64Array, c: Float64Array, ends: Int32Array): void {
  const k = c.length;
  ends[0] = 0;
  ends[k] = xs.length;
  for (let j = 0; j < k - 1; j++) ends[j + 1] = Math.max(ends[j], upperBound(xs, (c[j] + c[j + 1]) / 2));
}

/** First index whose value is > x. */
function upperBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Nearest centroid index of x among ascending centroids (ties: the lower). */
export function nearestCentroid(c: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > (c[mid] + c[mid + 1]) / 2) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function farthestValue(xs: Float64Array, c: Float64Array, ends: Int32Array, empty: number[]): number {
  let best = xs[0];
  let bestDist = -1;
  for (let j = 0; j < c.length; j++) {
    if (ends[j + 1] === ends[j] || empty.includes(j)) continue;
    for (const i of [ends[j], ends[j + 1] - 1]) {
      const d = Math.abs(xs[i] - c[j]);
      if (d > bestDist && !c.includes(xs[i])) [best, bestDist] = [xs[i], d];
    }
  }
  return best;
}

function initialCentroids(xs: Float64Array, k: number, opts: KMeansOptions): Float64Array {
  const n = xs.length;
  const [lo, hi] = [xs[0], xs[n - 1]];
  const c = new Float64Array(k);
  switch (opts.init) {
    case 'linear':
      // Evenly spaced between the smallest and the largest value (tfmot LINEAR).
      for (let j = 0; j < k; j++) c[j] = k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1);
      break;
    case 'density':
      // Evenly spaced on the CDF: the (j + ½)/k quantiles (tfmot DENSITY_BASED).
      for (let j = 0; j < k; j++) c[j] = xs[Math.min(n - 1, Math.floor(((j + 0.5) * n) / k))];
      break;
    case 'random': {
      // Uniform in [min, max] (tfmot RANDOM).
      const rand = seededRandom(opts.seed);
      for (let j = 0; j < k; j++) c[j] = lo + (hi - lo) * rand();
      break;
    }
    case 'kmeans++':
      return kmeansPlusPlus(xs, k, seededRandom(opts.seed));
    default:
      throw new EdgeRunError('InvalidArgument', `kmeans: unknown init '${String(opts.init)}'`);
  }
  return c.sort();
}

/** k-means++ (Arthur & Vassilvitskii 2007): each next centroid drawn with probability ∝ squared distance to the nearest one so far. */
function kmeansPlusPlus(xs: Float64Array, k: number, rand: () => number): Float64Array {
  const n = xs.length;
  const c = new Float64Array(k);
  const d2 = new Float64Array(n);
  c[0] = xs[Math.floor(rand() * n)];
  for (let i = 0; i < n; i++) d2[i] = (xs[i] - c[0]) ** 2;
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += d2[i];
    let pick = n - 1;
    let r = rand() * total;
    for (let i = 0; i < n; i++) {
      r -= d2[i];
      if (r < 0 && d2[i] > 0) {
        pick = i;
        break;
      }
    }
    // Rounding can leave the walk at the end on an already chosen value: take any value still at a distance.
    if (d2[pick] === 0) pick = d2.findIndex((d) => d > 0);
    c[j] = xs[pick];
    for (let i = 0; i < n; i++) d2[i] = Math.min(d2[i], (xs[i] - c[j]) ** 2);
  }
  return c.sort();
}
