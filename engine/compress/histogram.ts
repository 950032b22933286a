// Range selection from activation statistics, after onnxruntime's calibrators
// (onnxruntime/python/tools/quantization/calibrate.py, HistogramCollector):
//  - a histogram of each tensor over the symmetric range [−t, t], t = max(|min|, |max|) seen in
//    the min/max pass (numpy.histogram semantics: half-open bins, the last one closed);
//  - percentile: cut (100 − p)/200 of the mass off each tail (the asymmetric variant, since
//    edgerun's activations are asymmetric int8), then clip to the observed [min, max];
//  - entropy: the TensorRT KL-divergence search as get_entropy_threshold runs it (see below).

export const DEFAULT_BINS = 2048;
export const QUANTIZED_BINS = 128;

export class Histogram {
  readonly counts: Float64Array;
  /** Values above t or below −t (none when t comes from the same data's min/max pass). */
  outside = 0;

  constructor(
    readonly threshold: number,
    readonly bins = DEFAULT_BINS,
  ) {
    this.counts = new Float64Array(bins);
  }

  /** Edge i of the bins: −t + i·(2t / bins). */
  edge(i: number): number {
    return -this.threshold + (2 * this.threshold * i) / this.bins;
  }

  add(data: ArrayLike<number>): void {
    const t = this.threshold;
    const n = this.bins;
    const width = (2 * t) / n;
    const c = this.counts;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < -t || v > t) {
        this.outside++;
        continue;
      }
      let b = Math.floor((v + t) / width);
      if (b >= n) b = n - 1;
      c[b]++;
    }
  }
}

/** numpy.searchsorted(a, v, side='left'): the first index with a[i] ≥ v. */
function searchSorted(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The [lo, hi] range keeping `percentile` % of the mass (clipped to the observed min/max). */
export function percentileRange(h: Histogram, percentile: number, observed: [number, number]): [number, number] {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return observed;
  const cdf = new Float64Array(h.bins);
  let run = 0;
  for (let i = 0; i < h.bins; i++) cdf[i] = run += h.counts[i] / total;
  const cut = (100 - percentile) / 200;
  const lo = h.edge(searchSorted(cdf, cut));
  const hi = h.edge(searchSorted(cdf, 1 - cut));
  return [Math.max(lo, observed[0]), Math.min(hi, observed[1])];
}

/**
 * onnxruntime's smooth_distribution: zeros become eps, the non-zeros give that mass back evenly.
 * null when every bin is zero (the divergence is then infinite).
 */
function smooth(p: Float64Array, eps = 1e-4): Float64Array | null {
  let zeros = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === 0) zeros++;
  const nonZeros = p.length - zeros;
  if (nonZeros === 0) return null;
  const eps1 = (eps * zeros) / nonZeros;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] === 0 ? eps : p[i] - eps1;
  return out;
}

/** scipy.stats.entropy(p, q): KL(p‖q) of the normalized distributions. */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    if (pi > 0) kl += pi * Math.log(pi / (q[i] / sq));
  }
  return kl;
}

/**
 * The KL-optimal range (TensorRT's entropy calibration, GTC 2017 S7310), step by step as
 * onnxruntime's HistogramCollector.get_entropy_threshold computes it over a histogram of n bins:
 *  for i in [quantizedBins/2, n/2]: the candidate range is the symmetric slice
 *  [zero − i, zero + i + 1) of bins around the zero bin (zero = n/2);
 *   P = the slice, with the counts left and right of it added to its first and last bin;
 *   Q = the slice (without those outliers) merged into `quantizedBins` groups of
 *       ⌊len/quantizedBins⌋ bins (the remainder joins the last group's count), each group's
 *       count divided by the number of non-zero P bins in the group and written — truncated to
 *       an integer, as the Python stores it in an int64 array — to every bin of the group (the
 *       remainder bins stay 0);
 *   both smoothed (eps 1e-4), KL(P‖Q) as scipy.stats.entropy;
 *  the range of the smallest divergence wins (the first on ties), clipped to the observed [min, max].
 * Checked against the Python code on the same histograms (test/calibrate.test.ts notes how).
 */
export function entropyRange(h: Histogram, observed: [number, number], quantizedBins = QUANTIZED_BINS): [number, number] {
  const counts = h.counts;
  const n = h.bins;
  const zero = n >> 1;
  const half = quantizedBins >> 1;
  // Prefix sums make the outlier counts O(1).
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + counts[i];
  let best = Infinity;
  let bestRange: [number, number] = observed;
  for (let i = half; i <= zero; i++) {
    const start = zero - i;
    const end = Math.min(zero + i + 1, n);
    const len = end - start;
    const p = new Float64Array(len);
    for (let k = 0; k < len; k++) p[k] = counts[start + k];
    p[0] += prefix[start];
    p[len - 1] += prefix[n] - prefix[end];
    const merged = Math.floor(len / quantizedBins);
    const q = new Float64Array(len);
    for (let g = 0; g < quantizedBins; g++) {
      const gs = g * merged;
      const ge = gs + merged;
      let sum = prefix[start + ge] - prefix[start + gs];
      if (g === quantizedBins - 1) sum += prefix[end] - prefix[start + quantizedBins * merged];
      let nonZero = 0;
      for (let k = gs; k < ge; k++) if (p[k] !== 0) nonZero++;
      if (nonZero === 0) continue;
      const each = Math.trunc(sum / nonZero);
      for (let k = gs; k < ge; k++) q[k] = each;
    }
    const ps = smooth(p);
    const qs = smooth(q);
    const kl = ps && qs ? klDivergence(ps, qs) : Infinity;
    if (kl < best) {
      best = kl;
      bestRange = [h.edge(start), h.edge(end)];
    }
  }
  return [Math.max(bestRange[0], observed[0]), Math.min(bestRange[1], observed[1])];
}
