import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Activation } from '../kernels/activation.js';
import { gemmRef } from '../kernels/reference/gemm.js';
import { spmmI32Ref, spmmRef } from '../kernels/reference/sparse.js';
import { columnListsFromDense } from '../kernels/sparse/formats.js';
import { packSparseGemm, spmmF32, spmmF32Ptr, spmmI8, SPARSE_FORMATS, type SparseFormat } from '../kernels/sparse/spmm.js';
import { assertClose, assertEqualArrays } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, rng } from './helpers/random.js';
import { RUNTIMES } from './helpers/runtimes.js';

const tolFor = (K: number) => ({ rtol: 1e-5, atol: 1e-6 * Math.max(1, Math.sqrt(K)) * 4 });

/** Dense K×N weights with `sparsity` zeros in the pattern a format can hold; some outputs and some k left all zero. */
function prunedWeights(rand: () => number, K: number, N: number, sparsity: number, format: SparseFormat, int8: boolean): Float32Array | Int8Array {
  const w = int8 ? new Int8Array(K * N) : new Float32Array(K * N);
  const value = () => (int8 ? Math.floor(rand() * 255) - 127 || 1 : rand() * 2 - 1 || 0.5);
  const deadColumn = N > 2 ? Math.floor(rand() * N) : -1;
  const deadK = K > 2 ? Math.floor(rand() * K) : -1;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < K; g += 4) {
      // 2:4: two of every four k at most, chosen at random.
      const allowed = format === '2:4' ? new Set([Math.floor(rand() * 4), Math.floor(rand() * 4)]) : null;
      for (let k = g; k < Math.min(K, g + 4); k++) {
        const blockKeep = format === 'bsr1x4' || format === 'bsr4x4' ? rng(k * 7919 + (n >> 2) * 104729 + 1)() >= sparsity : rand() >= sparsity;
        const keep = blockKeep && (allowed === null || allowed.has(k - g)) && n !== deadColumn && k !== deadK;
        if (keep) w[k * N + n] = value();
      }
    }
  }
  return w;
}

function transpose(w: Float32Array | Int8Array, K: number, N: number): Float32Array | Int8Array {
  const t = w instanceof Int8Array ? new Int8Array(K * N) : new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) t[n * K + k] = w[k * N + n];
  return t;
}

const ACTS: Activation[] = [{ kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: -0.3, max: 0.4 }, { kind: 'sigmoid' }];

function runFloat(r: number, M: number, K: number, N: number, sparsity: number, format: SparseFormat, int8: boolean, seed: number, transB = false, act: Activation = { kind: 'none' }): void {
  const rt = RUNTIMES[r];
  const rand = rng(seed);
  const w = prunedWeights(rand, K, N, sparsity, format, int8);
  const x = randomF32(rand, M * K);
  const bias = randomF32(rand, N);
  const scales = int8 ? randomF32(rand, N, 0.001, 0.02) : undefined;
  const what = `${rt.build} ${format} ${int8 ? 'int8' : 'f32'} M=${M} K=${K} N=${N} sparsity ${sparsity} transB ${transB} ${act.kind} seed ${seed}`;
  const packed = packSparseGemm(rt, transB ? transpose(w, K, N) : w, K, N, { format, bias, scales, transB });
  try {
    const got = spmmF32(rt, x, M, packed, { act });
    // The twin: the format's own multiply-adds, summed in float64.
    const twin = spmmRef(x, M, packed.lists, new Float32Array(M * N), { bias, scales, act });
    assertClose(got, twin, tolFor(K), `${what} vs twin`);
    // Independent: the dense GEMM oracle on the dense weights (int8 weights times their scales).
    const dense = Float32Array.from(w, (v, i) => (scales ? v * scales[i % N] : v));
    assertClose(got, gemmRef(x, dense, M, K, N, { bias, act }), tolFor(K), `${what} vs dense`);
  } finally {
    packed.free();
  }
}

