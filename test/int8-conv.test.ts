// int8/uint8 convolution NCHW: every build against the TFLite-style oracle (skipped out-of-image
// taps), bit for bit, over 1×1 (the vector im2col), k×k with strides, dilations, pads, groups,
// odd channel counts and both dtypes; plus bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { windowGeometry } from '../kernels/int8/common.js';
import { packQConv, qconv, type QConvOptions } from '../kernels/int8/conv.js';
import { activationRange, convolutionMultiplier, quantizeMultiplier, type QuantActivation, type QuantDType } from '../kernels/int8/qparams.js';
import { qconvRef } from '../kernels/reference/int8/conv.js';
import { assertEqualArrays } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

function randQ(rand: () => number, dtype: QuantDType, n: number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  const lo = dtype === 'int8' ? -128 : 0;
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * 256);
  return out;
}

function runCase(rtIndex: number, seed: number, pointwise: boolean): number {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const group = pointwise || rand() < 0.7 ? 1 : pick(rand, [2, 3]);
  const Cin = group * pick(rand, [1, 2, 3, 5, 8, 17]);
  const Cout = group * pick(rand, [1, 3, 4, 5, 8, 13]);
  const N = rand() < 0.85 ? 1 : 2;
  const kh = pointwise ? 1 : pick(rand, [1, 2, 3, 3, 5]);
  const kw = pointwise ? 1 : rand() < 0.8 ? kh : pick(rand, [1, 2, 3]);
  const s = pointwise ? 1 : pick(rand, [1, 1, 2, 3]);
  const d = pointwise ? 1 : rand() < 0.85 ? 1 : 2;
  const H = randomInt(rand, (kh - 1) * d + 1, 13);
  const W = randomInt(rand, (kw - 1) * d + 1, 21);
  const pads: [number, number, number, number] = pointwise ? [0, 0, 0, 0] : [randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2), randomInt(rand, 0, 2)];
  const inDType: QuantDType = pick(rand, ['int8', 'uint8']);
  const wDType: QuantDType = rand() < 0.75 ? 'int8' : 'uint8';
  const outDType: QuantDType = pick(rand, ['int8', 'uint8']);
  const act: QuantActivation = pick(rand, ['none', 'relu', 'relu6']);
  const lo = (t: QuantDType) => (t === 'int8' ? -128 : 0);
  const inputScale = 0.01 + rand() * 0.05;
  const opts: QConvOptions = {
    inChannels: Cin, outChannels: Cout, group, kernel: [kh, kw], strides: [s, s], dilations: [d, d], pads,
    bias: new Int32Array(Cout).map(() => randomInt(rand, -30000, 30000)),
    weightScales: rand() < 0.8 ? Float32Array.from({ length: Cout }, () => 0.002 + rand() * 0.02) : 0.01,
    weightZeroPoints: wDType === 'uint8' ? randomInt(rand, 0, 255) : 0,
    inputScale, inputZeroPoint: lo(inDType) + pick(rand, [0, 255, 128, randomInt(rand, 0, 255)]), inputDType: inDType,
    outputScale: inputScale * 0.01 * 2 ** (12 * rand() - 2), outputZeroPoint: lo(outDType) + randomInt(rand, 0, 255), outputDType: outDType, act,
  };
  const K = (Cin / group) * kh * kw;
  const w = randQ(rand, wDType, Cout * K);
  const x = randQ(rand, inDType, N * Cin * H * W);
  const packed = packQConv(rt, w, opts);
  try {
    const got = qconv(rt, x, [N, Cin, H, W], packed);
    const g = windowGeometry(opts, H, W, 'test');
    const scales = typeof opts.weightScales === 'number' ? new Array(Cout).fill(opts.weightScales) : Array.from(opts.weightScales as Float32Array);
    const [actMin, actMax] = activationRange(act, { scale: opts.outputScale, zeroPoint: opts.outputZeroPoint }, outDType);
    const per = Cout * g.OH * g.OW;
    const want = new Int32Array(N * per);
    for (let n = 0; n < N; n++) {
      qconvRef(x.subarray(n * Cin * H * W, (n + 1) * Cin * H * W), Cin, Cout, group, w, g, {
        zx: opts.inputZeroPoint, zw: new Array(Cout).fill(opts.weightZeroPoints), bias: opts.bias!,
        multipliers: scales.map((sc) => quantizeMultiplier(convolutionMultiplier(inputScale, sc, opts.outputScale))),
        outputZeroPoint: opts.outputZeroPoint, actMin, actMax,
      }, want.subarray(n * per, (n + 1) * per));
    }
    assertEqualArrays(got, want, `${rt.build} seed ${seed} g${group} ${Cin}->${Cout} ${H}x${W} k${kh}x${kw} s${s} d${d} pads ${pads} ${inDType}/${wDType}/${outDType}`);
    return want.length;
  } finally {
    packed.free();
  }
}

RUNTIMES.forEach((rt, r) => {
  test(`${rt.build}: 1×1 convolution bit-exact on 60 random shapes`, () => {
    let n = 0;
    for (let seed = 1; seed <= 60; seed++) n += runCase(r, seed, true);
    assert.ok(n > 5000, `${n} outputs`);
  });

  test(`${rt.build}: k×k convolution (strides, dilations, pads, groups) bit-exact on 80 random shapes`, () => {
    let n = 0;
    for (let seed = 100; seed < 180; seed++) n += runCase(r, seed, false);
    assert.ok(n > 5000, `${n} outputs`);
  });

  test(`${rt.build}: bad input to the convolution`, () => {
    const base = { inChannels: 4, outChannels: 2, kernel: [3, 3] as [number, number], weightScales: 0.1, inputScale: 0.1, inputZeroPoint: 0, outputScale: 0.1, outputZeroPoint: 0 };
    expectEdgeRunError(() => packQConv(rt, new Int8Array(71), base), 'ShapeMismatch', /Cout×\(Cin\/group\)×kh×kw/);
    expectEdgeRunError(() => packQConv(rt, new Int8Array(72), { ...base, group: 3 }), 'ShapeMismatch', /group 3/);
    expectEdgeRunError(() => packQConv(rt, new Int8Array(72), { ...base, kernel: [3, 0] }), 'InvalidArgument', /kernel/);
    expectEdgeRunError(() => packQConv(rt, new Int8Array(72), { ...base, outputZeroPoint: 1.5 }), 'InvalidArgument', /outputZeroPoint/);
    const packed = packQConv(rt, new Int8Array(72), base);
    expectEdgeRunError(() => qconv(rt, new Int8Array(4 * 4), [1, 4, 2, 2], packed), 'ShapeMismatch', /does not fit/);
    expectEdgeRunError(() => qconv(rt, new Int8Array(3 * 9), [1, 3, 3, 3], packed), 'ShapeMismatch', /3 channels/);
    packed.free();
    expectEdgeRunError(() => qconv(rt, new Int8Array(36), [1, 4, 3, 3], packed), 'InvalidArgument', /freed/);
  });
});

test.run();
