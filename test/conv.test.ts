import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Activation } from '../kernels/activation.js';
import { conv2dF32, conv2dF32Ptr, conv2dOutputDims, packConv2dF32, type Conv2dGeometry } from '../kernels/conv.js';
import { conv2dRef } from '../kernels/reference/conv.js';
import { createRuntimeSync } from '../kernels/runtime.js';
import { assertClose } from './helpers/compare.js';
import { pick, randomF32, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

interface Case extends Conv2dGeometry {
  input: number[]; // [N, C, H, W]
  M: number;
  kernel: number[]; // [kH, kW]
  bias: boolean;
  act?: Activation;
}

function runCase(rtIndex: number, cs: Case, seed: number): void {
  const rt = RUNTIMES[rtIndex];
  const rand = rng(seed);
  const [N, C, H, W] = cs.input;
  const group = cs.group ?? 1;
  const wDims = [cs.M, C / group, cs.kernel[0], cs.kernel[1]];
  const input = randomF32(rand, N * C * H * W);
  const weight = randomF32(rand, wDims[0] * wDims[1] * wDims[2] * wDims[3]);
  const bias = cs.bias ? randomF32(rand, cs.M) : undefined;
  const geo: Conv2dGeometry = { strides: cs.strides, pads: cs.pads, dilations: cs.dilations, group };
  const packed = packConv2dF32(rt, weight, wDims, { ...geo, bias });
  try {
    const got = conv2dF32(rt, input, cs.input, packed, { act: cs.act });
    const want = conv2dRef(input, cs.input, weight, wDims, { ...geo, bias, act: cs.act });
    assert.equal(got.dims, want.dims, 'output dims');
    assert.equal(got.dims, conv2dOutputDims(cs.input, wDims, geo), 'conv2dOutputDims');
    const Kc = wDims[1] * wDims[2] * wDims[3];
    assertClose(got.data, want.data, { rtol: 1e-5, atol: 4e-6 * Math.sqrt(Kc) }, `${rt.build} seed ${seed} ${JSON.stringify(cs)}`);
  } finally {
    packed.free();
  }
}

const ACTS: Activation[] = [
  { kind: 'none' }, { kind: 'relu' }, { kind: 'clip', min: 0, max: 6 }, { kind: 'leakyRelu', alpha: 0.01 },
  { kind: 'sigmoid' }, { kind: 'tanh' }, { kind: 'hardSwish' }, { kind: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, { kind: 'elu', alpha: 1 },
];

RUNTIMES.forEach((rt, r) => {
  test(`${rt.build}: kernels 1x1, 3x3, 5x5, 1x3 at strides 1-3 with padding`, () => {
    let seed = 1;
    for (const kernel of [[1, 1], [3, 3], [5, 5], [1, 3]]) {
      for (const s of [1, 2, 3]) {
        const p = kernel[0] >> 1;
        runCase(r, { input: [1, 3, 13, 17], M: 5, kernel, strides: [s, s], pads: [p, kernel[1] >> 1, p, kernel[1] >> 1], bias: true }, seed++);
      }
    }
  });

  test(`${rt.build}: output rows that are multiples of 8 wide (vector im2col) with edge padding`, () => {
    // OW = 16 and 24: panels never straddle output rows, so the masked vector path runs.
    runCase(r, { input: [1, 4, 16, 16], M: 8, kernel: [3, 3], pads: [1, 1, 1, 1], bias: true }, 11);
    runCase(r, { input: [2, 3, 10, 24], M: 9, kernel: [3, 3], pads: [1, 1, 1, 1], bias: true, act: { kind: 'relu' } }, 12);
    runCase(r, { input: [1, 2, 9, 48], M: 4, kernel: [3, 5], strides: [1, 2], pads: [2, 2, 0, 3], bias: false }, 13);
    runCase(r, { input: [1, 5, 8, 16], M: 12, kernel: [1, 1], bias: true }, 14);
    runCase(r, { input: [1, 5, 7, 16], M: 7, kernel: [1, 1], pads: [0, 0, 1, 0], bias: true }, 15);
    runCase(r, { input: [1, 2, 6, 40], M: 4, kernel: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2], bias: true }, 16);
    runCase(r, { input: [1, 2, 6, 40], M: 5, kernel: [1, 7], pads: [0, 5, 0, 5], bias: true }, 17);
  });

  test(`${rt.build}: asymmetric pads, dilation 2, groups 1/2/4, depthwise`, () => {
    runCase(r, { input: [1, 4, 11, 9], M: 8, kernel: [3, 3], pads: [0, 2, 1, 0], bias: true }, 21);
    runCase(r, { input: [2, 4, 12, 12], M: 6, kernel: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2], bias: true }, 22);
    runCase(r, { input: [1, 4, 9, 10], M: 6, kernel: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true }, 23);
    runCase(r, { input: [1, 8, 7, 7], M: 12, kernel: [3, 1], group: 4, strides: [2, 1], bias: true }, 24);
    runCase(r, { input: [1, 16, 9, 8], M: 32, kernel: [3, 3], group: 4, pads: [1, 1, 1, 1], bias: true, act: { kind: 'clip', min: 0, max: 6 } }, 25);
    runCase(r, { input: [1, 6, 10, 10], M: 6, kernel: [3, 3], group: 6, pads: [1, 1, 1, 1], bias: true }, 26);
    runCase(r, { input: [1, 3, 5, 6], M: 6, kernel: [5, 5], group: 3, strides: [2, 2], pads: [2, 2, 2, 2], bias: true }, 27);
  });

  test(`${rt.build}: every activation`, () => {
    ACTS.forEach((act, i) => runCase(r, { input: [1, 3, 6, 9], M: 7, kernel: [3, 3], pads: [1, 1, 1, 1], bias: true, act }, 100 + i));
  });

  test(`${rt.build}: random geometries`, () => {
    const rand = rng(4242);
    for (let i = 0; i < 30; i++) {
      const group = pick(rand, [1, 1, 2, 4]);
      const Cg = randomInt(rand, 1, 5);
      const Mg = randomInt(rand, 1, 9);
      const kernel = pick(rand, [[1, 1], [3, 3], [5, 5], [1, 3], [3, 1], [2, 2]]);
      const dil = pick(rand, [1, 1, 2]);
      const pads = [0, 0, 0, 0].map(() => randomInt(rand, 0, 2));
      const H = randomInt(rand, 1, 14) + dil * (kernel[0] - 1);
      const W = randomInt(rand, 1, 20) + dil * (kernel[1] - 1);
      runCase(r, {
        input: [randomInt(rand, 1, 2), Cg * group, H, W], M: Mg * group, kernel, group,
        strides: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)], pads, dilations: [dil, dil],
        bias: rand() < 0.7, act: pick(rand, ACTS),
      }, 1000 + i);
    }
  });

  test(`${rt.build}: deep input channels (K over several cache lines) and a wide output`, () => {
    runCase(r, { input: [1, 37, 9, 17], M: 19, kernel: [3, 3], pads: [1, 1, 1, 1], bias: true }, 31);
  });

  test(`${rt.build}: pointer API writes exactly the output and keeps the scratch across calls`, () => {
    const rand = rng(9);
    const dims = [1, 3, 8, 8];
    const wDims = [4, 3, 3, 3];
    const input = randomF32(rand, 192);
    const weight = randomF32(rand, 108);
    const packed = packConv2dF32(rt, weight, wDims, { pads: [1, 1, 1, 1] });
    const arena = rt.arena;
    const inPtr = arena.alloc(192 * 4);
    const outPtr = arena.alloc((256 + 8) * 4);
    try {
      arena.f32(inPtr, 192).set(input);
      arena.f32(outPtr, 264).fill(-7);
      conv2dF32Ptr(rt, inPtr, dims, packed, outPtr);
      const high = arena.highWater;
      conv2dF32Ptr(rt, inPtr, dims, packed, outPtr);
      assert.is(arena.highWater, high, 'a second call allocates nothing');
      const got = arena.f32(outPtr, 264);
      const want = conv2dRef(input, dims, weight, wDims, { pads: [1, 1, 1, 1] });
      assertClose(got.subarray(0, 256), want.data, { rtol: 1e-5, atol: 1e-5 }, 'ptr conv');
      for (let i = 256; i < 264; i++) assert.is(got[i], -7, 'nothing written past the output');
      expectEdgeRunError(() => conv2dF32Ptr(rt, inPtr, dims, packed, inPtr + 64), 'InvalidArgument', /overlaps/);
      expectEdgeRunError(() => conv2dF32Ptr(rt, inPtr, dims, packed, arena.buffer.byteLength), 'InvalidArgument', /output/);
      expectEdgeRunError(() => conv2dF32Ptr(rt, -1, dims, packed, outPtr), 'InvalidArgument', /input/);
      expectEdgeRunError(() => conv2dF32Ptr(createRuntimeSync(rt.build), inPtr, dims, packed, outPtr), 'InvalidArgument', /another runtime/);
    } finally {
      arena.free(outPtr);
      arena.free(inPtr);
      packed.free();
    }
  });

  test(`${rt.build}: bad input is an EdgeRunError naming the argument`, () => {
    const w = new Float32Array(4 * 2 * 3 * 3);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3]), 'InvalidArgument', /weight dims/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, -3]), 'InvalidArgument', /weight dims/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 2]), 'ShapeMismatch', /weight has 72/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { group: 3 }), 'ShapeMismatch', /group 3 does not divide/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { group: 0 }), 'InvalidArgument', /group/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { strides: [0, 1] }), 'InvalidArgument', /strides/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { pads: [1, 1] }), 'InvalidArgument', /pads/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { pads: [-1, 0, 0, 0] }), 'InvalidArgument', /pads/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { dilations: [1, NaN] }), 'InvalidArgument', /dilations/);
    expectEdgeRunError(() => packConv2dF32(rt, w, [4, 2, 3, 3], { bias: new Float32Array(3) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => packConv2dF32(rt, Array.from(w) as unknown as Float32Array, [4, 2, 3, 3]), 'DTypeMismatch', /weight/);
    const packed = packConv2dF32(rt, w, [4, 2, 3, 3], { bias: new Float32Array(4) });
    try {
      expectEdgeRunError(() => conv2dF32(rt, new Float32Array(75), [1, 3, 5, 5], packed), 'ShapeMismatch', /input has 3 channels/);
      expectEdgeRunError(() => conv2dF32(rt, new Float32Array(49), [1, 2, 5, 5], packed), 'ShapeMismatch', /input has 49 elements/);
      expectEdgeRunError(() => conv2dF32(rt, new Float32Array(8), [1, 2, 2, 2], packed), 'ShapeMismatch', /output size/);
      expectEdgeRunError(() => conv2dF32(rt, new Float32Array(50), [1, 2, 25], packed), 'ShapeMismatch', /4-D/);
      expectEdgeRunError(() => conv2dF32(rt, new Float32Array(50), [-1, 2, 5, 5], packed), 'InvalidArgument', /batch/);
      expectEdgeRunError(() => conv2dF32(rt, new Float32Array(50), [1, 2, 5, 5], packed, { act: { kind: 'elu', alpha: NaN } }), 'InvalidArgument', /elu/);
      assert.is(conv2dF32(rt, new Float32Array(0), [0, 2, 5, 5], packed).data.length, 0);
    } finally {
      packed.free();
    }
    expectEdgeRunError(() => conv2dF32(rt, new Float32Array(50), [1, 2, 5, 5], packed), 'InvalidArgument', /freed/);
    expectEdgeRunError(() => conv2dOutputDims([1, 3, 4, 4], [2, 3, 5, 5]), 'ShapeMismatch', /output size 0×0/);
    expectEdgeRunError(() => conv2dOutputDims([1, 4, 4, 4], [2, 2, 3, 3], { group: 3 }), 'ShapeMismatch', /group 3/);
  });
});

test('the reference conv computes a hand-checked case', () => {
  // 1 channel 3x3 input, 2x2 all-ones kernel, pad 0: each output is the sum of a 2x2 window.
  const input = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const out = conv2dRef(input, [1, 1, 3, 3], new Float32Array([1, 1, 1, 1]), [1, 1, 2, 2], { bias: new Float32Array([0.5]) });
  assert.equal(out.dims, [1, 1, 2, 2]);
  assert.equal(Array.from(out.data), [12.5, 16.5, 24.5, 28.5]);
  // Stride 2 with a one-pixel pad on the left/top only: taps at (-1,-1) read zeros.
  const s = conv2dRef(input, [1, 1, 3, 3], new Float32Array([1, 1, 1, 1]), [1, 1, 2, 2], { strides: [2, 2], pads: [1, 1, 0, 0] });
  assert.equal(s.dims, [1, 1, 2, 2]);
  assert.equal(Array.from(s.data), [1, 5, 11, 28]);
});

test.run();
