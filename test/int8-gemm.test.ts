// int8/uint8 GEMM and MatMulInteger: every build against the scalar TFLite-arithmetic oracle,
// bit for bit, on odd shapes, both dtypes, per-channel and per-tensor parameters, extreme zero
// points and multipliers; plus bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matMulInteger, packMatMulInteger, packQGemm, qgemm, qgemmPtr, type QGemmOptions } from '../kernels/int8/gemm.js';
import { activationRange, convolutionMultiplier, fullyConnectedMultiplier, quantizeMultiplier, type QuantActivation, type QuantDType } from '../kernels/int8/qparams.js';
import { matMulIntegerRef, qgemmRef } from '../kernels/reference/int8/gemm.js';
import { assertEqualArrays } from './helpers/compare.js';
import { ODD_SIZES, pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

function randQ(rand: () => number, dtype: QuantDType, n: number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  const lo = dtype === 'int8' ? -128 : 0;
  // Some runs of the extremes, to saturate sums.
  const extreme = rand() < 0.15;
  for (let i = 0; i < n; i++) out[i] = extreme && rand() < 0.7 ? (rand() < 0.5 ? lo : lo + 255) : lo + Math.floor(rand() * 256);
  return out;
}

function zeroPoint(rand: () => number, dtype: QuantDType): number {
  const lo = dtype === 'int8' ? -128 : 0;
  return pick(rand, [lo, lo + 255, lo + 128, lo + Math.floor(rand() * 256)]);
}

interface Case {
  M: number; K: number; N: number;
  inDType: QuantDType; wDType: QuantDType; outDType: QuantDType;
  perChannel: boolean; transB: boolean; act: QuantActivation; rule: 'conv' | 'fullyConnected';
}

function runCase(rtIndex: number, cs: Case, seed: number): number {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const { M, K, N } = cs;
  const a = randQ(rand, cs.inDType, M * K);
  const w = randQ(rand, cs.wDType, K * N);
  const bias = new Int32Array(N).map(() => randomInt(rand, -50000, 50000));
  const inputScale = 0.001 + rand() * 0.05;
  // Output scales that make the multiplier land anywhere from ~2^-20 to ~4.
  const outputScale = inputScale * 0.01 * 2 ** (22 * rand() - 10);
  const weightScales = cs.perChannel ? Float32Array.from({ length: N }, () => 0.002 + rand() * 0.02) : 0.002 + rand() * 0.02;
  const opts: QGemmOptions = {
    bias, weightScales, inputScale, outputScale,
    weightZeroPoints: cs.wDType === 'uint8' ? (cs.perChannel ? Int32Array.from({ length: N }, () => zeroPoint(rand, 'uint8')) : zeroPoint(rand, 'uint8')) : 0,
    inputZeroPoint: zeroPoint(rand, cs.inDType), inputDType: cs.inDType,
    outputZeroPoint: zeroPoint(rand, cs.outDType), outputDType: cs.outDType,
    act: cs.act, multiplierRule: cs.rule, transB: cs.transB,
  };
  const packed = packQGemm(rt, w, K, N, opts);
  try {
    const got = qgemm(rt, a, M, packed);
    // The oracle: unpacked W as K×N.
    const wk = new Int32Array(K * N);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) wk[k * N + n] = cs.transB ? w[n * K + k] : w[k * N + n];
    const scales = typeof weightScales === 'number' ? new Array(N).fill(weightScales) : Array.from(weightScales);
    const real = cs.rule === 'conv' ? convolutionMultiplier : fullyConnectedMultiplier;
    const multipliers = scales.map((s) => quantizeMultiplier(real(inputScale, s, outputScale)));
    const [actMin, actMax] = activationRange(cs.act, { scale: outputScale, zeroPoint: opts.outputZeroPoint }, cs.outDType);
    const want = new Int32Array(M * N);
    qgemmRef(a, wk, M, K, N, { za: opts.inputZeroPoint, zw: opts.weightZeroPoints as number | Int32Array, bias, multipliers, outputZeroPoint: opts.outputZeroPoint, actMin, actMax }, want);
    assertEqualArrays(got, want, `${rt.build} seed ${seed} ${JSON.stringify(cs)}`);
    return M * N;
  } finally {
    packed.free();
  }
}

