import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemmRef } from '../kernels/reference/gemm.js';
import { codebookFromDense, codebookGemmF32, packCodebookGemm } from '../kernels/sparse/codebook.js';
import { assertClose } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, rng } from './helpers/random.js';
import { RUNTIMES } from './helpers/runtimes.js';

/** K×N weights with at most C distinct values per tensor, or per output column. */
function clustered(rand: () => number, K: number, N: number, C: number, perColumn: boolean): Float32Array {
  const tables = Array.from({ length: perColumn ? N : 1 }, () => Array.from({ length: C }, () => rand() * 2 - 1));
  const w = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) w[k * N + n] = tables[perColumn ? n : 0][Math.floor(rand() * C)];
  return w;
}

const tolFor = (K: number) => ({ rtol: 1e-5, atol: 1e-6 * Math.max(1, Math.sqrt(K)) * 4 });

RUNTIMES.forEach((rt) => {
  for (const design of ['decode', 'centroid'] as const) {
    test(`${rt.build}: ${design} design, 2/4/8-bit indices, per tensor and per column, ODD_SIZES, vs the dense oracle`, () => {
      const rand = rng(design === 'decode' ? 3 : 4);
      let i = 0;
      for (const M of ODD_SIZES) {
        const bits = pick(rand, [2, 4, 8] as const);
        const C = Math.min(1 << bits, pick(rand, [1, 3, 4, 16, 200]));
        const K = ODD_SIZES[(M * 5 + i) % ODD_SIZES.length] + (i % 3 === 0 ? 200 : 0);
        const N = ODD_SIZES[(M * 3 + 2 * i) % ODD_SIZES.length];
        const perColumn = i++ % 4 === 1;
        const transB = i % 5 === 2;
        const w = clustered(rand, K, N, C, perColumn);
        const wGiven = transB ? Float32Array.from({ length: K * N }, (_, j) => w[(j % K) * N + Math.floor(j / K)]) : w;
        const cb = codebookFromDense(wGiven, K, N, { bits, perColumn, transB });
        const bias = randomF32(rand, N);
        const x = randomF32(rand, M * K);
        const act = pick(rand, [{ kind: 'none' }, { kind: 'relu' }, { kind: 'tanh' }] as const);
        const p = packCodebookGemm(rt, cb, K, N, { bias, design, transB });
        try {
          const got = codebookGemmF32(rt, x, M, p, { act });
          assertClose(got, gemmRef(x, w, M, K, N, { bias, act }), tolFor(K), `${rt.build} ${design} M=${M} K=${K} N=${N} bits ${bits} C=${C} perColumn ${perColumn} transB ${transB}`);
        } finally {
          p.free();
        }
      }
    });
  }

  test(`${rt.build}: decode design, K past the 1024-row decoded block (C tiles continued across blocks)`, () => {
    const rand = rng(12);
    for (const [M, K, N, bits, perColumn] of [[5, 1031, 17, 4, false], [4, 2049, 8, 2, true], [1, 1500, 9, 8, false], [7, 1025, 12, 4, true]] as const) {
      const C = Math.min(1 << bits, 16);
      const w = clustered(rand, K, N, C, perColumn);
      const bias = randomF32(rand, N);
      const x = randomF32(rand, M * K);
      const p = packCodebookGemm(rt, codebookFromDense(w, K, N, { bits, perColumn }), K, N, { bias, design: 'decode' });
      try {
        assertClose(codebookGemmF32(rt, x, M, p, { act: { kind: 'relu' } }), gemmRef(x, w, M, K, N, { bias, act: { kind: 'relu' } }), tolFor(K), `${rt.build} M=${M} K=${K} N=${N} bits ${bits}`);
      } finally {
        p.free();
      }
    }
  });

  test(`${rt.build}: batch-1 fused 4-bit path (per-tensor, <= 16 centroids), K and N tails, vs the dense oracle`, () => {
    const rand = rng(11);
    for (const [K, N] of [[1, 1], [3, 9], [4, 8], [5, 15], [7, 17], [64, 33], [130, 63], [257, 64]] as const) {
      const C = pick(rand, [1, 5, 16]);
      const w = clustered(rand, K, N, C, false);
      const bias = randomF32(rand, N);
      const x = randomF32(rand, K);
      const act = pick(rand, [{ kind: 'none' }, { kind: 'relu' }] as const);
      const p = packCodebookGemm(rt, codebookFromDense(w, K, N, { bits: 4 }), K, N, { bias });
      try {
        assertClose(codebookGemmF32(rt, x, 1, p, { act }), gemmRef(x, w, 1, K, N, { bias, act }), tolFor(K), `${rt.build} K=${K} N=${N} C=${C}`);
      } finally {
        p.free();
      }
    }
  });

  test(`${rt.build}: 16 clusters at 4 bits store 8x fewer bytes than float32`, () => {
    const rand = rng(8);
    const K = 64, N = 64;
    const p = packCodebookGemm(rt, codebookFromDense(clustered(rand, K, N, 16, false), K, N, { bits: 4 }), K, N);
    try {
      assert.is(p.indexBytes, (K * N * 4) / 8);
    } finally {
      p.free();
    }
  });
});

test.run();
