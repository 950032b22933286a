// int8/uint8 softmax (TFLite's integer Reference kernel): the oracle against the float softmax
// (within TFLite's own test tolerance) and fixed points of gemmlowp's exp; every build bit for
// bit against the oracle; bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { qsoftmax, softmaxQuant } from '../kernels/int8/softmax.js';
import { expOnNegativeValuesQ5, getReciprocal, qsoftmaxRef } from '../kernels/reference/int8/softmax.js';
import { assertEqualArrays } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

test('gemmlowp exp and reciprocal are close to exp and 1/x', () => {
  for (let a = 0; a >= -16; a -= 0.37) {
    const raw = Math.round(a * 2 ** 26);
    const e = expOnNegativeValuesQ5(raw) / 2 ** 31;
    assert.ok(Math.abs(e - Math.exp(raw / 2 ** 26)) < 2e-7, `exp(${a}) = ${e}`);
  }
  assert.is(expOnNegativeValuesQ5(0), 0x7fffffff);
  for (const x of [1.0001, 1.5, 3.7, 100, 4000]) {
    const raw = Math.round(x * 2 ** 19);
    const [r, bits] = getReciprocal(raw, 12);
    assert.ok(Math.abs((r / 2 ** 31) * 2 ** -bits - 2 ** 19 / raw) < 1e-8 / x, `1/${x}`);
  }
});

test('the oracle is within 1/256 of the float softmax; a uniform row of 4 gives 1/4', () => {
  const rand = rng(61);
  for (let t = 0; t < 50; t++) {
    const depth = randomInt(rand, 1, 40);
    const scale = 0.02 + rand() * 0.2;
    const x = Int8Array.from({ length: depth }, () => randomInt(rand, -128, 127));
    const q = softmaxQuant(scale);
    const out = new Int32Array(depth);
    qsoftmaxRef(x, 1, depth, { ...q, outMin: -128, outMax: 127 }, out);
    const m = Math.max(...x);
    const e = Array.from(x, (v) => Math.exp((v - m) * Math.fround(scale)));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => assert.ok(Math.abs((out[i] + 128) / 256 - v / s) <= 1.01 / 256, `case ${t}[${i}]: ${out[i]} vs ${(v / s) * 256 - 128}`));
  }
  const out = new Int32Array(4);
  qsoftmaxRef([5, 5, 5, 5], 1, 4, { ...softmaxQuant(0.1), outMin: -128, outMax: 127 }, out);
  assert.equal(Array.from(out), [-64, -64, -64, -64]);
});

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: softmax bit-exact to the oracle on 12k values, both dtypes, beta`, () => {
    const rand = rng(62);
    let checked = 0;
    for (let t = 0; t < 60; t++) {
      const uint8 = rand() < 0.5;
      const depth = pick(rand, [1, 2, 3, 10, 17, 100, 255, 1000]);
      const rows = randomInt(rand, 1, 3);
      const scale = pick(rand, [0.001, 0.0625, 0.5, 0.02 + rand() * 0.3]);
      const beta = pick(rand, [1, 1, 0.5, 2]);
      const lo = uint8 ? 0 : -128;
      const x = uint8 ? new Uint8Array(rows * depth) : new Int8Array(rows * depth);
      for (let i = 0; i < x.length; i++) x[i] = lo + (rand() < 0.1 ? 255 : randomInt(rand, 0, 255));
      const got = qsoftmax(rt, x, depth, scale, beta);
      const want = new Int32Array(x.length);
      qsoftmaxRef(x, rows, depth, { ...softmaxQuant(scale, beta), outMin: lo, outMax: lo + 255 }, want);
      assertEqualArrays(got, want, `${rt.build} case ${t} depth ${depth} scale ${scale}`);
      checked += x.length;
    }
    assert.ok(checked > 10000, `${checked}`);
  });

  test(`${rt.build}: bad input to softmax`, () => {
    expectEdgeRunError(() => qsoftmax(rt, new Int8Array(5), 2, 0.1), 'ShapeMismatch', /multiple of depth/);
    expectEdgeRunError(() => qsoftmax(rt, new Int8Array(4), 2, 0), 'InvalidArgument', /inputScale/);
    expectEdgeRunError(() => qsoftmax(rt, new Int8Array(4), 2, 1e-12), 'InvalidArgument', /too small/);
    expectEdgeRunError(() => qsoftmax(rt, new Int8Array(4), 2, 0.1, -1), 'InvalidArgument', /beta/);
  });
});

test.run();