RUNTIMES.forEach((rt, r) => {
  test(`${rt.build}: qgemm bit-exact on every M, N in ODD_SIZES, both dtypes`, () => {
    let seed = 1;
    let checked = 0;
    const dtypes: QuantDType[] = ['int8', 'uint8'];
    for (const M of ODD_SIZES) {
      for (const N of ODD_SIZES) {
        const K = ODD_SIZES[(M * 3 + N) % ODD_SIZES.length];
        checked += runCase(r, {
          M, K, N, inDType: dtypes[(M + N) & 1], wDType: dtypes[(M >> 1) & 1], outDType: dtypes[(N >> 1) & 1],
          perChannel: (M + N) % 3 !== 0, transB: (M & 2) !== 0, act: 'none', rule: 'conv',
        }, seed++);
      }
    }
    assert.ok(checked > 10000, `${checked} outputs checked`);
  });

  test(`${rt.build}: qgemm with activations, per-tensor FC multipliers, K up to 700`, () => {
    const rand = rng(99);
    let seed = 5000;
    for (const act of ['none', 'relu', 'relu6', 'reluN1To1'] as QuantActivation[]) {
      for (let i = 0; i < 5; i++) {
        runCase(r, {
          M: pick(rand, [1, 3, 4, 9, 33]), K: pick(rand, [0, 1, 2, 5, 8, 31, 200, 700]), N: pick(rand, [1, 7, 8, 24, 41]),
          inDType: pick(rand, ['int8', 'uint8']), wDType: pick(rand, ['int8', 'uint8']), outDType: pick(rand, ['int8', 'uint8']),
          perChannel: rand() < 0.5, transB: rand() < 0.5, act, rule: pick(rand, ['conv', 'fullyConnected']),
        }, seed++);
      }
    }
  });

  test(`${rt.build}: MatMulInteger raw int32 sums, per-column b zero points, int32 wrap-around`, () => {
    const rand = rng(7);
    for (let t = 0; t < 30; t++) {
      const M = pick(rand, [1, 2, 5, 16, 17]);
      const K = pick(rand, [0, 1, 3, 8, 63, 300]);
      const N = pick(rand, [1, 3, 8, 9, 33]);
      const aT: QuantDType = pick(rand, ['int8', 'uint8']);
      const bT: QuantDType = pick(rand, ['int8', 'uint8']);
      const a = randQ(rand, aT, M * K);
      const b = randQ(rand, bT, K * N);
      const za = zeroPoint(rand, aT);
      const zb = rand() < 0.5 ? zeroPoint(rand, bT) : Int32Array.from({ length: N }, () => zeroPoint(rand, bT));
      const packed = packMatMulInteger(rt, b, K, N, { bZeroPoint: zb });
      const got = matMulInteger(rt, a, M, za, packed);
      assertEqualArrays(got, matMulIntegerRef(a, b, M, K, N, za, zb), `${rt.build} MatMulInteger case ${t}`);
      packed.free();
    }
    // K = 70000 of 255·255 products: the true sum passes 2^32; both wrap like int32.
    const K = 70000;
    const a = new Uint8Array(K).fill(255);
    const b = new Uint8Array(K).fill(0);
    const packed = packMatMulInteger(rt, b, K, 1, { bZeroPoint: 255 });
    const got = matMulInteger(rt, a, 1, 0, packed);
    assert.is(got[0], (255 * -255 * K) | 0);
    packed.free();
  });

  test(`${rt.build}: qgemmPtr honours lda and ldc`, () => {
    const rand = rng(3);
    const M = 5, K = 11, N = 9, lda = 16, ldc = 13;
    const w = randQ(rand, 'int8', K * N);
    const packed = packQGemm(rt, w, K, N, { weightScales: 0.01, inputScale: 0.03, inputZeroPoint: -3, outputScale: 0.05, outputZeroPoint: 4 });
    const a = randQ(rand, 'int8', M * lda);
    const aPtr = rt.arena.alloc(M * lda);
    const cPtr = rt.arena.alloc(M * ldc);
    rt.arena.i8(aPtr, M * lda).set(a);
    rt.arena.i8(cPtr, M * ldc).fill(99);
    qgemmPtr(rt, M, aPtr, lda, packed, cPtr, ldc);
    const got = rt.arena.i8(cPtr, M * ldc).slice();
    const dense = new Int8Array(M * K);
    for (let m = 0; m < M; m++) dense.set(a.subarray(m * lda, m * lda + K), m * K);
    const want = qgemm(rt, dense, M, packed);
    for (let m = 0; m < M; m++) {
      assertEqualArrays(got.subarray(m * ldc, m * ldc + N), want.subarray(m * N, m * N + N), `row ${m}`);
      for (let j = N; j < ldc; j++) assert.is(got[m * ldc + j], 99, `padding of row ${m} untouched`);
    }
    rt.arena.free(cPtr);
    rt.arena.free(aPtr);
    packed.free();
  });

  test(`${rt.build}: bad input to the int8 GEMM`, () => {
    const w = new Int8Array(6);
    const base = { weightScales: 0.1, inputScale: 0.1, inputZeroPoint: 0, outputScale: 0.1, outputZeroPoint: 0 };
    expectEdgeRunError(() => packQGemm(rt, new Float32Array(6) as unknown as Int8Array, 2, 3, base), 'DTypeMismatch', /weights/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 4, base), 'ShapeMismatch', /K×N/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, inputScale: 0 }), 'InvalidArgument', /inputScale/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, weightScales: [0.1, 0.2] }), 'ShapeMismatch', /weightScales/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, weightScales: [0.1, NaN, 0.1] }), 'InvalidArgument', /weightScales\[1\]/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, inputZeroPoint: 200 }), 'InvalidArgument', /inputZeroPoint/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, inputDType: 'uint8', inputZeroPoint: -1 }), 'InvalidArgument', /inputZeroPoint/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, weightZeroPoints: 300 }), 'InvalidArgument', /weightZeroPoints/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, bias: new Int32Array(2) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, bias: new Float32Array(3) as unknown as Int32Array }), 'DTypeMismatch', /bias/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, outputScale: 1e-12 }), 'InvalidArgument', /too large/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, act: 'gelu' as QuantActivation }), 'InvalidArgument', /activation/);
    expectEdgeRunError(() => packQGemm(rt, w, 2, 3, { ...base, outputDType: 'int16' as QuantDType }), 'DTypeMismatch', /outputDType/);
    const packed = packQGemm(rt, w, 2, 3, base);
    expectEdgeRunError(() => qgemm(rt, new Int8Array(5), 2, packed), 'ShapeMismatch', /M×K/);
    expectEdgeRunError(() => qgemm(rt, new Uint8Array(4), 2, packed), 'DTypeMismatch', /packed for int8/);
    expectEdgeRunError(() => qgemmPtr(rt, 2, 0, 2, packed, 0, 3), 'InvalidArgument', /not inside the arena/);
    expectEdgeRunError(() => qgemmPtr(rt, 2, rt.arena.base, 1, packed, rt.arena.base, 3), 'InvalidArgument', /lda/);
    expectEdgeRunError(() => qgemmPtr(rt, 1e9, rt.arena.base, 2, packed, rt.arena.base, 3), 'InvalidArgument', /past the end/);
    const other = RUNTIMES.find((x) => x !== rt)!;
    expectEdgeRunError(() => qgemm(other, new Int8Array(4), 2, packed), 'InvalidArgument', /another runtime/);
    const mmi = packMatMulInteger(rt, w, 2, 3);
    expectEdgeRunError(() => qgemm(rt, new Int8Array(4), 2, mmi as never), 'InvalidArgument', /packMatMulInteger/);
    expectEdgeRunError(() => matMulInteger(rt, new Int8Array(4), 2, 128, mmi), 'InvalidArgument', /aZeroPoint/);
    mmi.free();
    packed.free();
    expectEdgeRunError(() => qgemm(rt, new Int8Array(4), 2, packed), 'InvalidArgument', /freed/);
    expectEdgeRunError(() => packed.free(), 'InvalidArgument', /already freed/);
  });
});

test.run();
