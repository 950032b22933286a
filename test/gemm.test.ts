import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Activation } from '../kernels/activation.js';
import { gemmF32, gemmF32Ptr, packGemmF32 } from '../kernels/gemm.js';
import { gemmRef } from '../kernels/reference/gemm.js';
import { createRuntimeSync } from '../kernels/runtime.js';
import { assertClose } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const ACTIVATIONS: Activation[] = [
  { kind: 'none' },
  { kind: 'relu' },
  { kind: 'clip', min: -0.5, max: 0.75 },
  { kind: 'clip', min: 0, max: 6 },
  { kind: 'leakyRelu', alpha: 0.1 },
  { kind: 'sigmoid' },
  { kind: 'tanh' },
  { kind: 'hardSwish' },
  { kind: 'hardSigmoid', alpha: 0.2, beta: 0.5 },
  { kind: 'elu', alpha: 1.3 },
];

// fp32 sums of K products of numbers in [-1, 1]: error grows like sqrt(K) ulps of the terms.
const tolFor = (K: number) => ({ rtol: 1e-5, atol: 1e-6 * Math.max(1, Math.sqrt(K)) * 4 });

interface Case {
  M: number; K: number; N: number;
  transB: boolean; alpha: number; withBias: boolean; accumulate: boolean; act: Activation;
}

function runCase(rtIndex: number, cs: Case, seed: number): void {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const { M, K, N } = cs;
  const a = randomF32(rand, M * K);
  const b = randomF32(rand, K * N);
  const bias = cs.withBias ? randomF32(rand, N) : undefined;
  const c0 = randomF32(rand, M * N);
  const packed = packGemmF32(rt, b, K, N, { bias, transB: cs.transB, alpha: cs.alpha });
  try {
    const got = gemmF32(rt, a, M, packed, { act: cs.act, accumulate: cs.accumulate, c: cs.accumulate ? c0.slice() : undefined });
    const want = gemmRef(a, b, M, K, N, { bias, transB: cs.transB, alpha: cs.alpha, act: cs.act, accumulate: cs.accumulate, c: cs.accumulate ? c0.slice() : undefined });
    assertClose(got, want, tolFor(K), `${rt.build} seed ${seed} ${JSON.stringify(cs)}`);
  } finally {
    packed.free();
  }
}

