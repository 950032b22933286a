// The fast paths of the int8 convolution kernels, each forced and checked bit for bit against
// the TFLite-style oracles (kernels/reference/int8) on every build:
//  - conv: the im2col byte rows with stride-2 vector gathers (wide rows), tiny planes (≤ 16 bytes:
//    one swizzle per tap), planes ending in a part panel of ≤ 4 pixels (the 4×4 tile), batches
//    walked inside the kernel, and both requantization forms
//    (the short one for bounded accumulators, the exact one for a huge bias or a multiplier > 1);
//  - depthwise 3×3, strides 1 and 2 (wasm/i8-dwconv3x3.ts), odd sizes, depth multipliers,
//    both dtypes, and the fallbacks it must refuse (a −128 weight, a multiplier ≥ 0.5);
//  - GEMM rows: M not a multiple of 4 (the 1×8 kernel) and M over several widened blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { windowGeometry } from '../kernels/int8/common.js';
import { packQConv, qconv, type QConvOptions } from '../kernels/int8/conv.js';
import { packQDepthwise, qdepthwise, type QDepthwiseOptions } from '../kernels/int8/dwconv.js';
import { packQGemm, qgemm } from '../kernels/int8/gemm.js';
import { activationRange, convolutionMultiplier, quantizeMultiplier, type QuantDType } from '../kernels/int8/qparams.js';
import { qconvRef } from '../kernels/reference/int8/conv.js';
import { qdwconvRef } from '../kernels/reference/int8/dwconv.js';
import { qgemmRef } from '../kernels/reference/int8/gemm.js';
import type { Runtime } from '../kernels/runtime.js';
import { assertEqualArrays } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES } from './helpers/runtimes.js';

const lo = (t: QuantDType) => (t === 'int8' ? -128 : 0);

function randQ(rand: () => number, t: QuantDType, n: number, span = 256): Int8Array | Uint8Array {
  const out = t === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  const base = t === 'int8' ? -Math.floor(span / 2) : 0;
  for (let i = 0; i < n; i++) out[i] = base + Math.floor(rand() * span);
  return out;
}

interface ConvCase {
  N: number; Cin: number; Cout: number; H: number; W: number; k: [number, number]; s: number; pads: [number, number, number, number];
  inDType: QuantDType; outDType: QuantDType; bias: number; outScale: number; clamp?: [number, number];
}

function checkConv(rt: Runtime, rand: () => number, c: ConvCase): { bounded: boolean } {
  const wScales = Float32Array.from({ length: c.Cout }, () => 0.002 + rand() * 0.01);
  const inputScale = 0.03;
  const opts: QConvOptions = {
    inChannels: c.Cin, outChannels: c.Cout, kernel: c.k, strides: [c.s, c.s], pads: c.pads,
    // Biases near ±2^30 (the huge case) push accumulators past the short form's bound.
    bias: Int32Array.from({ length: c.Cout }, () => (c.bias >= 2 ** 29 ? pick(rand, [-1, 1]) * (c.bias - randomInt(rand, 0, 1000)) : randomInt(rand, -c.bias, c.bias))),
    weightScales: wScales, inputScale, inputZeroPoint: lo(c.inDType) + randomInt(rand, 0, 255), inputDType: c.inDType,
    outputScale: c.outScale, outputZeroPoint: lo(c.outDType) + randomInt(rand, 0, 255), outputDType: c.outDType, clamp: c.clamp,
  };
  const K = c.Cin * c.k[0] * c.k[1];
  const w = randQ(rand, 'int8', c.Cout * K, 255);
  const x = randQ(rand, c.inDType, c.N * c.Cin * c.H * c.W);
  const packed = packQConv(rt, w, opts);
  try {
    const got = qconv(rt, x, [c.N, c.Cin, c.H, c.W], packed);
    const g = windowGeometry(opts, c.H, c.W, 'test');
    const [a0, a1] = activationRange('none', { scale: c.outScale, zeroPoint: opts.outputZeroPoint }, c.outDType);
    const [actMin, actMax] = c.clamp ? [Math.max(a0, c.clamp[0]), Math.min(a1, c.clamp[1])] : [a0, a1];
    const per = c.Cout * g.OH * g.OW;
    const want = new Int32Array(c.N * per);
    for (let n = 0; n < c.N; n++) {
      qconvRef(x.subarray(n * c.Cin * c.H * c.W, (n + 1) * c.Cin * c.H * c.W), c.Cin, c.Cout, 1, w, g, {
        zx: opts.inputZeroPoint, zw: new Array(c.Cout).fill(0), bias: opts.bias!,
        multipliers: Array.from(wScales, (sc) => quantizeMultiplier(convolutionMultiplier(inputScale, sc, c.outScale))),
        outputZeroPoint: opts.outputZeroPoint, actMin, actMax,
      }, want.subarray(n * per, (n + 1) * per));
    }
    assertEqualArrays(got, want, `${rt.build} ${JSON.stringify(c)}`);
    return { bounded: packed.bounded };
  } finally {
    packed.free();
  }
}

