// int8/uint8 depthwise convolution: every build against the TFLite-style oracle (skipped
// out-of-image taps), bit for bit, over strides 1/2/3, dilations, odd kernels, pads, depth
// multipliers and both dtypes; plus bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { windowGeometry } from '../kernels/int8/common.js';
import { packQDepthwise, qdepthwise, type QDepthwiseOptions } from '../kernels/int8/dwconv.js';
import { activationRange, convolutionMultiplier, quantizeMultiplier, type QuantActivation, type QuantDType } from '../kernels/int8/qparams.js';
import { qdwconvRef } from '../kernels/reference/int8/dwconv.js';
import { assertEqualArrays } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

function randQ(rand: () => number, dtype: QuantDType, n: number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  const lo = dtype === 'int8' ? -128 : 0;
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * 256);
  return out;
}

function runCase(rtIndex: number, seed: number, force?: Partial<{ k: number; s: number; d: number }>): number {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const C = pick(rand, [1, 2, 3, 5, 8]);
  const dm = rand() < 0.8 ? 1 : 2;
  const N = rand() < 0.8 ? 1 : 2;
  const kh = force?.k ?? pick(rand, [1, 2, 3, 3, 3, 5]);
  const kw = force?.k ?? (rand() < 0.8 ? kh : pick(rand, [1, 2, 3, 4]));
  const s = force?.s ?? pick(rand, [1, 1, 2, 2, 3]);
  const d = force?.d ?? (rand() < 0.85 ? 1 : 2);
  const H = randomInt(rand, (kh - 1) * d + 1, 19);
  const W = randomInt(rand, (kw - 1) * d + 1, 37);
  const pads: [number, number, number, number] = [randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2)];
  const inDType: QuantDType = pick(rand, ['int8', 'uint8']);
  const wDType: QuantDType = rand() < 0.75 ? 'int8' : 'uint8';
  const outDType: QuantDType = pick(rand, ['int8', 'uint8']);
  const act: QuantActivation = pick(rand, ['none', 'relu', 'relu6']);
  const Cout = C * dm;
  const lo = (t: QuantDType) => (t === 'int8' ? -128 : 0);
  const inputScale = 0.01 + rand() * 0.05;
  const opts: QDepthwiseOptions = {
    channels: C, depthMultiplier: dm, kernel: [kh, kw], strides: [s, s], dilations: [d, d], pads,
    bias: new Int32Array(Cout).map(() => randomInt(rand, -3000, 3000)),
    weightScales: Float32Array.from({ length: Cout }, () => 0.002 + rand() * 0.02),
    weightZeroPoints: wDType === 'uint8' ? Int32Array.from({ length: Cout }, () => randomInt(rand, 0, 255)) : 0,
    inputScale, inputZeroPoint: lo(inDType) + pick(rand, [0, 255, 128, randomInt(rand, 0, 255)]), inputDType: inDType,
    outputScale: inputScale * 0.01 * 2 ** (10 * rand() - 4), outputZeroPoint: lo(outDType) + randomInt(rand, 0, 255), outputDType: outDType, act,
  };
  const w = randQ(rand, wDType, Cout * kh * kw);
  const x = randQ(rand, inDType, N * C * H * W);
  const packed = packQDepthwise(rt, w, opts);
  try {
    const got = qdepthwise(rt, x, [N, C, H, W], packed);
    const g = windowGeometry(opts, H, W, 'test');
    const scales = Array.from(opts.weightScales as Float32Array);
    const zw = typeof opts.weightZeroPoints === 'number' ? new Array(Cout).fill(0) : Array.from(opts.weightZeroPoints as Int32Array);
    const [actMin, actMax] = activationRange(act, { scale: opts.outputScale, zeroPoint: opts.outputZeroPoint }, outDType);
    const per = Cout * g.OH * g.OW;
    const want = new Int32Array(N * per);
    for (let n = 0; n < N; n++) {
      const out = want.subarray(n * per, (n + 1) * per);
      qdwconvRef(x.subarray(n * C * H * W, (n + 1) * C * H * W), C, dm, w, g, {
        zx: opts.inputZeroPoint, zw, bias: opts.bias!, multipliers: scales.map((sc) => quantizeMultiplier(convolutionMultiplier(inputScale, sc, opts.outputScale))),
        outputZeroPoint: opts.outputZeroPoint, actMin, actMax,
      }, out);
    }
    assertEqualArrays(got, want, `${rt.build} seed ${seed} C${C} dm${dm} ${H}x${W} k${kh}x${kw} s${s} d${d} pads ${pads} ${inDType}/${wDType}/${outDType}`);
    return want.length;
  } finally {
    packed.free();
  }
}

RUNTIMES.forEach((rt, r) => {
  test(`${rt.build}: depthwise bit-exact on 150 random geometries (> 10k outputs)`, () => {
    let checked = 0;
    for (let seed = 1; seed <= 150; seed++) checked += runCase(r, seed);
    assert.ok(checked > 10000, `${checked} outputs`);
  });

  test(`${rt.build}: depthwise 3×3 stride 1 and 2 (the vector paths), dilation 2 (scalar)`, () => {
    for (let seed = 500; seed < 520; seed++) {
      runCase(r, seed, { k: 3, s: 1, d: 1 });
      runCase(r, seed, { k: 3, s: 2, d: 1 });
      runCase(r, seed, { k: 3, s: 1, d: 2 });
    }
  });

  test(`${rt.build}: bad input to the depthwise convolution`, () => {
    const base = { channels: 2, kernel: [3, 3] as [number, number], weightScales: 0.1, inputScale: 0.1, inputZeroPoint: 0, outputScale: 0.1, outputZeroPoint: 0 };
    expectEdgeRunError(() => packQDepthwise(rt, new Int8Array(17), base), 'ShapeMismatch', /C·depthMultiplier×kh×kw/);
    expectEdgeRunError(() => packQDepthwise(rt, new Int8Array(18), { ...base, strides: [0, 1] }), 'InvalidArgument', /strides/);
    expectEdgeRunError(() => packQDepthwise(rt, new Int8Array(18), { ...base, pads: [1, 1, 1] as never }), 'InvalidArgument', /pads/);
    expectEdgeRunError(() => packQDepthwise(rt, new Int8Array(18), { ...base, channels: 0 }), 'InvalidArgument', /channels/);
    expectEdgeRunError(() => packQDepthwise(rt, new Int8Array(18), { ...base, weightScales: [1, 2, 3] }), 'ShapeMismatch', /weightScales/);
    const packed = packQDepthwise(rt, new Int8Array(18), base);
    expectEdgeRunError(() => qdepthwise(rt, new Int8Array(2 * 2 * 2), [1, 2, 2, 2], packed), 'ShapeMismatch', /does not fit/);
    expectEdgeRunError(() => qdepthwise(rt, new Int8Array(3 * 9), [1, 3, 3, 3], packed), 'ShapeMismatch', /3 channels/);
    expectEdgeRunError(() => qdepthwise(rt, new Uint8Array(2 * 9), [1, 2, 3, 3], packed), 'DTypeMismatch', /packed for int8/);
    expectEdgeRunError(() => qdepthwise(rt, new Int8Array(17), [1, 2, 3, 3], packed), 'ShapeMismatch', /dims/);
    packed.free();
    expectEdgeRunError(() => qdepthwise(rt, new Int8Array(18), [1, 2, 3, 3], packed), 'InvalidArgument', /freed/);
  });
});

test.run();
