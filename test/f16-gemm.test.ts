import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Activation } from '../kernels/activation.js';
import { gemmF16, gemmF16Ptr, packGemmF16 } from '../kernels/f16-gemm.js';
import { gemmF32, packGemmF32 } from '../kernels/gemm.js';
import { floatBitsToHalf } from '../kernels/reference/f16.js';
import { gemmF16Ref, widenHalves } from '../kernels/reference/f16-gemm.js';
import { assertClose } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const ACTIVATIONS: Activation[] = [
  { kind: 'none' },
  { kind: 'relu' },
  { kind: 'clip', min: -0.5, max: 0.75 },
  { kind: 'leakyRelu', alpha: 0.1 },
  { kind: 'sigmoid' },
  { kind: 'tanh' },
  { kind: 'hardSwish' },
  { kind: 'hardSigmoid', alpha: 0.2, beta: 0.5 },
  { kind: 'elu', alpha: 1.3 },
];

// fp32 sums of K products of numbers in [-1, 1]: error grows like sqrt(K) ulps of the terms.
const tolFor = (K: number) => ({ rtol: 1e-5, atol: 1e-6 * Math.max(1, Math.sqrt(K)) * 4 });

const toHalves = (x: Float32Array) => {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  return Uint16Array.from(bits, floatBitsToHalf);
};

/** Random half weights in [-1, 1] with some subnormals (|w| < 2^-14) and exact zeros mixed in. */
function randomHalves(rand: () => number, n: number): Uint16Array {
  const h = toHalves(randomF32(rand, n));
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.05) h[i] = Math.floor(rand() * 0x400) | (rand() < 0.5 ? 0x8000 : 0); // subnormal
    else if (r < 0.08) h[i] = rand() < 0.5 ? 0 : 0x8000; // ±0
  }
  return h;
}

interface Case {
  M: number; K: number; N: number;
  transB: boolean; withBias: boolean; accumulate: boolean; act: Activation; asFloats: boolean;
}