for (const rt of RUNTIMES) {
  test(`${rt.build}: conv im2col, strides 1 and 2 over wide rows (vector gathers), batches, clamps`, () => {
    const rand = rng(21);
    for (let i = 0; i < 14; i++) {
      const k = pick(rand, [[3, 3], [5, 5], [3, 1], [1, 3]] as [number, number][]);
      checkConv(rt, rand, {
        N: pick(rand, [1, 2, 3]), Cin: pick(rand, [1, 3, 4]), Cout: pick(rand, [1, 5, 8]), H: randomInt(rand, 5, 9), W: pick(rand, [33, 47, 64, 70]),
        k, s: pick(rand, [1, 2]), pads: [randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2)],
        inDType: pick(rand, ['int8', 'uint8']), outDType: pick(rand, ['int8', 'uint8']), bias: 3000, outScale: 0.05 + rand() * 0.2,
        clamp: rand() < 0.5 ? [randomInt(rand, -128, -50), randomInt(rand, 20, 127)] : undefined,
      });
    }
  });

  test(`${rt.build}: conv on tiny planes (≤ 16 bytes: a swizzle per tap), batched`, () => {
    const rand = rng(22);
    for (let i = 0; i < 14; i++) {
      const H = randomInt(rand, 1, 4), W = randomInt(rand, 1, Math.floor(16 / H));
      const kh = randomInt(rand, 1, Math.min(3, H + 2)), kw = randomInt(rand, 1, Math.min(3, W + 2));
      const pads: [number, number, number, number] = [randomInt(rand, 0, kh - 1), randomInt(rand, 0, kw - 1), randomInt(rand, 0, kh - 1), randomInt(rand, 0, kw - 1)];
      if (H + pads[0] + pads[2] < kh || W + pads[1] + pads[3] < kw) continue;
      checkConv(rt, rand, {
        N: pick(rand, [1, 5, 9]), Cin: pick(rand, [1, 2, 16]), Cout: pick(rand, [3, 8, 32]), H, W, k: [kh, kw], s: pick(rand, [1, 1, 2]), pads,
        inDType: pick(rand, ['int8', 'uint8']), outDType: pick(rand, ['int8', 'uint8']), bias: 3000, outScale: 0.1 + rand() * 0.3,
      });
    }
  });

  test(`${rt.build}: conv planes ending in a part panel of ≤ 4 pixels (the 4×4 tile): 7×7, 14×14, 3×4`, () => {
    const rand = rng(24);
    for (const [H, W] of [[7, 7], [14, 14], [3, 4], [5, 4], [1, 9]]) {
      for (const Cout of [4, 8, 6]) {
        checkConv(rt, rand, {
          N: pick(rand, [1, 2]), Cin: pick(rand, [5, 16, 33]), Cout, H, W, k: [1, 1], s: 1, pads: [0, 0, 0, 0],
          inDType: pick(rand, ['int8', 'uint8']), outDType: pick(rand, ['int8', 'uint8']), bias: 3000, outScale: 0.05 + rand() * 0.2,
          clamp: rand() < 0.5 ? [-100, 90] : undefined,
        });
      }
    }
  });

  test(`${rt.build}: conv requantization, short form (bounded) and exact form (huge bias, multiplier > 1)`, () => {
    const rand = rng(23);
    const base: ConvCase = { N: 1, Cin: 7, Cout: 9, H: 6, W: 11, k: [1, 1], s: 1, pads: [0, 0, 0, 0], inDType: 'int8', outDType: 'int8', bias: 3000, outScale: 0.05 };
    const small = checkConv(rt, rand, base);
    const huge = checkConv(rt, rand, { ...base, bias: 2 ** 30 });
    const big = checkConv(rt, rand, { ...base, outScale: 1e-5 });
    if (rt.wasm) {
      assert.ok(small.bounded && !huge.bounded && !big.bounded, `bounded flags ${small.bounded} ${huge.bounded} ${big.bounded}`);
    }
  });
}

