// The codebook variant of Gemm/MatMul with clustered constant weights: the distinct values of
// the (folded) weight ARE the codebook — the file's CodebookDecode was decoded at load, and
// recovering the codebook from the dense tensor is exact — packed as 2/4/8-bit indices for
// wip/sparse's codebook GEMM (kernels/sparse/codebook.ts).
import type { Activation } from '../../../../kernels/activation.js';
import type { Runtime } from '../../../../kernels/runtime.js';
import { codebookFromDense, codebookGemmF32Ptr, packCodebookGemm } from '../../../../kernels/sparse/codebook.js';
import { weightStats } from '../../../../kernels/sparse/choose.js';
import type { GemmWeights } from './sparse-choice.js';

export interface GemmRunner {
  /** Y[M×N] = act(X[M×K]·W + bias); arena addresses, rows packed (lda = K, ldc = N). */
  run(M: number, xPtr: number, yPtr: number): void;
  free(): void;
  /** Bytes of the packed weights (indices, or values + indices). */
  bytes: number;
}

export function packCodebookRunner(rt: Runtime, g: GemmWeights, opts: { bias?: Float32Array; act: Activation }): GemmRunner {
  const distinct = weightStats(g.w, g.K, g.N, g.transB).distinct;
  const bits = distinct <= 4 ? 2 : distinct <= 16 ? 4 : 8;
  const cb = codebookFromDense(g.w, g.K, g.N, { transB: g.transB, bits });
  const packed = packCodebookGemm(rt, cb, g.K, g.N, { transB: g.transB, bias: opts.bias });
  return {
    run: (M, xPtr, yPtr) => codebookGemmF32Ptr(rt, M, xPtr, g.K, packed, yPtr, g.N, { act: opts.act }),
    free: () => packed.free(),
    bytes: packed.indexBytes + cb.centroids.length * 4,
  };
}