RUNTIMES.forEach((rt, r) => {
  for (const format of SPARSE_FORMATS) {
    test(`${rt.build}: ${format} float32 weights, ODD_SIZES M and N, sparsity 0 to 1, vs the twin and the dense oracle`, () => {
      let seed = 1;
      for (const M of ODD_SIZES) {
        const N = ODD_SIZES[(M * 3 + 5) % ODD_SIZES.length];
        const K = ODD_SIZES[(M * 7 + 2) % ODD_SIZES.length];
        runFloat(r, M, K, N, [0, 0.5, 0.8, 0.95, 1][seed % 5], format, false, seed++);
      }
    });
    test(`${rt.build}: ${format} int8 weights with scales, transB, activations, longer K`, () => {
      const rand = rng(99);
      let seed = 500;
      for (const act of ACTS) {
        for (let i = 0; i < 3; i++) {
          const M = pick(rand, [1, 2, 3, 4, 5, 6, 7, 16, 17, 25]);
          const K = pick(rand, [1, 4, 9, 63, 130, 300]);
          const N = pick(rand, [1, 3, 4, 9, 33, 65]);
          runFloat(r, M, K, N, pick(rand, [0.3, 0.7, 0.9]), format, i % 2 === 0, seed++, rand() < 0.5, act);
        }
      }
    });
  }

  test(`${rt.build}: int8 x int8/uint8 -> int32 equals the integer twin exactly, every format`, () => {
    const rand = rng(7);
    let seed = 900;
    for (const format of SPARSE_FORMATS) {
      for (const M of [1, 2, 3, 4, 9, 17]) {
        const K = pick(rand, [1, 5, 16, 67]);
        const N = pick(rand, [1, 5, 8, 19]);
        const w = prunedWeights(rng(seed++), K, N, 0.6, format, true) as Int8Array;
        const signed = rand() < 0.5;
        const x = signed ? Int8Array.from({ length: M * K }, () => Math.floor(rand() * 256) - 128) : Uint8Array.from({ length: M * K }, () => Math.floor(rand() * 256));
        const zeroPoint = signed ? Math.floor(rand() * 20) - 10 : Math.floor(rand() * 256);
        const packed = packSparseGemm(rt, w, K, N, { format, scales: 1 });
        try {
          const got = spmmI8(rt, x, M, packed, { zeroPoint });
          const want = spmmI32Ref(x, M, zeroPoint, columnListsFromDense(w, K, N, false), new Int32Array(M * N));
          assertEqualArrays(got, want, `${rt.build} ${format} M=${M} K=${K} N=${N} zp ${zeroPoint}`);
        } finally {
          packed.free();
        }
      }
    }
  });

  test(`${rt.build}: column lists in, strided pointer API (lda > K, ldc > N) leaves the gaps alone`, () => {
    const rand = rng(31);
    const M = 5, K = 21, N = 11, lda = 25, ldc = 14;
    const w = prunedWeights(rand, K, N, 0.7, 'csr', false) as Float32Array;
    const lists = columnListsFromDense(w, K, N, false);
    const packed = packSparseGemm(rt, lists, K, N);
    const x = randomF32(rand, M * lda);
    const xPtr = rt.arena.alloc(x.length * 4);
    const yPtr = rt.arena.alloc(M * ldc * 4);
    try {
      rt.arena.f32(xPtr, x.length).set(x);
      rt.arena.f32(yPtr, M * ldc).fill(-7);
      spmmF32Ptr(rt, M, xPtr, lda, packed, yPtr, ldc);
      const y = rt.arena.f32(yPtr, M * ldc).slice();
      const want = gemmRef(x, w, M, K, N, { lda });
      for (let m = 0; m < M; m++) {
        assertClose(y.subarray(m * ldc, m * ldc + N), want.subarray(m * N, (m + 1) * N), tolFor(K), `row ${m}`);
        for (let j = N; j < ldc; j++) assert.is(y[m * ldc + j], -7, `gap at row ${m} column ${j} untouched`);
      }
    } finally {
      rt.arena.free(yPtr);
      rt.arena.free(xPtr);
      packed.free();
    }
  });

  test(`${rt.build}: csr on both sides of the byte-offset index limit (K = 16384 / 16385), batch 1 and 3, f32 and int8`, () => {
    // K <= CSR_OFFSET_MAX_K stores byte offsets and gathers from the staged row; above it, plain k.
    let seed = 900;
    for (const K of [16384, 16385]) {
      for (const M of [1, 3]) {
        runFloat(r, M, K, 7, 0.97, 'csr', false, seed++);
        runFloat(r, M, K, 5, 0.97, 'csr', true, seed++, true, { kind: 'relu' });
      }
      const rand = rng(seed++);
      const N = 6;
      const w = Int8Array.from({ length: K * N }, () => (rand() < 0.97 ? 0 : Math.floor(rand() * 255) - 127));
      w[(K - 1) * N + 2] = 77; // the last k: its byte offset is the largest index stored
      const packed = packSparseGemm(rt, w, K, N, { scales: 1 });
      try {
        for (const M of [1, 3]) {
          const xf = randomF32(rand, M * K);
          assertClose(spmmF32(rt, xf, M, packed), spmmRef(xf, M, packed.lists, new Float32Array(M * N)), tolFor(K), `${rt.build} int8 x f32 K=${K} M=${M}`);
          const x = Int8Array.from({ length: M * K }, () => Math.floor(rand() * 256) - 128);
          assertEqualArrays(spmmI8(rt, x, M, packed, { zeroPoint: 3 }), spmmI32Ref(x, M, 3, packed.lists, new Int32Array(M * N)), `${rt.build} int8 x int8 K=${K} M=${M}`);
        }
      } finally {
        packed.free();
      }
    }
  });

  test(`${rt.build}: an Inf input times a pruned weight stays out of csr and 2:4 results`, () => {
    const K = 8, N = 5;
    const w = new Float32Array(K * N);
    for (let n = 0; n < N; n++) w[(n % 4) * N + n] = 1; // column n reads only k = n % 4
    const x = new Float32Array(K).fill(1);
    x[7] = Infinity; // never read by a nonzero weight
    for (const format of ['csr', '2:4'] as const) {
      const packed = packSparseGemm(rt, w, K, N, { format });
      try {
        assertEqualArrays(spmmF32(rt, x, 1, packed), new Float32Array(N).fill(1), `${rt.build} ${format}`);
      } finally {
        packed.free();
      }
    }
  });
});

test.run();