interface DwCase { N: number; C: number; dm: number; H: number; W: number; s: number; pads: [number, number, number, number]; inDType: QuantDType; outDType: QuantDType }

function checkDw(rt: Runtime, rand: () => number, c: DwCase, weights: 'fit' | 'minus128', outScale: number): boolean {
  const Cout = c.C * c.dm;
  const inputScale = 0.04;
  const wScales = Float32Array.from({ length: Cout }, () => 0.002 + rand() * 0.01);
  const opts: QDepthwiseOptions = {
    channels: c.C, depthMultiplier: c.dm, kernel: [3, 3], strides: [c.s, c.s], pads: c.pads,
    bias: Int32Array.from({ length: Cout }, () => randomInt(rand, -5000, 5000)), weightScales: wScales,
    inputScale, inputZeroPoint: lo(c.inDType) + randomInt(rand, 0, 255), inputDType: c.inDType,
    outputScale: outScale, outputZeroPoint: lo(c.outDType) + randomInt(rand, 0, 255), outputDType: c.outDType, act: pick(rand, ['none', 'relu6']),
  };
  const w = randQ(rand, 'int8', Cout * 9, 255);
  if (weights === 'minus128') w[randomInt(rand, 0, w.length - 1)] = -128;
  const x = randQ(rand, c.inDType, c.N * c.C * c.H * c.W);
  const packed = packQDepthwise(rt, w, opts);
  try {
    const got = qdepthwise(rt, x, [c.N, c.C, c.H, c.W], packed);
    const g = windowGeometry(opts, c.H, c.W, 'test');
    const [actMin, actMax] = activationRange(opts.act, { scale: outScale, zeroPoint: opts.outputZeroPoint }, c.outDType);
    const per = Cout * g.OH * g.OW;
    const want = new Int32Array(c.N * per);
    for (let n = 0; n < c.N; n++) {
      qdwconvRef(x.subarray(n * c.C * c.H * c.W, (n + 1) * c.C * c.H * c.W), c.C, c.dm, w, g, {
        zx: opts.inputZeroPoint, zw: new Array(Cout).fill(0), bias: opts.bias!,
        multipliers: Array.from(wScales, (sc) => quantizeMultiplier(convolutionMultiplier(inputScale, sc, outScale))),
        outputZeroPoint: opts.outputZeroPoint, actMin, actMax,
      }, want.subarray(n * per, (n + 1) * per));
    }
    assertEqualArrays(got, want, `${rt.build} ${JSON.stringify(c)} ${weights} outScale ${outScale}`);
    return packed.fast3x3;
  } finally {
    packed.free();
  }
}

