// fp32 GEMM over weights packed into 8-column panels: C[M x N] (=|+=) A[M x K] · B[K x N] + bias.
//
// Packed B (kernels/gemm.ts writes it): panel p holds columns 8p..8p+7 as
//   [bias x 8][k=0: 8 weights][k=1: 8 weights] ... [k=K-1: 8 weights]
// so a panel is (K + 1) * 8 floats, the last one zero-padded past N.
import { gemmRowsTimesPanels, gemmStripsTimesPanels, packAStrips } from './lib/gemm-panels';
import { aKBytes, BIAS_COLUMNS, BIAS_NONE, ActivationStrips } from './lib/gemm-4x8';
import { ACT_NONE } from './lib/activation';

// One packed block of A (mc rows x kc): at most 256 KiB, so it stays in L2 (half of it on the
// development machine) while every panel passes over it. Pre-broadcast A (baseline build) takes
// 4x the bytes per element, so its blocks have a quarter of the rows.
const PACKED_A_BYTES: i32 = 256 * 1024;
const PACKED_A: usize = memory.data(PACKED_A_BYTES, 64);
const MAX_PACKED_A_FLOATS: i32 = PACKED_A_BYTES / (<i32>aKBytes<ActivationStrips>() / 4);

/**
 * Addresses are byte addresses; lda/ldc are row strides in floats. accumulate != 0 adds the
 * product onto what C holds. The K range is cut into kcBlock-sized slices (the panels' slices
 * then stay in cache while every row strip of a mcBlock-row block of A passes over them);
 * kcBlock/mcBlock/ncBlock <= 0 mean "no blocking" on that axis.
 */
export function f32_gemm(
  M: i32, K: i32, N: i32, a: usize, lda: i32, w: usize, c: usize, ldc: i32,
  accumulate: i32, act: i32, p0: f32, p1: f32, kcBlock: i32, mcBlock: i32, ncBlock: i32,
): void {
  if (M <= 0 || N <= 0) return;
  const pstride: usize = (<usize>K + 1) << 5;
  const ldaB: usize = <usize>lda << 2;
  const ldcB: usize = <usize>ldc << 2;
  let kcB = kcBlock > 0 ? kcBlock : (K > 0 ? K : 1);
  if (kcB > MAX_PACKED_A_FLOATS / 4) kcB = MAX_PACKED_A_FLOATS / 4;
  let mcB = mcBlock > 0 ? (mcBlock + 3) & ~3 : (M + 3) & ~3;
  if (mcB * kcB > MAX_PACKED_A_FLOATS) mcB = (MAX_PACKED_A_FLOATS / kcB) & ~3;
  const ncB = ncBlock > 0 ? (ncBlock + 7) & ~7 : N;
  const M4 = M & ~3;
  for (let n0 = 0; n0 < N; n0 += ncB) {
    const nc = min(ncB, N - n0);
    const wn = w + (<usize>n0 >> 3) * pstride;
    const cn = c + (<usize>n0 << 2);
    let k0 = 0;
    do {
      const kc = min(kcB, K - k0);
      const first = k0 == 0;
      const last = k0 + kc >= K;
      const biasMode = first ? BIAS_COLUMNS : BIAS_NONE;
      const initFromC = !first || accumulate != 0;
      const actNow = last ? act : ACT_NONE;
      const wk = wn + 32 + (<usize>k0 << 5);
      const ak = a + (<usize>k0 << 2);
      for (let m0 = 0; m0 < M4; m0 += mcB) {
        const mc = min(mcB, M4 - m0);
        packAStrips<ActivationStrips>(ak + <usize>m0 * ldaB, ldaB, mc >> 2, kc, PACKED_A);
        gemmStripsTimesPanels<ActivationStrips>(mc >> 2, kc, PACKED_A, <usize>kc * aKBytes<ActivationStrips>(), wk, pstride, nc, cn + <usize>m0 * ldcB, ldcB, wn, biasMode, initFromC, actNow, p0, p1, false);
      }
      if (M4 < M) {
        gemmRowsTimesPanels(M - M4, kc, ak + <usize>M4 * ldaB, ldaB, wk, pstride, nc, cn + <usize>M4 * ldcB, ldcB, wn, biasMode, initFromC, actNow, p0, p1);
      }
      k0 += kc;
    } while (k0 < K);
  }
}
