import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Activation } from '../kernels/activation.js';
import {
  depthwiseConv2dF32, depthwiseConv2dF32Ptr, depthwiseOutputDims, freePackedDepthwiseF32, packDepthwiseF32,
  type DepthwiseConv2dOptions,
} from '../kernels/dwconv.js';
import { depthwiseConv2dReference } from '../kernels/reference/dwconv.js';
import { assertClose } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };

test('reference: 3x3 of ones, pad 1, bias 1, strides 1 and 2 (hand-computed)', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = new Float32Array(9).fill(1);
  const b = Float32Array.of(1);
  const p = { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] } as const;
  const s1 = depthwiseConv2dReference(x, [1, 1, 3, 3], w, [1, 1, 3, 3], b, p);
  assert.equal(s1.dims, [1, 1, 3, 3]);
  assert.equal(Array.from(s1.data), [13, 22, 17, 28, 46, 34, 25, 40, 29]);
  const s2 = depthwiseConv2dReference(x, [1, 1, 3, 3], w, [1, 1, 3, 3], b, { ...p, strides: [2, 2] });
  assert.equal(Array.from(s2.data), [13, 17, 25, 29]);
});

test('reference: depth multiplier 2, dilation 2, asymmetric pads, relu6 (hand-computed)', () => {
  // One input channel 1x4: [1, -2, 3, 4]; kernel 1x2 dilated by 2 taps x and x+2.
  const x = Float32Array.from([1, -2, 3, 4]);
  const w = Float32Array.from([1, 1, /* channel 1: */ 10, -1]);
  const r = depthwiseConv2dReference(x, [1, 1, 1, 4], w, [2, 1, 1, 2], undefined, {
    strides: [1, 1], pads: [0, 1, 0, 0], dilations: [1, 2], activation: { kind: 'clip', min: 0, max: 6 },
  });
  assert.equal(r.dims, [1, 2, 1, 3]);
  // Taps at (-1, 1), (0, 2), (1, 3): channel 0 sums -2, 4, 2; channel 1: 10*pad - (-2) = 2, 10 - 3 = 7 -> 6, -20 - 4 = -24 -> 0.
  assert.equal(Array.from(r.data), [0, 4, 2, 2, 6, 0]);
});

interface Case {
  dims: number[];
  mult: number;
  k: [number, number];
  opts: DepthwiseConv2dOptions;
  bias: boolean;
}

const ACTS: Activation[] = [
  { kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: 0, max: 6 }, { kind: 'clip', min: -0.5, max: 0.25 },
  { kind: 'leakyRelu', alpha: 0.1 }, { kind: 'hardSwish' }, { kind: 'sigmoid' },
];

function runCase(c: Case, seed: number): void {
  const rand = rng(seed);
  const [N, C, H, W] = c.dims;
  const M = C * c.mult;
  const x = randomF32(rand, N * C * H * W);
  const w = randomF32(rand, M * c.k[0] * c.k[1]);
  const b = c.bias ? randomF32(rand, M) : undefined;
  const want = depthwiseConv2dReference(x, c.dims, w, [M, 1, ...c.k], b, {
    strides: (c.opts.strides ?? [1, 1]) as [number, number],
    pads: (c.opts.pads ?? [0, 0, 0, 0]) as [number, number, number, number],
    dilations: (c.opts.dilations ?? [1, 1]) as [number, number],
    activation: c.opts.activation,
  });
  for (const rt of RUNTIMES) {
    const packed = packDepthwiseF32(rt, w, [M, 1, ...c.k], { bias: b });
    const got = depthwiseConv2dF32(rt, x, c.dims, packed, c.opts);
    const what = `${rt.build} seed ${seed} ${JSON.stringify(c)}`;
    assert.equal(got.dims, want.dims, what);
    assertClose(got.data, want.data, TOL, what);
    freePackedDepthwiseF32(rt, packed);
  }
}

test('specialised 3x3 and 5x5, stride 1 and 2, all pads, odd sizes, every build', () => {
  let seed = 1;
  for (const k of [3, 5]) {
    for (const s of [1, 2]) {
      for (const W of ODD_SIZES) {
        const rand = rng(seed * 7919);
        const H = pick(rand, ODD_SIZES);
        const pads = [randomInt(rand, 0, k - 1), randomInt(rand, 0, k - 1), randomInt(rand, 0, k - 1), randomInt(rand, 0, k - 1)];
        if (H + pads[0] + pads[2] < k || W + pads[1] + pads[3] < k) continue;
        runCase({
          dims: [randomInt(rand, 1, 2), pick(rand, [1, 3, 7, 17]), H, W], mult: 1, k: [k, k], bias: rand() < 0.7,
          opts: { strides: [pick(rand, [1, 2]), s], pads, activation: pick(rand, ACTS) },
        }, seed++);
      }
    }
  }
});

test('MobileNet shapes: 3x3 pad 1 stride 1 and 2 with relu6', () => {
  for (const [H, s] of [[112, 1], [56, 2], [17, 2], [65, 1]]) {
    runCase({ dims: [1, 8, H, H], mult: 1, k: [3, 3], bias: true, opts: { strides: [s, s], pads: [1, 1, 1, 1], activation: { kind: 'clip', min: 0, max: 6 } } }, H * s);
  }
});

