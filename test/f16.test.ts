import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { floatToHalf, halfToFloat } from '../engine/tensor.js';
import { f16ToF32, f16ToF32Ptr, f32ToF16, f32ToF16Ptr } from '../kernels/f16.js';
import { floatBitsToHalf, halfToFloatBits, halfToNumber } from '../kernels/reference/f16.js';
import { rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const bitsOf = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
const floatOf = (b: number) => new Float32Array(new Uint32Array([b >>> 0]).buffer)[0];
const isNanHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const hex = (v: number, w = 4) => `0x${(v >>> 0).toString(16).padStart(w, '0')}`;

const ALL_HALVES = Uint16Array.from({ length: 65536 }, (_, i) => i);

/** Float32 bit patterns where float -> half has to decide something. */
function interestingFloatBits(): Uint32Array {
  const out: number[] = [];
  const push = (x: number) => {
    out.push(bitsOf(x), bitsOf(-x));
  };
  // Ties and near-ties between every pair of neighbouring finite halves (and past 65504).
  for (let h = 0; h < 0x7c00; h++) {
    const lo = halfToNumber(h);
    const hi = h === 0x7bff ? 65536 : halfToNumber(h + 1);
    const mid = (lo + hi) / 2; // 12 significant bits: exact in float32
    const midBits = bitsOf(mid);
    out.push(midBits, midBits - 1, midBits + 1, bitsOf(lo), midBits | 0x80000000);
  }
  for (const x of [0, 65504, 65519.99609375, 65520, 65536, 1e5, 3.4028234663852886e38, Infinity, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25, 1e-45, 1e-40, 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11]) push(x);
  out.push(0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff, 0x7fffffff, 0x80000000);
  // A sweep across every exponent and many mantissas.
  for (let b = 0; b < 2 ** 32; b += 4099 * 1024 + 7) out.push(b >>> 0);
  const rand = rng(12345);
  for (let i = 0; i < 100000; i++) out.push(Math.floor(rand() * 2 ** 32) >>> 0);
  return Uint32Array.from(out);
}

const FLOAT_BITS = interestingFloatBits();
const EXPECTED_HALVES = FLOAT_BITS.map(floatBitsToHalf);

test('reference: hand-checked conversions', () => {
  const cases: [number, number][] = [
    [0, 0], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99609375, 0x7bff], [65520, 0x7c00],
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [-(2 ** -25), 0x8000],
    [2 ** -25 * (1 + 2 ** -23), 0x0001], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02], [0.1, 0x2e66], [1e-45, 0], [2048 + 1, 0x6800], [2048 + 3, 0x6802],
  ];
  for (const [x, h] of cases) assert.is(floatBitsToHalf(bitsOf(x)), h, `half(${x})`);
  assert.is(floatBitsToHalf(0xffc00001), 0xfe00, 'negative NaN keeps its sign');
  assert.is(halfToFloatBits(0x0001), bitsOf(2 ** -24));
  assert.is(halfToFloatBits(0x8000), 0x80000000);
  assert.is(halfToFloatBits(0x7bff), bitsOf(65504));
  assert.is(halfToFloatBits(0xfc00), 0xff800000);
  assert.is(halfToFloatBits(0x7d01), 0x7fa02000, 'NaN payload shifted into place');
});

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: every half -> float exactly (NaN payloads and signs kept)`, () => {
    const got = new Uint32Array(f16ToF32(rt, ALL_HALVES).buffer);
    for (let h = 0; h < 65536; h++) {
      if (got[h] !== halfToFloatBits(h)) assert.unreachable(`half ${hex(h)}: got ${hex(got[h], 8)}, expected ${hex(halfToFloatBits(h), 8)}`);
    }
  });

  test(`${rt.build}: every half round-trips half -> float -> half (NaNs become 0x7e00 | sign)`, () => {
    const back = f32ToF16(rt, f16ToF32(rt, ALL_HALVES));
    for (let h = 0; h < 65536; h++) {
      const want = isNanHalf(h) ? (h & 0x8000) | 0x7e00 : h;
      if (back[h] !== want) assert.unreachable(`half ${hex(h)} came back as ${hex(back[h])}, expected ${hex(want)}`);
    }
  });

  test(`${rt.build}: float -> half on ties, near-ties, overflow, subnormals and random bits`, () => {
    const x = new Float32Array(FLOAT_BITS.buffer.slice(0));
    const got = f32ToF16(rt, x);
    for (let i = 0; i < x.length; i++) {
      if (got[i] !== EXPECTED_HALVES[i]) {
        assert.unreachable(`float bits ${hex(FLOAT_BITS[i], 8)} (${x[i]}): got ${hex(got[i])}, expected ${hex(EXPECTED_HALVES[i])}`);
      }
    }
  });

  test(`${rt.build}: lengths around the 8-lane vectors; pointer API; bad input`, () => {
    const rand = rng(7);
    for (const n of [1, 2, 7, 8, 9, 15, 16, 17, 33]) {
      const x = Float32Array.from({ length: n }, () => (rand() - 0.5) * 1000);
      const h = f32ToF16(rt, x);
      assert.equal(Array.from(h), Array.from(x, (v) => floatBitsToHalf(bitsOf(v))), `n = ${n}`);
      assert.equal(Array.from(f16ToF32(rt, h)), Array.from(h, halfToNumber), `n = ${n} back`);
    }
    assert.is(f32ToF16(rt, new Float32Array(0)).length, 0);
    assert.is(f16ToF32(rt, new Uint16Array(0)).length, 0);
    const p = rt.arena.alloc(64);
    try {
      expectEdgeRunError(() => f16ToF32Ptr(rt, p, p + 4, 4), 'InvalidArgument', /overlap/);
      expectEdgeRunError(() => f32ToF16Ptr(rt, p, p, 4), 'InvalidArgument', /overlap/);
      expectEdgeRunError(() => f16ToF32Ptr(rt, p, p + 32, -1), 'InvalidArgument', /n must/);
      expectEdgeRunError(() => f16ToF32Ptr(rt, p, -8, 2), 'InvalidArgument', /dst: address/);
      expectEdgeRunError(() => f32ToF16Ptr(rt, p, p + 32, 1e9), 'InvalidArgument', /src: /);
    } finally {
      rt.arena.free(p);
    }
    expectEdgeRunError(() => f32ToF16(rt, [1, 2] as unknown as Float32Array), 'DTypeMismatch', /x must/);
    expectEdgeRunError(() => f16ToF32(rt, new Int16Array(2) as unknown as Uint16Array), 'DTypeMismatch', /halves must/);
  });
});

// engine/tensor.ts converts on the host (ONNX float16 tensors). It works on JS numbers, which
// cannot carry NaN signs or payloads, so NaNs are compared as NaN-ness only.
test('host converters in engine/tensor.ts agree with the kernels', () => {
  for (let h = 0; h < 65536; h++) {
    const want = halfToNumber(h);
    const got = halfToFloat(h);
    if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) assert.unreachable(`halfToFloat(${hex(h)}) = ${got}, expected ${want}`);
  }
  for (let i = 0; i < FLOAT_BITS.length; i++) {
    const x = floatOf(FLOAT_BITS[i]);
    const got = floatToHalf(x);
    const want = EXPECTED_HALVES[i];
    const ok = Number.isNaN(x) ? isNanHalf(got) : got === want;
    if (!ok) assert.unreachable(`floatToHalf(${x}, bits ${hex(FLOAT_BITS[i], 8)}) = ${hex(got)}, expected ${hex(want)}`);
  }
});

test.run();
