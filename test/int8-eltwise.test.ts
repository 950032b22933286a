// int8/uint8 Add/Sub/Mul, lookup tables and concatenation: every build against the TFLite
// transliterations, bit for bit, on random and extreme parameters; plus bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { qconcat } from '../kernels/int8/concat.js';
import { addMultipliers, mulMultiplier, qadd, qmul, qsub } from '../kernels/int8/eltwise.js';
import { buildLut, lookup } from '../kernels/int8/lut.js';
import { activationRange, type QuantActivation, type QuantDType } from '../kernels/int8/qparams.js';
import { lutRef, qaddRef, qmulRef, requantCopyRef } from '../kernels/reference/int8/eltwise.js';
import { assertEqualArrays } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

function randQ(rand: () => number, dtype: QuantDType, n: number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  const lo = dtype === 'int8' ? -128 : 0;
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * 256);
  return out;
}
const zp = (rand: () => number, t: QuantDType) => (t === 'int8' ? -128 : 0) + pick(rand, [0, 255, 128, randomInt(rand, 0, 255)]);
const scale = (rand: () => number) => 2 ** (-12 * rand()) * (0.5 + rand());

test('Add Prepare: multipliers smaller than one; the larger input gets 1/2', () => {
  const { m1, m2, mo } = addMultipliers(0.5, 0.25, 0.1);
  // 0.5 / (2·0.5) = 0.5: frexp(0.5) = (0.5, 0) → (2^30, 0); 0.25 / 1 = 0.25 → (2^30, −1).
  assert.equal(m1, { multiplier: 2 ** 30, shift: 0 });
  assert.equal(m2, { multiplier: 2 ** 30, shift: -1 });
  assert.ok(mo.shift <= 0);
  assert.equal(mulMultiplier(0.5, 0.5, 0.25), { multiplier: 2 ** 30, shift: 1 });
});

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: add, sub and mul bit-exact on 12k elements, broadcast b, both dtypes`, () => {
    const rand = rng(41);
    let checked = 0;
    for (let t = 0; t < 60; t++) {
      const dtype: QuantDType = pick(rand, ['int8', 'uint8']);
      const n = pick(rand, [1, 3, 4, 5, 16, 17, 100, 333]);
      const a = randQ(rand, dtype, n);
      const b = randQ(rand, dtype, rand() < 0.2 ? 1 : n);
      const act: QuantActivation = pick(rand, ['none', 'relu', 'relu6']);
      const p = { a: { scale: scale(rand), zeroPoint: zp(rand, dtype) }, b: { scale: scale(rand), zeroPoint: zp(rand, dtype) }, out: { scale: scale(rand), zeroPoint: zp(rand, dtype) }, dtype, act };
      const [actMin, actMax] = activationRange(act, p.out, dtype);
      for (const kind of ['add', 'sub', 'mul'] as const) {
        let got: ArrayLike<number>;
        try {
          got = kind === 'add' ? qadd(rt, a, b, p) : kind === 'sub' ? qsub(rt, a, b, p) : qmul(rt, a, b, p);
        } catch (e) {
          // A multiplier out of TFLite's range is refused by both; nothing to compare.
          assert.match((e as Error).message, /multiplier/);
          continue;
        }
        const want = new Int32Array(n);
        if (kind === 'mul') qmulRef(a, b, { za: p.a.zeroPoint, zb: p.b.zeroPoint, m: mulMultiplier(p.a.scale, p.b.scale, p.out.scale), outputZeroPoint: p.out.zeroPoint, actMin, actMax }, want);
        else qaddRef(a, b, { za: p.a.zeroPoint, zb: p.b.zeroPoint, ...addMultipliers(p.a.scale, p.b.scale, p.out.scale), outputZeroPoint: p.out.zeroPoint, actMin, actMax, subtract: kind === 'sub' }, want);
        assertEqualArrays(got, want, `${rt.build} ${kind} case ${t}`);
        checked += n;
      }
    }
    assert.ok(checked > 10000, `${checked} outputs`);
  });

  test(`${rt.build}: logistic and tanh tables: every int8/uint8 input, lookup bit-exact`, () => {
    const rand = rng(42);
    for (let t = 0; t < 20; t++) {
      const dtype: QuantDType = pick(rand, ['int8', 'uint8']);
      const fn = pick(rand, ['logistic', 'tanh'] as const);
      const out = fn === 'logistic' ? { scale: 1 / 256, zeroPoint: dtype === 'int8' ? -128 : 0 } : { scale: 1 / 128, zeroPoint: dtype === 'int8' ? 0 : 128 };
      const table = buildLut(fn, { scale: 0.01 + rand() * 0.2, zeroPoint: zp(rand, dtype) }, out, dtype);
      const x = randQ(rand, dtype, 1000);
      const want = new Int32Array(1000);
      lutRef(x, table, want);
      const got = lookup(rt, x, table);
      const asDtype = dtype === 'int8' ? Int8Array.from(want) : Uint8Array.from(want);
      assertEqualArrays(got, asDtype, `${rt.build} ${fn} ${dtype}`);
    }
  });

  test(`${rt.build}: concatenation copies equal parameters and requantizes the others`, () => {
    const rand = rng(43);
    for (let t = 0; t < 25; t++) {
      const dtype: QuantDType = pick(rand, ['int8', 'uint8']);
      const outer = randomInt(rand, 1, 3), inner = randomInt(rand, 1, 9);
      const out = { scale: scale(rand), zeroPoint: zp(rand, dtype) };
      const inputs = Array.from({ length: randomInt(rand, 1, 4) }, () => ({
        data: randQ(rand, dtype, outer * randomInt(rand, 1, 5) * inner),
        params: rand() < 0.3 ? { ...out } : { scale: scale(rand), zeroPoint: zp(rand, dtype) },
      }));
      const got = qconcat(rt, outer, inner, inputs, out);
      const [qmin, qmax] = dtype === 'int8' ? [-128, 127] : [0, 255];
      const want: number[] = [];
      const invOut = Math.fround(1 / Math.fround(out.scale));
      for (let o = 0; o < outer; o++) {
        for (const x of inputs) {
          const block = x.data.length / outer;
          const part = x.data.subarray(o * block, (o + 1) * block);
          const s = Math.fround(Math.fround(x.params.scale) * invOut);
          const res = new Int32Array(block);
          if (x.params === out || (x.params.scale === out.scale && x.params.zeroPoint === out.zeroPoint)) res.set(part);
          else requantCopyRef(part, s, Math.fround(-x.params.zeroPoint * s), out.zeroPoint, qmin, qmax, res);
          want.push(...res);
        }
      }
      assertEqualArrays(got, want, `${rt.build} concat case ${t}`);
    }
  });

  test(`${rt.build}: bad input to the elementwise kernels`, () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    const p = { a: q, b: q, out: q };
    expectEdgeRunError(() => qadd(rt, new Int8Array(4), new Int8Array(3), p), 'ShapeMismatch', /b has 3/);
    expectEdgeRunError(() => qadd(rt, new Int8Array(4), new Uint8Array(4), p), 'DTypeMismatch');
    expectEdgeRunError(() => qmul(rt, new Int8Array(4), new Int8Array(4), { ...p, out: { scale: -1, zeroPoint: 0 } }), 'InvalidArgument', /out.scale/);
    expectEdgeRunError(() => qsub(rt, new Int8Array(4), new Int8Array(4), { ...p, a: { scale: 0.1, zeroPoint: 300 } }), 'InvalidArgument', /a.zeroPoint/);
    expectEdgeRunError(() => buildLut('relu' as never, q, q), 'InvalidArgument', /logistic/);
    expectEdgeRunError(() => lookup(rt, new Int8Array(4), new Uint8Array(255)), 'InvalidArgument', /256/);
    expectEdgeRunError(() => qconcat(rt, 1, 1, [], q), 'InvalidArgument', /at least one/);
    expectEdgeRunError(() => qconcat(rt, 2, 3, [{ data: new Int8Array(5), params: q }], q), 'ShapeMismatch', /multiple/);
  });
});

test.run();
