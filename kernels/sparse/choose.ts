// Which kernel a constant weight should run on — dense, unstructured sparse (csr), block sparse
// (bsr1x4) or clustered (codebook) — decided from speedups MEASURED on the development machine,
// with a report that says why. The graph engine calls this per node at compile time.
import { EdgeRunError } from '../../engine/errors.js';
import { checkDim } from '../gemm.js';
import { accessor } from './formats.js';

/**
 * Dense ÷ sparse time of a 1024×1024 Gemm (one thread, medians of alternating rounds), by
 * fraction of zeros (csr) or of zero 1×4 blocks (bsr1x4), at batch 1 and 16. Made with
 *   node --import tsx -e "import('./bench/cases/sparse.ts').then((m) => m.printCrossovers('relaxed'))"
 * (and 'baseline') on the 2-core development VM (AMD EPYC, Node 20.20, shared with other jobs):
 * the smaller of two runs per entry (a run where dense happened to be slow is not a speedup),
 * raised where it dipped below the entry to its left (more zeros never cost more work); relaxed
 * bsr1x4 batch 16 at 95 % takes the other run (the smaller one, 5.81, was below its 90 % entry).
 * Weights warm in cache; from memory (bench "streamed from memory") sparse gains more.
 */
export const MEASURED_SPEEDUP = {
  sparsities: [0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
  relaxed: {
    csr: { 1: [0.7, 0.94, 1.24, 1.84, 3.33, 6.52], 16: [0.8, 0.97, 1.34, 2.05, 3.83, 6.87] },
    bsr1x4: { 1: [1.58, 1.72, 2.56, 3.7, 7.14, 14.2], 16: [1.18, 1.48, 1.99, 2.75, 5.54, 10.28] },
  },
  baseline: {
    csr: { 1: [0.7, 1, 1.32, 1.93, 3.69, 6.29], 16: [1.07, 1.31, 1.79, 2.63, 4.95, 8.69] },
    bsr1x4: { 1: [1.67, 1.82, 2.56, 3.85, 7.38, 13.93], 16: [1.33, 1.72, 2.3, 3.37, 6.64, 12.25] },
  },
  /** Codebook (16 centroids, 4-bit, 'decode' design) ÷ dense, bench/cases/codebook.ts: slower at both batches. */
  codebook: { 1: 0.4, 16: 0.8 },
} as const;

/** A format must beat dense by this much to be picked (the table's run-to-run noise is ~10-20 %). */
const MARGIN = 1.15;

export type KernelChoice = 'dense' | 'csr' | 'bsr1x4' | 'codebook';

export interface ChooseOptions {
  /** Weights given N×K (row n = output column n), as Gemm's transB and a conv's [M, C·kH·kW]. */
  transB?: boolean;
  /** Rows per call (Gemm batch); a convolution's pixels count as a large batch. Default 1. */
  batch?: number;
  build?: 'relaxed' | 'baseline';
  /** Pick the codebook whenever the weights have ≤ 16 distinct values, even if slower (size first). */
  preferSmall?: boolean;
}

export interface Choice {
  kernel: KernelChoice;
  /** Estimated dense ÷ chosen time (1 for dense). */
  speedup: number;
  /** Why, with the numbers the decision used. */
  report: string;
}

function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  if (x <= xs[0]) {
    // Below the table, time scales with the nonzeros kept: extrapolate by density.
    return ys[0] * ((1 - xs[0]) / Math.max(1e-9, 1 - x));
  }
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]) return ys[i - 1] + ((ys[i] - ys[i - 1]) * (x - xs[i - 1])) / (xs[i] - xs[i - 1]);
  }
  return ys[ys.length - 1];
}

/** Fraction of zero weights, of zero 1×4 blocks (one k, 4 consecutive outputs), and the distinct values (capped at 257). */
export function weightStats(w: Float32Array, K: number, N: number, transB = false): { sparsity: number; blockSparsity: number; distinct: number } {
  const at = accessor(w, K, N, transB);
  let zeros = 0;
  let zeroBlocks = 0;
  const distinct = new Set<number>();
  for (let k = 0; k < K; k++) {
    for (let n0 = 0; n0 < N; n0 += 4) {
      let allZero = true;
      for (let n = n0; n < Math.min(N, n0 + 4); n++) {
        const v = at(k, n);
        if (v === 0) zeros++;
        else allZero = false;
        if (distinct.size <= 256) distinct.add(v);
      }
      if (allZero) zeroBlocks++;
    }
  }
  const blocks = K * Math.ceil(N / 4);
  return { sparsity: K * N ? zeros / (K * N) : 0, blockSparsity: blocks ? zeroBlocks / blocks : 0, distinct: distinct.size };
}

export function chooseKernel(weights: Float32Array, K: number, N: number, opts: ChooseOptions = {}): Choice {
  const where = 'chooseKernel';
  checkDim(K, `${where}: K`);
  checkDim(N, `${where}: N`);
  if (!(weights instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${where}: weights must be a Float32Array`);
  if (weights.length !== K * N) throw new EdgeRunError('ShapeMismatch', `${where}: weights have ${weights.length} elements, expected K×N = ${K}×${N} = ${K * N}`);
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new EdgeRunError('InvalidArgument', `${where}: batch must be a positive integer, got ${batch}`);
  const build = opts.build ?? 'relaxed';
  if (build !== 'relaxed' && build !== 'baseline') throw new EdgeRunError('InvalidArgument', `${where}: build must be 'relaxed' or 'baseline', got ${String(build)}`);
  if (K > 65536) {
    return { kernel: 'dense', speedup: 1, report: `dense: K = ${K} is beyond the sparse kernels' 16-bit indices` };
  }
  const stats = weightStats(weights, K, N, opts.transB ?? false);
  const row = batch < 4 ? 1 : 16;
  const table = MEASURED_SPEEDUP[build];
  const xs = MEASURED_SPEEDUP.sparsities;
  const csr = interpolate(xs, table.csr[row], stats.sparsity);
  const bsr = interpolate(xs, table.bsr1x4[row], stats.blockSparsity);
  const clustered = stats.distinct <= 16;
  const cb = MEASURED_SPEEDUP.codebook[row];
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const facts =
    `${pct(stats.sparsity)} zeros, ${pct(stats.blockSparsity)} zero 1×4 blocks, ${stats.distinct > 256 ? '>256' : stats.distinct} distinct values; ` +
    `measured at batch ${row} on the ${build} build: csr ~${csr.toFixed(2)}×, bsr1x4 ~${bsr.toFixed(2)}×` +
    (clustered ? `, codebook ~${cb}× (8× smaller weights)` : '');
  if (clustered && opts.preferSmall) return { kernel: 'codebook', speedup: cb, report: `codebook (size preferred): ${facts}` };
  const best = bsr >= csr ? { kernel: 'bsr1x4' as const, speedup: bsr } : { kernel: 'csr' as const, speedup: csr };
  if (best.speedup >= MARGIN) return { ...best, report: `${best.kernel}: ${facts}` };
  return { kernel: 'dense', speedup: 1, report: `dense: no format is ≥ ${MARGIN}× faster (${facts})` };
}