for (const rt of RUNTIMES) {
  test(`${rt.build}: depthwise 3×3 kernel, strides 1 and 2, odd sizes, dm, batches, both dtypes`, () => {
    const rand = rng(31);
    let fast = 0;
    for (let i = 0; i < 40; i++) {
      const c: DwCase = {
        N: pick(rand, [1, 1, 2]), C: pick(rand, [1, 3, 8, 17]), dm: rand() < 0.8 ? 1 : 2, H: randomInt(rand, 1, 20), W: pick(rand, [1, 2, 7, 8, 9, 15, 16, 17, 31, 40]),
        s: pick(rand, [1, 2]), pads: [randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2)],
        inDType: pick(rand, ['int8', 'uint8']), outDType: pick(rand, ['int8', 'uint8']),
      };
      if (c.H + c.pads[0] + c.pads[2] < 3 || c.W + c.pads[1] + c.pads[3] < 3) continue;
      if (checkDw(rt, rand, c, 'fit', 0.05 + rand() * 0.2)) fast++;
    }
    if (rt.wasm) assert.ok(fast >= 30, `${fast} cases took the 3×3 kernel`);
  });

  test(`${rt.build}: depthwise 3×3 falls back for a −128 weight and a multiplier ≥ 0.5`, () => {
    const rand = rng(32);
    const c: DwCase = { N: 1, C: 5, dm: 1, H: 9, W: 13, s: 1, pads: [1, 1, 1, 1], inDType: 'int8', outDType: 'int8' };
    assert.is(checkDw(rt, rand, c, 'minus128', 0.1), false);
    assert.is(checkDw(rt, rand, c, 'fit', 1e-5), false);
    assert.is(checkDw(rt, rand, c, 'fit', 0.1), rt.wasm !== null);
  });

  test(`${rt.build}: GEMM rows: M % 4 rows on the 1×8 kernel, M over several widened blocks, both requantization forms`, () => {
    const rand = rng(41);
    const cases: [number, number, number, number][] = [[1, 1280, 19, 0.3], [2, 9, 8, 0.3], [3, 300, 17, 0.3], [7, 64, 5, 0.3], [130, 1000, 24, 0.3], [66, 17, 33, 0.3], [9, 40, 20, 1e-6], [5, 70, 12, 2e-5]];
    for (const [M, K, N, outScale] of cases) {
      const t: QuantDType = pick(rand, ['int8', 'uint8']);
      const w = randQ(rand, 'int8', K * N, 255);
      const a = randQ(rand, t, M * K);
      // Column scales over two decades: the panel's right shifts differ by several bits.
      const ws = Float32Array.from({ length: N }, () => 0.0005 * 10 ** (2 * rand()));
      const bias = Int32Array.from({ length: N }, () => randomInt(rand, -9000, 9000));
      const opts = { bias, weightScales: ws, inputScale: 0.02, inputZeroPoint: lo(t) + randomInt(rand, 0, 255), inputDType: t, outputScale: outScale, outputZeroPoint: 5, outputDType: 'int8' as const };
      const packed = packQGemm(rt, w, K, N, opts);
      // Multipliers ≥ 0.5 (tiny output scales) must take the exact form.
      if (rt.wasm) assert.is(packed.short, outScale > 0.01, `short form for output scale ${outScale}`);
      try {
        const got = qgemm(rt, a, M, packed);
        const want = new Int32Array(M * N);
        qgemmRef(a, w, M, K, N, {
          za: opts.inputZeroPoint, zw: 0, bias, multipliers: Array.from(ws, (s) => quantizeMultiplier(convolutionMultiplier(0.02, s, outScale))),
          outputZeroPoint: 5, actMin: -128, actMax: 127,
        }, want);
        assertEqualArrays(got, want, `${rt.build} gemm ${M}x${K}x${N} ${t}`);
      } finally {
        packed.free();
      }
    }
  });
}

test.run();