test('general path: other kernels, strides 3, dilations, depth multiplier > 1', () => {
  for (let seed = 100; seed < 160; seed++) {
    const rand = rng(seed);
    const k: [number, number] = [pick(rand, [1, 2, 3, 4, 5, 7]), pick(rand, [1, 2, 3, 4, 5, 7])];
    const dil = [pick(rand, [1, 1, 2, 3]), pick(rand, [1, 1, 2, 3])];
    const dims = [1, pick(rand, [1, 2, 3, 5]), pick(rand, ODD_SIZES), pick(rand, ODD_SIZES)];
    const pads = [0, 1, 2, 3].map(() => randomInt(rand, 0, 3));
    if (dims[2] + pads[0] + pads[2] < (k[0] - 1) * dil[0] + 1 || dims[3] + pads[1] + pads[3] < (k[1] - 1) * dil[1] + 1) continue;
    runCase({
      dims, mult: pick(rand, [1, 2, 3]), k, bias: rand() < 0.5,
      opts: { strides: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)], pads, dilations: dil, activation: pick(rand, ACTS) },
    }, seed);
  }
});

test('pointer API writes only the output block and returns its dims', () => {
  for (const rt of RUNTIMES) {
    const rand = rng(5);
    const x = randomF32(rand, 2 * 3 * 9 * 9);
    const w = randomF32(rand, 3 * 9);
    const packed = packDepthwiseF32(rt, w, [3, 1, 3, 3]);
    const inPtr = rt.arena.alloc(x.length * 4);
    const outCount = 2 * 3 * 5 * 5;
    const outPtr = rt.arena.alloc((outCount + 8) * 4);
    rt.arena.f32(inPtr, x.length).set(x);
    rt.arena.f32(outPtr, outCount + 8).fill(-7);
    const dims = depthwiseConv2dF32Ptr(rt, inPtr, [2, 3, 9, 9], packed, outPtr, { strides: [2, 2], pads: [1, 1, 1, 1] });
    assert.equal(dims, [2, 3, 5, 5]);
    const after = rt.arena.f32(outPtr, outCount + 8);
    for (let i = outCount; i < outCount + 8; i++) assert.is(after[i], -7, `${rt.build}: wrote past the output`);
    const want = depthwiseConv2dReference(x, [2, 3, 9, 9], w, [3, 1, 3, 3], undefined, { strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1] });
    assertClose(after.subarray(0, outCount), want.data, TOL, rt.build);
    rt.arena.free(inPtr);
    rt.arena.free(outPtr);
    freePackedDepthwiseF32(rt, packed);
  }
});

test('bad input is an EdgeRunError naming the argument', () => {
  const rt = RUNTIMES[0];
  const packed = packDepthwiseF32(rt, new Float32Array(4 * 9), [4, 1, 3, 3]);
  const x = new Float32Array(2 * 5 * 5);
  const run = (dims: number[], opts: DepthwiseConv2dOptions, input = x) => () => depthwiseConv2dF32(rt, input, dims, packed, opts);
  expectEdgeRunError(run([1, 3, 5, 5], {}), 'ShapeMismatch', /3 channels.*4 output channels/);
  expectEdgeRunError(run([1, 2, 5], {}), 'ShapeMismatch', /input dims/);
  expectEdgeRunError(run([1, 2, 5, 5], {}, new Float32Array(7)), 'ShapeMismatch', /input has 7 values/);
  expectEdgeRunError(run([1, 2, 5, 5], { strides: [0, 1] }), 'InvalidArgument', /strides/);
  expectEdgeRunError(run([1, 2, 5, 5], { strides: [-1, 1] }), 'InvalidArgument', /strides/);
  expectEdgeRunError(run([1, 2, 5, 5], { strides: [1] }), 'InvalidArgument', /strides must have 2/);
  expectEdgeRunError(run([1, 2, 5, 5], { pads: [1, 1, -1, 1] }), 'InvalidArgument', /pads/);
  expectEdgeRunError(run([1, 2, 5, 5], { pads: [1, 1] }), 'InvalidArgument', /pads must have 4/);
  expectEdgeRunError(run([1, 2, 5, 5], { dilations: [1, 0] }), 'InvalidArgument', /dilations/);
  expectEdgeRunError(run([1, 2, 5, 5], { dilations: [1, 1.5] }), 'InvalidArgument', /dilations/);
  expectEdgeRunError(run([1, 2, 2, 5], {}), 'ShapeMismatch', /kernel height extent 3 is larger than the padded input 2/);
  expectEdgeRunError(run([1, 2, 5, 5], { dilations: [1, 3] }), 'ShapeMismatch', /width extent 7/);
  expectEdgeRunError(run([1, 2, 5, 5], { activation: { kind: 'clip', min: 6, max: 0 } }), 'InvalidArgument', /clip/);
  expectEdgeRunError(() => packDepthwiseF32(rt, new Float32Array(9), [1, 2, 3, 3]), 'ShapeMismatch', /weight dims/);
  expectEdgeRunError(() => packDepthwiseF32(rt, new Float32Array(8), [1, 1, 3, 3]), 'ShapeMismatch', /weight has 8 values/);
  expectEdgeRunError(() => packDepthwiseF32(rt, new Float32Array(9), [1, 1, 3, 3], { bias: new Float32Array(2) }), 'ShapeMismatch', /bias has 2/);
  expectEdgeRunError(() => depthwiseConv2dF32Ptr(rt, 3, [1, 2, 5, 5], packed, rt.arena.base), 'InvalidArgument', /input: address 3/);
  expectEdgeRunError(() => depthwiseConv2dF32Ptr(rt, rt.arena.base, [1, 2, 5, 5], { ...packed, floats: 1 }, rt.arena.base), 'InvalidArgument', /packed weights/);
  expectEdgeRunError(() => depthwiseOutputDims([1, 2, 5, 5], packed, { pads: [0, 0, 0, 0], strides: [1, 2, 3] }), 'InvalidArgument', /strides/);
  freePackedDepthwiseF32(rt, packed);
});

test.run();
