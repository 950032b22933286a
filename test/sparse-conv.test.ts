import { test } from 'uvu';
import { conv2dRef } from '../kernels/reference/conv.js';
import { sparseConv2dF32 } from '../kernels/sparse/conv.js';
import { packSparseConv2d } from '../kernels/sparse/conv.js';
import { assertClose } from './helpers/compare.js';
import { pick, randomF32, rng } from './helpers/random.js';
import { RUNTIMES } from './helpers/runtimes.js';

function pruned(rand: () => number, n: number, sparsity: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() < sparsity ? 0 : rand() * 2 - 1));
}

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: sparse 1x1 convolution on odd pixel counts (tiles of 24/16/8/4 and 1-3 pixel tails) vs the dense oracle`, () => {
    const rand = rng(5);
    for (const [H, W] of [[1, 1], [1, 3], [3, 3], [5, 5], [7, 7], [4, 6], [9, 11], [14, 14]]) {
      const C = pick(rand, [1, 3, 8, 17]);
      const M = pick(rand, [1, 4, 5, 9]);
      const N = pick(rand, [1, 2]);
      const w = pruned(rand, M * C, pick(rand, [0, 0.8, 1]));
      const bias = randomF32(rand, M);
      const x = randomF32(rand, N * C * H * W);
      const p = packSparseConv2d(rt, w, [M, C, 1, 1], { bias });
      try {
        const got = sparseConv2dF32(rt, x, [N, C, H, W], p, { act: { kind: 'clip', min: 0, max: 6 } });
        const want = conv2dRef(x, [N, C, H, W], w, [M, C, 1, 1], { bias, act: { kind: 'clip', min: 0, max: 6 } });
        assertClose(got.data, want.data, { rtol: 1e-5, atol: 1e-5 }, `${rt.build} 1x1 ${N}x${C}x${H}x${W} -> ${M}`);
      } finally {
        p.free();
      }
    }
  });

  test(`${rt.build}: sparse convolution through im2col rows: kernels, strides, pads, dilations, int8 weights`, () => {
    const rand = rng(11);
    for (let i = 0; i < 12; i++) {
      const k = pick(rand, [1, 2, 3, 5]);
      const s = pick(rand, [1, 2, 3]);
      const d = pick(rand, [1, 2]);
      const pad = pick(rand, [0, 1, 2]);
      const C = pick(rand, [1, 3, 6]);
      const M = pick(rand, [1, 4, 7]);
      const H = pick(rand, [5, 8, 13]);
      const W = pick(rand, [5, 9, 30]);
      if ((H + 2 * pad - d * (k - 1) - 1) < 0 || (W + 2 * pad - d * (k - 1) - 1) < 0) continue;
      const int8 = i % 3 === 0;
      const wf = pruned(rand, M * C * k * k, 0.7);
      const w = int8 ? Int8Array.from(wf, (v) => Math.round(v * 100)) : wf;
      const scales = int8 ? randomF32(rand, M, 0.005, 0.02) : undefined;
      const dense = Float32Array.from(w, (v, j) => (scales ? v * scales[Math.floor(j / (C * k * k))] : v));
      const bias = randomF32(rand, M);
      const x = randomF32(rand, C * H * W);
      const geo = { strides: [s, s], pads: [pad, pad, pad, pad], dilations: [d, d] };
      const p = packSparseConv2d(rt, w, [M, C, k, k], { ...geo, bias, scales });
      try {
        const got = sparseConv2dF32(rt, x, [1, C, H, W], p);
        const want = conv2dRef(x, [1, C, H, W], dense, [M, C, k, k], { ...geo, bias });
        assertClose(got.data, want.data, { rtol: 1e-5, atol: 1e-5 }, `${rt.build} k${k} s${s} d${d} p${pad} ${C}x${H}x${W} -> ${M} ${int8 ? 'int8' : 'f32'}`);
      } finally {
        p.free();
      }
    }
  });
});

test.run();