function runCase(rtIndex: number, cs: Case, seed: number, weights?: Uint16Array): void {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const { M, K, N } = cs;
  const a = randomF32(rand, M * K);
  const halves = weights ?? randomHalves(rand, K * N);
  const bias = cs.withBias ? randomF32(rand, N) : undefined;
  const c0 = randomF32(rand, M * N);
  // As floats: the packer must round them to exactly these halves.
  const b = cs.asFloats ? widenHalves(halves) : halves;
  const packed = packGemmF16(rt, b, K, N, { bias, transB: cs.transB });
  try {
    const got = gemmF16(rt, a, M, packed, { act: cs.act, accumulate: cs.accumulate, c: cs.accumulate ? c0.slice() : undefined });
    const want = gemmF16Ref(a, halves, M, K, N, { bias, transB: cs.transB, act: cs.act, accumulate: cs.accumulate, c: cs.accumulate ? c0.slice() : undefined });
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
        runCase(r, { M, K, N, transB: false, withBias: true, accumulate: false, act: { kind: 'none' }, asFloats: seed % 2 === 0 }, seed++);
      }
    }
  });

  test(`${rt.build}: every activation, accumulate, transB on random shapes`, () => {
    const rand = rng(777);
    let seed = 1000;
    for (const act of ACTIVATIONS) {
      for (let i = 0; i < 6; i++) {
        const cs: Case = {
          M: pick(rand, [1, 2, 3, 5, 7, 17, 63, 65]),
          K: pick(rand, [0, 1, 3, 7, 17, 63, 65, 300]),
          N: pick(rand, [1, 3, 7, 9, 17, 33, 63, 65]),
          transB: rand() < 0.5,
          withBias: rand() < 0.7,
          accumulate: rand() < 0.4,
          act,
          asFloats: rand() < 0.5,
        };
        runCase(r, cs, seed++);
      }
    }
  });

  test(`${rt.build}: K over several widened blocks (256, 512 cap), with accumulate and an activation`, () => {
    runCase(r, { M: 37, K: 600, N: 45, transB: false, withBias: true, accumulate: true, act: { kind: 'tanh' }, asFloats: false }, 5);
    runCase(r, { M: 9, K: 1100, N: 70, transB: true, withBias: true, accumulate: false, act: { kind: 'relu' }, asFloats: true }, 6);
    runCase(r, { M: 1, K: 1100, N: 70, transB: false, withBias: true, accumulate: true, act: { kind: 'none' }, asFloats: false }, 7);
  });

  test(`${rt.build}: GEMV (M = 1) over many panels`, () => {
    for (const N of [8, 24, 32, 40, 100, 256, 257]) {
      runCase(r, { M: 1, K: 129, N, transB: false, withBias: true, accumulate: N % 2 === 0, act: { kind: 'sigmoid' }, asFloats: false }, N);
    }
  });

  test(`${rt.build}: GEMV rows with |a| >= 2^16 (no pre-scaling of A) and with inf/NaN in A`, () => {
    const rand = rng(31);
    for (const big of [65536, 1e30, Infinity, NaN]) {
      const K = 37, N = 29;
      const a = randomF32(rand, K);
      a[K - 1] = big;
      const halves = randomHalves(rand, K * N);
      const bias = randomF32(rand, N);
      const packed = packGemmF16(rt, halves, K, N, { bias });
      try {
        const want = gemmF16Ref(a, halves, 1, K, N, { bias });
        assertClose(gemmF16(rt, a, 1, packed), want, { rtol: 1e-5, atol: 1e-5 }, `${rt.build} a[K-1] = ${big}`);
      } finally {
        packed.free();
      }
    }
  });

  test(`${rt.build}: weights with inf and NaN halves (GEMV and tiles)`, () => {
    const rand = rng(99);
    for (const [M, K, N] of [[1, 17, 40], [1, 9, 5], [6, 33, 19]]) {
      const h = randomHalves(rand, K * N);
      h[3] = 0x7c00; // +inf
      h[K * N - 2] = 0xfc00; // -inf
      h[Math.floor(K * N / 2)] = 0x7e00; // NaN
      h[Math.floor(K * N / 3)] = 0xfd01; // NaN with payload and sign
      const packed = packGemmF16(rt, h, K, N);
      assert.is(packed.finite, false);
      packed.free();
      runCase(r, { M, K, N, transB: false, withBias: true, accumulate: false, act: { kind: 'none' }, asFloats: false }, M * K * N, h);
    }
  });

  test(`${rt.build}: same result as the fp32 GEMM on the f16-rounded weights`, () => {
    const rand = rng(2024);
    for (const [M, K, N] of [[1, 300, 67], [4, 64, 64], [13, 257, 31]]) {
      const a = randomF32(rand, M * K);
      const halves = randomHalves(rand, K * N);
      const bias = randomF32(rand, N);
      const p16 = packGemmF16(rt, halves, K, N, { bias });
      const p32 = packGemmF32(rt, widenHalves(halves), K, N, { bias });
      try {
        assertClose(gemmF16(rt, a, M, p16), gemmF32(rt, a, M, p32), tolFor(K), `${rt.build} ${M}x${K}x${N}`);
      } finally {
        p32.free();
        p16.free();
      }
    }
  });

  test(`${rt.build}: packed weights take half the bytes of the fp32 panels`, () => {
    const K = 1024, N = 256;
    const p16 = packGemmF16(rt, new Uint16Array(K * N), K, N);
    const p32 = packGemmF32(rt, new Float32Array(K * N), K, N);
    try {
      assert.ok(p16.bytes <= p32.bytes / 2 + 64 * N, `${p16.bytes} vs ${p32.bytes}`);
    } finally {
      p32.free();
      p16.free();
    }
  });

  test(`${rt.build}: pointer API honours lda/ldc and leaves the gaps alone`, () => {
    const rand = rng(42);
    for (const M of [1, 7]) {
      const K = 13, N = 11, lda = 20, ldc = 16;
      const a = randomF32(rand, (M - 1) * lda + K);
      const halves = randomHalves(rand, K * N);
      const bias = randomF32(rand, N);
      const packed = packGemmF16(rt, halves, K, N, { bias });
      const arena = rt.arena;
      const cLen = (M - 1) * ldc + N;
      const aPtr = arena.alloc(a.length * 4);
      const cPtr = arena.alloc(cLen * 4);
      try {
        arena.f32(aPtr, a.length).set(a);
        const c0 = randomF32(rand, cLen);
        arena.f32(cPtr, cLen).set(c0);
        gemmF16Ptr(rt, M, aPtr, lda, packed, cPtr, ldc, { accumulate: true, act: { kind: 'leakyRelu', alpha: 0.2 } });
        const got = arena.f32(cPtr, cLen).slice();
        const want = gemmF16Ref(a, halves, M, K, N, { bias, lda, ldc, c: c0.slice(), accumulate: true, act: { kind: 'leakyRelu', alpha: 0.2 } });
        assertClose(got, want, tolFor(K), `${rt.build} strided M = ${M}`);
        for (let i = 0; i < M - 1; i++) {
          for (let j = N; j < ldc; j++) assert.is(got[i * ldc + j], c0[i * ldc + j], `gap at row ${i} col ${j} untouched`);
        }
      } finally {
        arena.free(cPtr);
        arena.free(aPtr);
        packed.free();
      }
    }
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const b = new Uint16Array(12);
    expectEdgeRunError(() => packGemmF16(rt, b, -3, -4), 'InvalidArgument', /K/);
    expectEdgeRunError(() => packGemmF16(rt, b, 3, 4.5), 'InvalidArgument', /N/);
    expectEdgeRunError(() => packGemmF16(rt, b, 3, 5), 'ShapeMismatch', /b has 12/);
    expectEdgeRunError(() => packGemmF16(rt, b, 3, 4, { bias: new Float32Array(3) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => packGemmF16(rt, b, 3, 4, { bias: new Uint16Array(4) as unknown as Float32Array }), 'DTypeMismatch', /bias/);
    expectEdgeRunError(() => packGemmF16(rt, new Int16Array(12) as unknown as Uint16Array, 3, 4), 'DTypeMismatch', /b must/);
    const packed = packGemmF16(rt, b, 3, 4);
    try {
      expectEdgeRunError(() => gemmF16(rt, new Float32Array(5), 2, packed), 'ShapeMismatch', /a has 5/);
      expectEdgeRunError(() => gemmF16(rt, new Float32Array(6), -2, packed), 'InvalidArgument', /M/);
      expectEdgeRunError(() => gemmF16(rt, new Float32Array(6), 2, packed, { c: new Float32Array(7) }), 'ShapeMismatch', /c has 7/);
      expectEdgeRunError(() => gemmF16(rt, new Float32Array(6), 2, packed, { accumulate: true }), 'InvalidArgument', /accumulate/);
      expectEdgeRunError(() => gemmF16(rt, new Float32Array(6), 2, packed, { act: { kind: 'clip', min: 2, max: 1 } }), 'InvalidArgument', /clip/);
      const p = rt.arena.alloc(64);
      try {
        expectEdgeRunError(() => gemmF16Ptr(rt, 2, p, 2, packed, p, 4), 'InvalidArgument', /lda/);
        expectEdgeRunError(() => gemmF16Ptr(rt, 2, p, 3, packed, p, 3), 'InvalidArgument', /ldc/);
        expectEdgeRunError(() => gemmF16Ptr(rt, 2, -64, 3, packed, p, 4), 'InvalidArgument', /a: address/);
        expectEdgeRunError(() => gemmF16Ptr(rt, 2, p, 3, packed, rt.arena.buffer.byteLength + 64, 4), 'InvalidArgument', /c: /);
        expectEdgeRunError(() => gemmF16Ptr(rt, 1e9, p, 3, packed, p, 4), 'InvalidArgument', /a: /);
        const f32 = packGemmF32(rt, new Float32Array(12), 3, 4);
        expectEdgeRunError(() => gemmF16Ptr(rt, 2, p, 3, f32 as never, p, 4), 'InvalidArgument', /packGemmF16/);
        f32.free();
        const other = RUNTIMES[(r + 1) % RUNTIMES.length];
        expectEdgeRunError(() => gemmF16Ptr(other, 2, p, 3, packed, p, 4), 'InvalidArgument', /another runtime/);
      } finally {
        rt.arena.free(p);
      }
    } finally {
      packed.free();
    }
    expectEdgeRunError(() => gemmF16(rt, new Float32Array(6), 2, packed), 'InvalidArgument', /freed/);
    expectEdgeRunError(() => packed.free(), 'InvalidArgument', /freed/);
  });

  test(`${rt.build}: empty shapes`, () => {
    const packed = packGemmF16(rt, new Uint16Array(0), 0, 5, { bias: new Float32Array([1, 2, 3, 4, 5]) });
    try {
      assert.equal(Array.from(gemmF16(rt, new Float32Array(0), 2, packed, { act: { kind: 'relu' } })), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
      assert.equal(Array.from(gemmF16(rt, new Float32Array(0), 1, packed)), [1, 2, 3, 4, 5]);
      assert.is(gemmF16(rt, new Float32Array(0), 0, packed).length, 0);
    } finally {
      packed.free();
    }
  });
});

test('the reference widens halves exactly and multiplies', () => {
  // B = [1 0.5; -2 65504] as halves; A = [1 2]
  const b = new Uint16Array([0x3c00, 0x3800, 0xc000, 0x7bff]);
  assert.equal(Array.from(widenHalves(b)), [1, 0.5, -2, 65504]);
  assert.equal(Array.from(gemmF16Ref(new Float32Array([1, 2]), b, 1, 2, 2)), [-3, 131008.5]);
});

test.run();