RUNTIMES.forEach((rt, r) => {
  test(`${rt.build}: every M, N in ODD_SIZES against the reference`, () => {
    let seed = 1;
    for (const M of ODD_SIZES) {
      for (const N of ODD_SIZES) {
        const K = ODD_SIZES[(M + N) % ODD_SIZES.length];
        runCase(r, { M, K, N, transB: false, alpha: 1, withBias: true, accumulate: false, act: { kind: 'none' } }, seed++);
      }
    }
  });

  test(`${rt.build}: every activation, accumulate, transB, alpha on random shapes`, () => {
    const rand = rng(777);
    let seed = 1000;
    for (const act of ACTIVATIONS) {
      for (let i = 0; i < 6; i++) {
        const cs: Case = {
          M: pick(rand, [1, 2, 3, 5, 7, 17, 63, 65]),
          K: pick(rand, [0, 1, 3, 7, 17, 63, 65, 300]),
          N: pick(rand, [1, 3, 7, 9, 17, 33, 63, 65]),
          transB: rand() < 0.5,
          alpha: pick(rand, [1, -0.5, 2.25]),
          withBias: rand() < 0.7,
          accumulate: rand() < 0.4,
          act,
        };
        runCase(r, cs, seed++);
      }
    }
  });

  test(`${rt.build}: K larger than one cache block, with accumulate and an activation`, () => {
    runCase(r, { M: 37, K: 600, N: 45, transB: false, alpha: 1, withBias: true, accumulate: true, act: { kind: 'tanh' } }, 5);
    runCase(r, { M: 9, K: 513, N: 70, transB: true, alpha: 0.5, withBias: true, accumulate: false, act: { kind: 'relu' } }, 6);
    // More rows than one packed block of A holds at K slices of 256 (256 rows), plus 2 left over.
    runCase(r, { M: 262, K: 300, N: 19, transB: false, alpha: 1, withBias: true, accumulate: true, act: { kind: 'hardSwish' } }, 7);
  });

  test(`${rt.build}: GEMV (M = 1) over many panels`, () => {
    for (const N of [8, 24, 32, 40, 100, 256, 257]) {
      runCase(r, { M: 1, K: 129, N, transB: false, alpha: 1, withBias: true, accumulate: N % 2 === 0, act: { kind: 'sigmoid' } }, N);
    }
  });

  test(`${rt.build}: pointer API honours lda/ldc and leaves the gaps alone`, () => {
    const rand = rng(42);
    const M = 7, K = 13, N = 11, lda = 20, ldc = 16;
    const a = randomF32(rand, (M - 1) * lda + K);
    const b = randomF32(rand, K * N);
    const bias = randomF32(rand, N);
    const packed = packGemmF32(rt, b, K, N, { bias });
    const arena = rt.arena;
    const cLen = (M - 1) * ldc + N;
    const aPtr = arena.alloc(a.length * 4);
    const cPtr = arena.alloc(cLen * 4);
    try {
      arena.f32(aPtr, a.length).set(a);
      const c0 = randomF32(rand, cLen);
      arena.f32(cPtr, cLen).set(c0);
      gemmF32Ptr(rt, M, aPtr, lda, packed, cPtr, ldc, { accumulate: true, act: { kind: 'leakyRelu', alpha: 0.2 } });
      const got = arena.f32(cPtr, cLen).slice();
      const want = gemmRef(a, b, M, K, N, { bias, lda, ldc, c: c0.slice(), accumulate: true, act: { kind: 'leakyRelu', alpha: 0.2 } });
      assertClose(got, want, tolFor(K), `${rt.build} strided`);
      for (let i = 0; i < M - 1; i++) {
        for (let j = N; j < ldc; j++) assert.is(got[i * ldc + j], c0[i * ldc + j], `gap at row ${i} col ${j} untouched`);
      }
    } finally {
      arena.free(cPtr);
      arena.free(aPtr);
      packed.free();
    }
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const b = new Float32Array(12);
    expectEdgeRunError(() => packGemmF32(rt, b, -3, -4), 'InvalidArgument', /K/);
    expectEdgeRunError(() => packGemmF32(rt, b, 3, 4.5), 'InvalidArgument', /N/);
    expectEdgeRunError(() => packGemmF32(rt, b, 3, 5), 'ShapeMismatch', /b has 12/);
    expectEdgeRunError(() => packGemmF32(rt, b, 3, 4, { bias: new Float32Array(3) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => packGemmF32(rt, b, 3, 4, { alpha: NaN }), 'InvalidArgument', /alpha/);
    expectEdgeRunError(() => packGemmF32(rt, b, 3, 4, { alpha: Infinity }), 'InvalidArgument', /alpha/);
    expectEdgeRunError(() => packGemmF32(rt, new Float64Array(12) as unknown as Float32Array, 3, 4), 'DTypeMismatch', /b/);
    const packed = packGemmF32(rt, b, 3, 4);
    try {
      expectEdgeRunError(() => gemmF32(rt, new Float32Array(5), 2, packed), 'ShapeMismatch', /a has 5/);
      expectEdgeRunError(() => gemmF32(rt, new Float32Array(6), -2, packed), 'InvalidArgument', /M/);
      expectEdgeRunError(() => gemmF32(rt, new Float32Array(6), 2, packed, { c: new Float32Array(7) }), 'ShapeMismatch', /c has 7/);
      expectEdgeRunError(() => gemmF32(rt, new Float32Array(6), 2, packed, { accumulate: true }), 'InvalidArgument', /accumulate/);
      expectEdgeRunError(() => gemmF32(rt, new Float32Array(6), 2, packed, { act: { kind: 'clip', min: 2, max: 1 } }), 'InvalidArgument', /clip/);
      expectEdgeRunError(() => gemmF32(rt, new Float32Array(6), 2, packed, { act: { kind: 'swish' } as never }), 'InvalidArgument', /activation/);
      const p = rt.arena.alloc(64);
      try {
        expectEdgeRunError(() => gemmF32Ptr(rt, 2, p, 2, packed, p, 4), 'InvalidArgument', /lda/);
        expectEdgeRunError(() => gemmF32Ptr(rt, 2, p, 3, packed, p, 3), 'InvalidArgument', /ldc/);
        expectEdgeRunError(() => gemmF32Ptr(rt, 2, -64, 3, packed, p, 4), 'InvalidArgument', /a: address/);
        expectEdgeRunError(() => gemmF32Ptr(rt, 2, p, 3, packed, rt.arena.buffer.byteLength + 64, 4), 'InvalidArgument', /c: /);
        expectEdgeRunError(() => gemmF32Ptr(rt, 2, p, 3, packed, 1.5, 4), 'InvalidArgument', /c: address/);
        expectEdgeRunError(() => gemmF32Ptr(rt, 1e9, p, 3, packed, p, 4), 'InvalidArgument', /a: /);
        const other = createRuntimeSync(rt.build);
        expectEdgeRunError(() => gemmF32Ptr(other, 2, p, 3, packed, p, 4), 'InvalidArgument', /another runtime/);
      } finally {
        rt.arena.free(p);
      }
    } finally {
      packed.free();
    }
    expectEdgeRunError(() => gemmF32(rt, new Float32Array(6), 2, packed), 'InvalidArgument', /freed/);
    expectEdgeRunError(() => packed.free(), 'InvalidArgument', /freed/);
  });

  test(`${rt.build}: empty shapes`, () => {
    const packed = packGemmF32(rt, new Float32Array(0), 0, 5, { bias: new Float32Array([1, 2, 3, 4, 5]) });
    try {
      assert.equal(Array.from(gemmF32(rt, new Float32Array(0), 2, packed, { act: { kind: 'relu' } })), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
      assert.is(gemmF32(rt, new Float32Array(0), 0, packed).length, 0);
    } finally {
      packed.free();
    }
  });
});

test('the reference GEMM computes a hand-checked product', () => {
  // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
  const c = gemmRef(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2, { bias: new Float32Array([1, -100]), act: { kind: 'relu' } });
  assert.equal(Array.from(c), [20, 0, 44, 0]);
  const t = gemmRef(new Float32Array([1, 2]), new Float32Array([5, 7, 6, 8]), 1, 2, 2, { transB: true, alpha: 2 });
  assert.equal(Array.from(t), [38, 44]);
});

test.run();
