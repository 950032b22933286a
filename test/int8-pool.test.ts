// int8/uint8 max / average / global average pooling: every build against the TFLite reference
// transliteration (in-image taps only, round half away from zero), bit for bit; plus bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { windowGeometry } from '../kernels/int8/common.js';
import { qglobalAveragePool, qpool, type QPoolOptions } from '../kernels/int8/pool.js';
import { activationRange, type QuantActivation, type QuantDType } from '../kernels/int8/qparams.js';
import { qpoolRef } from '../kernels/reference/int8/pool.js';
import { assertEqualArrays } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

function randQ(rand: () => number, dtype: QuantDType, n: number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  const lo = dtype === 'int8' ? -128 : 0;
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * 256);
  return out;
}

test('average rounds half away from zero: (−3 − 1) / 2 = −2, (3 + 1) / 2 = 2, −5/2 → −3', () => {
  const g = windowGeometry({ kernel: [1, 2], strides: [1, 2] }, 1, 6, 't');
  const out = new Int32Array(3);
  qpoolRef('average', [-1, -2, 1, 2, -2, -3], 1, g, -128, -128, 127, out);
  assert.equal(Array.from(out), [-2, 2, -3]);
});

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: max and average pooling bit-exact on 80 random geometries`, () => {
    const rand = rng(51);
    let checked = 0;
    for (let t = 0; t < 80; t++) {
      const dtype: QuantDType = pick(rand, ['int8', 'uint8']);
      const kind = pick(rand, ['max', 'average'] as const);
      const C = randomInt(rand, 1, 5), H = randomInt(rand, 1, 17), W = randomInt(rand, 1, 17);
      const kh = randomInt(rand, 1, Math.min(H, 4)), kw = randomInt(rand, 1, Math.min(W, 4));
      const pads: [number, number, number, number] = [randomInt(rand, 0, kh - 1), randomInt(rand, 0, kw - 1), randomInt(rand, 0, kh - 1), randomInt(rand, 0, kw - 1)];
      const act: QuantActivation = pick(rand, ['none', 'relu', 'relu6']);
      const quant = { scale: 0.02 + rand() * 0.05, zeroPoint: (dtype === 'int8' ? -128 : 0) + randomInt(rand, 0, 200) };
      const o: QPoolOptions = { kernel: [kh, kw], strides: [randomInt(rand, 1, 3), randomInt(rand, 1, 3)], pads, dtype, act, quant };
      const x = randQ(rand, dtype, C * H * W);
      const got = qpool(rt, kind, x, [1, C, H, W], o);
      const g = windowGeometry(o, H, W, 't');
      const want = new Int32Array(C * g.OH * g.OW);
      const [lo, hi] = activationRange(act, quant, dtype);
      qpoolRef(kind, x, C, g, dtype === 'int8' ? -128 : 0, lo, hi, want);
      assertEqualArrays(got, want, `${rt.build} ${kind} case ${t}`);
      checked += want.length;
    }
    assert.ok(checked > 2000, `${checked} outputs`);
  });

  test(`${rt.build}: global average pool over extremes`, () => {
    const rand = rng(52);
    for (const dtype of ['int8', 'uint8'] as const) {
      const lo = dtype === 'int8' ? -128 : 0;
      for (const fill of [lo, lo + 255, null]) {
        const C = 3, H = 7, W = 5;
        const x = fill === null ? randQ(rand, dtype, 2 * C * H * W) : (dtype === 'int8' ? new Int8Array(2 * C * H * W) : new Uint8Array(2 * C * H * W)).fill(fill);
        const got = qglobalAveragePool(rt, x, [2, C, H, W], { dtype });
        const want: number[] = [];
        for (let c = 0; c < 2 * C; c++) {
          let s = 0;
          for (let i = 0; i < H * W; i++) s += x[c * H * W + i];
          const n = H * W;
          want.push(Math.trunc((s > 0 ? s + Math.trunc(n / 2) : s - Math.trunc(n / 2)) / n));
        }
        assertEqualArrays(got, want, `${rt.build} ${dtype} fill ${fill}`);
      }
    }
  });

  test(`${rt.build}: bad input to pooling`, () => {
    expectEdgeRunError(() => qpool(rt, 'max', new Int8Array(4), [1, 1, 2, 2], { kernel: [3, 3] }), 'ShapeMismatch', /does not fit/);
    expectEdgeRunError(() => qpool(rt, 'max', new Int8Array(4), [1, 1, 2, 2], { kernel: [1, 1], dtype: 'uint8' }), 'DTypeMismatch');
    expectEdgeRunError(() => qpool(rt, 'average', new Int8Array(4), [1, 1, 2, 2], { kernel: [1, 1], act: 'relu' }), 'InvalidArgument', /needs quant/);
    expectEdgeRunError(() => qpool(rt, 'average', new Int8Array(4), [1, 1, 2, 2], { kernel: [1, 1], dilations: [2, 2] }), 'InvalidArgument', /dilations/);
    expectEdgeRunError(() => qpool(rt, 'max', new Int8Array(5), [1, 1, 2, 2], { kernel: [1, 1] }), 'ShapeMismatch', /dims/);
  });
});

test.run();
