import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeModelProto, onnx } from '../engine/onnx/proto.js';
import type { Activation } from '../kernels/activation.js';
import { gemmRef } from '../kernels/reference/gemm.js';
import {
  HYBRID_MAX_K, hybridGemm, hybridGemmPtr, packHybridGemm, quantizeRowsDynamic, quantizeRowsDynamicPtr, quantizeWeightsPerChannel,
} from '../kernels/hybrid-gemm.js';
import { hybridGemmRef, quantizeRowsDynamicRef, quantizeWeightsPerChannelRef } from '../kernels/reference/hybrid-gemm.js';
import { assertClose, assertEqualArrays } from './helpers/compare.js';
import { readTensorFixture } from './helpers/fixtures.js';
import { ODD_SIZES, pick, randomF32, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

ort.env.wasm.numThreads = 1;

/** Activations the WASM epilogue computes exactly like the reference (others approximate). */
const EXACT_ACTS: Activation[] = [{ kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: -0.5, max: 0.75 }];
const APPROX_ACTS: Activation[] = [
  { kind: 'leakyRelu', alpha: 0.1 }, { kind: 'sigmoid' }, { kind: 'tanh' }, { kind: 'hardSwish' },
  { kind: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, { kind: 'elu', alpha: 1.3 },
];

function randomInt8(rand: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.floor(rand() * 255) - 127);
}

/**
 * A row whose scale is exactly 2^-4 (its range is 255/16) and whose values sit on rounding ties:
 * x / scale = j + 0.5. With zeroTie the zero point -min/scale is a tie too (100.5 -> 100).
 */
function tieRow(rand: () => number, out: Float32Array, at: number, K: number, zeroTie: boolean): void {
  const lo = zeroTie ? -100.5 : -128, hi = lo + 255;
  for (let k = 0; k < K; k++) out[at + k] = (Math.floor(lo + rand() * 254) + 0.5) / 16;
  out[at] = lo / 16;
  if (K > 1) out[at + K - 1] = hi / 16;
}

/** Rows with a mix of scales, exact zeros and values (and zero points) on rounding ties. */
function randomActivations(rand: () => number, M: number, K: number): Float32Array {
  const a = randomF32(rand, M * K, -2, 3);
  for (let i = 0; i < M; i++) {
    const kind = i % 5;
    if (kind >= 3) {
      tieRow(rand, a, i * K, K, kind === 4);
      continue;
    }
    for (let k = 0; k < K; k++) {
      const j = i * K + k;
      if (kind === 1) a[j] = Math.abs(a[j]); // all >= 0: zero point 0
      else if (kind === 2) a[j] = -Math.abs(a[j]) * 1e-3; // all <= 0, small: zero point 255
    }
  }
  return a;
}

interface Case {
  M: number; K: number; N: number; transB: boolean; withBias: boolean; accumulate: boolean; act: Activation;
}

function runCase(rtIndex: number, cs: Case, seed: number, exact: boolean): void {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const { M, K, N } = cs;
  const a = randomActivations(rand, M, K);
  const w = randomInt8(rand, K * N);
  const scales = randomF32(rand, N, 1e-3, 2e-2);
  const bias = cs.withBias ? randomF32(rand, N) : undefined;
  const c0 = randomF32(rand, M * N);
  const packed = packHybridGemm(rt, w, scales, K, N, { bias, transB: cs.transB });
  try {
    const got = hybridGemm(rt, a, M, packed, { act: cs.act, accumulate: cs.accumulate, c: cs.accumulate ? c0.slice() : undefined });
    const want = hybridGemmRef(a, w, scales, M, K, N, { bias, transB: cs.transB, act: cs.act, accumulate: cs.accumulate, c: cs.accumulate ? c0.slice() : undefined });
    const what = `${rt.build} seed ${seed} ${JSON.stringify(cs)}`;
    if (exact) assertEqualArrays(got, want, what);
    else assertClose(got, want, { rtol: 1e-5, atol: 1e-6 }, what);
  } finally {
    packed.free();
  }
}

RUNTIMES.forEach((rt, r) => {
  test(`${rt.build}: DynamicQuantizeLinear per row matches the reference bit for bit`, () => {
    const rand = rng(5);
    for (const [rows, cols] of [[1, 1], [1, 7], [3, 8], [5, 17], [5, 64], [5, 1000], [7, 33]]) {
      const x = randomActivations(rand, rows, cols);
      const got = quantizeRowsDynamic(rt, x, rows, cols);
      const want = quantizeRowsDynamicRef(x, rows, cols);
      assertEqualArrays(got.q, want.q, `${rt.build} q ${rows}x${cols}`);
      assertEqualArrays(got.scales, want.scales, `${rt.build} scales ${rows}x${cols}`);
      assertEqualArrays(got.zeroPoints, want.zeroPoints, `${rt.build} zero points ${rows}x${cols}`);
    }
    // All zeros: onnxruntime's scale 1, zero point 0.
    const z = quantizeRowsDynamic(rt, new Float32Array(9), 1, 9);
    assert.equal([z.scales[0], z.zeroPoints[0], Math.max(...z.q)], [1, 0, 0]);
    // A NaN makes the row's scale NaN (so a GEMM row through it is NaN, as in float).
    const n = quantizeRowsDynamic(rt, new Float32Array([1, NaN, -1, 2, 3, 4, 5, 6, 7]), 1, 9);
    assert.ok(Number.isNaN(n.scales[0]));
    // Ties round to even: scale 1/16, zero point 100.5 -> 100; 0.5 -> 0 + 100, 1.5 -> 2 + 100, -0.5 -> 0 + 100, 154.5 -> 154 + 100.
    const t = quantizeRowsDynamic(rt, Float32Array.from([-100.5, 0.5, 1.5, -0.5, 2.5, 154.5].map((v) => v / 16)), 1, 6);
    assert.equal([t.scales[0], t.zeroPoints[0], ...t.q], [1 / 16, 100, 0, 100, 102, 100, 102, 254]);
  });

  test(`${rt.build}: DynamicQuantizeLinear on the ONNX node tests' data`, () => {
    for (const name of ['test_dynamicquantizelinear', 'test_dynamicquantizelinear_max_adjusted', 'test_dynamicquantizelinear_min_adjusted']) {
      const dir = ['onnx-node', name, 'test_data_set_0'];
      const x = readTensorFixture(...dir, 'input_0.pb').data as Float32Array;
      const got = quantizeRowsDynamic(rt, x, 1, x.length);
      assertEqualArrays(got.q, readTensorFixture(...dir, 'output_0.pb').data as Uint8Array, `${name} y`);
      assertEqualArrays(got.scales, readTensorFixture(...dir, 'output_1.pb').data as Float32Array, `${name} y_scale`);
      assertEqualArrays(got.zeroPoints, readTensorFixture(...dir, 'output_2.pb').data as Uint8Array, `${name} y_zero_point`);
    }
  });

  test(`${rt.build}: every M, N in ODD_SIZES, bit-exact against the reference`, () => {
    let seed = 1;
    for (const M of ODD_SIZES) {
      for (const N of ODD_SIZES) {
        const K = ODD_SIZES[(M + N) % ODD_SIZES.length];
        runCase(r, { M, K, N, transB: seed % 3 === 0, withBias: true, accumulate: false, act: { kind: 'none' } }, seed++, true);
      }
    }
  });

  test(`${rt.build}: activations, accumulate, transB on random shapes`, () => {
    const rand = rng(777);
    let seed = 1000;
    for (const act of [...EXACT_ACTS, ...APPROX_ACTS]) {
      for (let i = 0; i < 5; i++) {
        const cs: Case = {
          M: pick(rand, [1, 2, 3, 5, 7, 17, 63, 65]),
          K: pick(rand, [0, 1, 2, 3, 7, 17, 64, 65, 300]),
          N: pick(rand, [1, 3, 7, 9, 16, 17, 33, 65]),
          transB: rand() < 0.5,
          withBias: rand() < 0.7,
          accumulate: rand() < 0.4,
          act,
        };
        runCase(r, cs, seed++, EXACT_ACTS.includes(act));
      }
    }
  });

  test(`${rt.build}: more rows than one quantized block, long K`, () => {
    runCase(r, { M: 70, K: 2001, N: 19, transB: false, withBias: true, accumulate: true, act: { kind: 'relu' } }, 9, true);
    runCase(r, { M: 1, K: 4099, N: 40, transB: true, withBias: true, accumulate: false, act: { kind: 'none' } }, 10, true);
  });

  test(`${rt.build}: close to the float GEMM within the quantization error bound`, () => {
    const rand = rng(8);
    const M = 9, K = 200, N = 21;
    const a = randomF32(rand, M * K, -1, 1);
    const b = randomF32(rand, K * N, -0.5, 0.5);
    const { w, scales } = quantizeWeightsPerChannel(b, K, N);
    const packed = packHybridGemm(rt, w, scales, K, N);
    try {
      const got = hybridGemm(rt, a, M, packed);
      const want = gemmRef(a, b, M, K, N);
      // |a - deq(q(a))| <= scaleA / 2 (scaleA <= 2/255) and |b - deq(w)| <= scaleB / 2 (<= 0.5/127/2).
      const bound = K * ((1 / 255) * 0.5 + 1 * (0.5 / 127 / 2)) * 1.01;
      assertClose(got, want, { rtol: 0, atol: bound }, `${rt.build} vs float`);
    } finally {
      packed.free();
    }
  });

  test(`${rt.build}: pointer API honours lda/ldc and leaves the gaps alone`, () => {
    const rand = rng(42);
    for (const M of [1, 6]) {
      const K = 13, N = 11, lda = 20, ldc = 16;
      const a = randomF32(rand, (M - 1) * lda + K);
      const w = randomInt8(rand, K * N);
      const scales = randomF32(rand, N, 0.01, 0.02);
      const bias = randomF32(rand, N);
      const packed = packHybridGemm(rt, w, scales, K, N, { bias });
      const cLen = (M - 1) * ldc + N;
      const aPtr = rt.arena.alloc(a.length * 4);
      const cPtr = rt.arena.alloc(cLen * 4);
      try {
        rt.arena.f32(aPtr, a.length).set(a);
        const c0 = randomF32(rand, cLen);
        rt.arena.f32(cPtr, cLen).set(c0);
        hybridGemmPtr(rt, M, aPtr, lda, packed, cPtr, ldc, { accumulate: true, act: { kind: 'relu' } });
        const got = rt.arena.f32(cPtr, cLen).slice();
        const want = hybridGemmRef(a, w, scales, M, K, N, { bias, lda, ldc, c: c0.slice(), accumulate: true, act: { kind: 'relu' } });
        assertEqualArrays(got, want, `${rt.build} strided M = ${M}`);
        for (let i = 0; i < M - 1; i++) {
          for (let j = N; j < ldc; j++) assert.is(got[i * ldc + j], c0[i * ldc + j], `gap at row ${i} col ${j} untouched`);
        }
      } finally {
        rt.arena.free(cPtr);
        rt.arena.free(aPtr);
        packed.free();
      }
    }
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const w = new Int8Array(12);
    const s = new Float32Array(4).fill(0.1);
    expectEdgeRunError(() => packHybridGemm(rt, w, s, -3, -4), 'InvalidArgument', /K/);
    expectEdgeRunError(() => packHybridGemm(rt, w, s, 3, 5), 'ShapeMismatch', /wInt8 has 12/);
    expectEdgeRunError(() => packHybridGemm(rt, Int8Array.from([1, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), s, 3, 4), 'InvalidArgument', /wInt8\[1\] is -128/);
    expectEdgeRunError(() => packHybridGemm(rt, new Uint8Array(12) as unknown as Int8Array, s, 3, 4), 'DTypeMismatch', /wInt8/);
    expectEdgeRunError(() => packHybridGemm(rt, w, new Float32Array(3), 3, 4), 'ShapeMismatch', /scales/);
    expectEdgeRunError(() => packHybridGemm(rt, w, Float32Array.from([1, NaN, 1, 1]), 3, 4), 'InvalidArgument', /scales\[1\]/);
    expectEdgeRunError(() => packHybridGemm(rt, w, s, 3, 4, { bias: new Float32Array(2) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => packHybridGemm(rt, new Int8Array(0), new Float32Array(0), HYBRID_MAX_K + 1, 0), 'InvalidArgument', /overflow/);
    expectEdgeRunError(() => quantizeWeightsPerChannel(Float32Array.from([1, Infinity]), 1, 2), 'InvalidArgument', /b\[1\]/);
    expectEdgeRunError(() => quantizeRowsDynamic(rt, new Float32Array(5), 2, 3), 'ShapeMismatch', /x has 5/);
    expectEdgeRunError(() => quantizeRowsDynamicPtr(rt, 2, 3, -64, 0, 0, 0), 'InvalidArgument', /x: address/);
    const packed = packHybridGemm(rt, w, s, 3, 4);
    try {
      expectEdgeRunError(() => hybridGemm(rt, new Float32Array(5), 2, packed), 'ShapeMismatch', /a has 5/);
      expectEdgeRunError(() => hybridGemm(rt, new Float32Array(6), 2, packed, { accumulate: true }), 'InvalidArgument', /accumulate/);
      const p = rt.arena.alloc(64);
      try {
        expectEdgeRunError(() => hybridGemmPtr(rt, 2, p, 2, packed, p, 4), 'InvalidArgument', /lda/);
        expectEdgeRunError(() => hybridGemmPtr(rt, 2, p, 3, packed, p, 3), 'InvalidArgument', /ldc/);
        expectEdgeRunError(() => hybridGemmPtr(rt, 1e9, p, 3, packed, p, 4), 'InvalidArgument', /a: /);
        expectEdgeRunError(() => hybridGemmPtr(RUNTIMES[(r + 1) % RUNTIMES.length], 2, p, 3, packed, p, 4), 'InvalidArgument', /another runtime/);
      } finally {
        rt.arena.free(p);
      }
    } finally {
      packed.free();
    }
    expectEdgeRunError(() => hybridGemm(rt, new Float32Array(6), 2, packed), 'InvalidArgument', /freed/);
  });

  test(`${rt.build}: empty shapes`, () => {
    const packed = packHybridGemm(rt, new Int8Array(0), new Float32Array(3).fill(1), 0, 3, { bias: new Float32Array([1, 2, 3]) });
    try {
      assert.equal(Array.from(hybridGemm(rt, new Float32Array(0), 2, packed)), [1, 2, 3, 1, 2, 3]);
      assert.is(hybridGemm(rt, new Float32Array(0), 0, packed).length, 0);
    } finally {
      packed.free();
    }
  });
});

test('per-channel weight quantization, hand-checked', () => {
  // Columns: [1, -0.5, 0.25] -> scale 1/127; [0, 0, 0] -> scale 1; [2, 1, -2] -> scale 2/127.
  const b = Float32Array.from([1, 0, 2, -0.5, 0, 1, 0.25, 0, -2]);
  const { w, scales } = quantizeWeightsPerChannelRef(b, 3, 3);
  assert.equal(Array.from(w), [127, 0, 127, -64, 0, 64, 32, 0, -127]); // -63.5 -> -64, 63.5 -> 64, 31.75 -> 32
  assert.equal(Array.from(scales), [Math.fround(1 / 127), 1, Math.fround(2 / 127)]);
});

test('DynamicQuantizeLinear reference matches onnxruntime-web on random tensors', async () => {
  const { DataType } = onnx.TensorProto;
  const bytes = encodeModelProto({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 11 }],
    graph: {
      name: 'dql',
      input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT } } }],
      output: ['y', 'y_scale', 'y_zero_point'].map((name) => ({ name, type: { tensorType: { elemType: name === 'y_scale' ? DataType.FLOAT : DataType.UINT8 } } })),
      node: [{ opType: 'DynamicQuantizeLinear', input: ['x'], output: ['y', 'y_scale', 'y_zero_point'] }],
    },
  });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const rand = rng(77);
  try {
    for (let t = 0; t < 12; t++) {
      const x = randomActivations(rand, 1, pick(rand, [1, 5, 64, 333]));
      if (t === 0) x.fill(0);
      if (t === 1 || t === 2) tieRow(rand, x, 0, x.length, t === 2);
      const got = await session.run({ x: new ort.Tensor('float32', x, [x.length]) });
      const want = quantizeRowsDynamicRef(x, 1, x.length);
      assertEqualArrays(got.y.data as Uint8Array, want.q, `y, case ${t}`);
      assert.is((got.y_scale.data as Float32Array)[0], want.scales[0], `scale, case ${t}`);
      assert.is((got.y_zero_point.data as Uint8Array)[0], want.zeroPoints[0], `zero point, case ${t}`);
    }
  } finally {
    await session.release();
  }
});

test.run();
