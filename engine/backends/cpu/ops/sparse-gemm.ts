// The alternative kernels of Gemm/MatMul with constant weights, picked at plan time
// (sparse-choice.ts): csr or bsr1x4 sparse GEMM (kernels/sparse/spmm.ts) or the codebook GEMM
// (codebook-gemm.ts). Gemm's alpha is folded into the packed weights and beta·C into the
// per-column bias, as the dense path does; the activation of FusedGemm runs in their epilogue.
import type { Activation } from '../../../../kernels/activation.js';
import { packSparseGemm, spmmF32Ptr } from '../../../../kernels/sparse/spmm.js';
import type { CpuPrepareContext } from '../kernel-def.js';
import { packCodebookRunner, type GemmRunner } from './codebook-gemm.js';
import { chooseGemmKernel, recordChoice, type GemmWeights } from './sparse-choice.js';

export type { GemmRunner };

/**
 * The packed alternative kernel for these weights at `rows` rows per run, or null when dense is
 * the choice (the caller then runs its dense path). Records the choice for the node either way.
 */
export function alternativeGemm(ctx: CpuPrepareContext<unknown>, g: GemmWeights, rows: number, opts: { alpha?: number; bias?: Float32Array; act?: Activation }): GemmRunner | null {
  const alpha = opts.alpha ?? 1;
  const w = alpha === 1 ? g.w : Float32Array.from(g.w, (x) => x * alpha);
  const weights = { ...g, w };
  const choice = chooseGemmKernel(ctx.rt, weights, rows);
  recordChoice(ctx.node, { kernel: choice.kernel, speedup: choice.speedup, reason: choice.reason, batch: rows });
  if (choice.kernel === 'dense') return null;
  const act = opts.act ?? { kind: 'none' };
  const rt = ctx.rt;
  const kernel = choice.kernel;
  return ctx.keep(`gemm:${kernel}`, (): GemmRunner => {
    if (kernel === 'codebook') return packCodebookRunner(rt, weights, { bias: opts.bias, act });
    const packed = packSparseGemm(rt, w, g.K, g.N, { format: kernel, transB: g.transB, bias: opts.bias });
    return {
      run: (M, xPtr, yPtr) => spmmF32Ptr(rt, M, xPtr, g.K, packed, yPtr, g.N, { act }),
      free: () => packed.free(),
      bytes: packed.weightBytes,
    };
  }, (r) => r.free());
}
