// Which kernel a Gemm / MatMul / Conv with constant weights runs on — dense, sparse (csr, bsr1x4)
// or codebook — decided at plan time, when the batch (rows, or output pixels of a convolution)
// is known, from the speedups wip/sparse MEASURED (kernels/sparse/choose.ts). The choice is made
// inside the existing CPU kernels (matmul.ts, conv.ts) rather than by a pass rewriting nodes into
// SparseGemm/CodebookGemm ops: it depends on the batch, which a pass does not know and which
// changes per plan; the graph stays standard ONNX (what is saved, printed and fused is
// unchanged); and activation fusion keeps working as it is. Every choice is recorded with its
// reason: kernelChoices(session.graph) lists them (edgerun run --profile and edgerun optimize
// print them).
import { EdgeRunError } from '../../../errors.js';
import type { Graph, Node } from '../../../graph/ir.js';
import type { Runtime } from '../../../../kernels/runtime.js';
import { chooseKernel, MEASURED_SPEEDUP, weightStats, type KernelChoice } from '../../../../kernels/sparse/choose.js';

export interface KernelChoiceRecord {
  node: string;
  op: string;
  kernel: KernelChoice;
  /** Estimated dense ÷ chosen time (1 for dense). */
  speedup: number;
  /** The numbers behind the choice. */
  reason: string;
  /** Rows of the GEMM per run (output pixels of a convolution). */
  batch: number;
}

export interface SparseKernelPolicy {
  /** Run this kernel wherever it applies (tests, benchmarks); null = choose by measurement. */
  force: KernelChoice | null;
  /** Codebook kernels for clustered weights even where they are slower (4-bit weights: 8× less memory). */
  preferSmall: boolean;
}

const DEFAULT_POLICY: SparseKernelPolicy = { force: null, preferSmall: false };
let policy: SparseKernelPolicy = { ...DEFAULT_POLICY };

/** Sets the process-wide policy (returns the previous one); prepared plans keep their choice. */
export function setSparseKernelPolicy(p: Partial<SparseKernelPolicy>): SparseKernelPolicy {
  const kernels: (KernelChoice | null)[] = [null, 'dense', 'csr', 'bsr1x4', 'codebook'];
  if (p.force !== undefined && !kernels.includes(p.force)) throw new EdgeRunError('InvalidArgument', `setSparseKernelPolicy: force '${String(p.force)}' is not one of dense, csr, bsr1x4, codebook (or null)`);
  const old = policy;
  policy = { ...policy, ...p };
  return old;
}

export function sparseKernelPolicy(): SparseKernelPolicy {
  return policy;
}

const records = new WeakMap<Node, KernelChoiceRecord>();

export function recordChoice(node: Node, r: Omit<KernelChoiceRecord, 'node' | 'op'>): void {
  records.set(node, { node: node.name, op: node.op, ...r });
}

/** The kernel choices of the prepared Gemm/MatMul/Conv nodes of a session's graph (session.graph), in graph order. */
export function kernelChoices(graph: Graph): KernelChoiceRecord[] {
  return graph.nodes.map((n) => records.get(n)).filter((r): r is KernelChoiceRecord => r !== undefined);
}

export function formatKernelChoices(list: readonly KernelChoiceRecord[]): string {
  return list.map((r) => `  ${r.op} '${r.node}' (batch ${r.batch}): ${r.kernel}${r.kernel === 'dense' ? '' : ` ~${r.speedup.toFixed(2)}×`} — ${r.reason}`).join('\n');
}

function buildOf(rt: Runtime): 'relaxed' | 'baseline' {
  return rt.build === 'baseline' ? 'baseline' : 'relaxed';
}

/** A weight matrix the GEMM kernels can take: K×N (or N×K with transB). */
export interface GemmWeights {
  w: Float32Array;
  K: number;
  N: number;
  transB: boolean;
}

/** Kernel for a Gemm/MatMul weight at `batch` rows. */
export function chooseGemmKernel(rt: Runtime, g: GemmWeights, batch: number): { kernel: KernelChoice; speedup: number; reason: string } {
  if (policy.force) {
    if (policy.force === 'codebook' && weightStats(g.w, g.K, g.N, g.transB).distinct > 256) return { kernel: 'dense', speedup: 1, reason: 'forced codebook, but the weights have more than 256 distinct values' };
    return { kernel: policy.force, speedup: 1, reason: `forced (setSparseKernelPolicy)` };
  }
  const c = chooseKernel(g.w, g.K, g.N, { transB: g.transB, batch: Math.max(1, batch), build: buildOf(rt), preferSmall: policy.preferSmall });
  return { kernel: c.kernel, speedup: c.speedup, reason: c.report };
}

/** Linear interpolation in the measured table, as choose.ts (extrapolated by density below it). */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  if (x <= xs[0]) return ys[0] * ((1 - xs[0]) / Math.max(1e-9, 1 - x));
  for (let i = 1; i < xs.length; i++) if (x <= xs[i]) return ys[i - 1] + ((ys[i] - ys[i - 1]) * (x - xs[i - 1])) / (xs[i] - xs[i - 1]);
  return ys[ys.length - 1];
}

/**
 * Kernel for a group-1 2-D convolution weight [M, C·kH·kW] over `pixels` output pixels: the
 * sparse convolution has one format (SELL-4 csr, pixels as vector lanes: the batch-16 column of
 * the table), so the choice is csr or dense.
 */
export function chooseConvKernel(rt: Runtime, w: Float32Array, M: number, Kc: number, pixels: number): { kernel: 'dense' | 'csr'; speedup: number; reason: string } {
  if (policy.force) return policy.force === 'csr' ? { kernel: 'csr', speedup: 1, reason: 'forced (setSparseKernelPolicy)' } : { kernel: 'dense', speedup: 1, reason: `forced ${policy.force}: convolutions have csr and dense kernels only` };
  if (Kc > 65536) return { kernel: 'dense', speedup: 1, reason: `dense: C·kH·kW = ${Kc} is beyond the sparse kernels' 16-bit indices` };
  const { sparsity } = weightStats(w, Kc, M, true);
  const build = buildOf(rt);
  const csr = interpolate(MEASURED_SPEEDUP.sparsities, MEASURED_SPEEDUP[build].csr[pixels < 4 ? 1 : 16], sparsity);
  const facts = `${(100 * sparsity).toFixed(1)} % zeros; csr measured ~${csr.toFixed(2)}× at batch ${pixels < 4 ? 1 : 16} on the ${build} build`;
  return csr >= 1.15 ? { kernel: 'csr', speedup: csr, reason: `csr: ${facts}` } : { kernel: 'dense', speedup: 1, reason: `dense: csr is not ≥ 1.15× faster (${facts})` };
}
