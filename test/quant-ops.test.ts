// Quantization operators on the CPU backend: QuantizeLinear/DequantizeLinear (per tensor and
// per axis, rounding, saturation, NaN), the TFLite fixed-point requantization against a BigInt
// oracle, the integer convolution/matmul ops against float oracles (≤ 1 LSB: ONNX requantizes in
// float, TFLite in fixed point), the small integer ops, the hybrid DynamicQuantizeMatMul on every
// build, fuse-qdq against the unfused QDQ graph, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../engine/graph/builder.js';
import type { Value } from '../engine/graph/ir.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { EDGERUN_DOMAIN } from '../engine/ops/fused-activation.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT, srdhm } from '../engine/backends/cpu/ops/quant-arith.js';
import { RUNTIMES } from './helpers/runtimes.js';
import { rng, randomF32, randomInt, ODD_SIZES, pick } from './helpers/random.js';
import { assertClose } from './helpers/compare.js';
import { EdgeRunError } from '../engine/errors.js';

const fr = Math.fround;

/** Round half to even, written differently from the kernels' (via the parity of Math.round). */
function rint(v: number): number {
  const r = Math.round(v); // halves go up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clampTo = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

async function run(build: (g: GraphBuilder) => Value, feeds: Record<string, Tensor> = {}, opts: { optimize?: boolean | { fuseQdq: boolean } } = {}): Promise<Tensor> {
  const g = new GraphBuilder('q', 13);
  g.output(build(g), 'y');
  const s = InferenceSession.createSync(g.build(), { optimize: opts.optimize ?? false });
  try {
    return s.runSync(feeds).y;
  } finally {
    await s.release();
  }
}

async function rejects(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EdgeRunError, `expected EdgeRunError, got ${(e as Error).message}`);
    assert.is((e as EdgeRunError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected EdgeRunError ${code}`);
}

// ---- TFLite fixed point ----

function srdhmOracle(a: number, b: number): number {
  if (a === -(2 ** 31) && b === -(2 ** 31)) return 2 ** 31 - 1;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

function rdbpotOracle(x: number, e: number): number {
  // x / 2^e rounded to nearest, ties away from zero, in exact rationals.
  const den = 2 ** e;
  const q = Math.trunc(x / den);
  const rem = x - q * den;
  if (2 * Math.abs(rem) >= den) return q + Math.sign(x);
  return q;
}

test('TFLite requantization: SRDHM and RoundingDivideByPOT against exact oracles', () => {
  const rand = rng(11);
  const int32 = () => randomInt(rand, -(2 ** 31), 2 ** 31 - 1);
  for (let i = 0; i < 4000; i++) {
    const a = i % 3 === 0 ? randomInt(rand, -(2 ** 22), 2 ** 22) : int32();
    const b = int32();
    assert.is(srdhm(a, b), srdhmOracle(a, b), `srdhm(${a}, ${b})`);
    const e = randomInt(rand, 0, 31);
    assert.is(roundingDivideByPOT(a, e), rdbpotOracle(a, e), `rdbpot(${a}, ${e})`);
  }
  assert.is(srdhm(-(2 ** 31), -(2 ** 31)), 2 ** 31 - 1, 'the one overflow saturates');
});

test('quantizeMultiplier: m = q · 2^(shift − 31), q a Q31 value in [2^30, 2^31)', () => {
  const rand = rng(12);
  for (let i = 0; i < 2000; i++) {
    const m = 2 ** (rand() * 40 - 30);
    const { multiplier, shift } = quantizeMultiplier(m);
    assert.ok(multiplier >= 2 ** 30 && multiplier < 2 ** 31, `q ${multiplier} for m ${m}`);
    assert.ok(Math.abs(multiplier * 2 ** (shift - 31) - m) <= m * 2 ** -31, `m ${m}`);
  }
  assert.equal(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  // Ties: SaturatingRoundingDoublingHighMul rounds them up (−1.5 → −1), RoundingDivideByPOT away from zero (−0.75·… → −1).
  assert.is(multiplyByQuantizedMultiplier(3, quantizeMultiplier(0.5)), 2);
  assert.is(multiplyByQuantizedMultiplier(-3, quantizeMultiplier(0.5)), -1);
  assert.is(multiplyByQuantizedMultiplier(-6, quantizeMultiplier(0.25)), -2);
  const rand2 = rng(14);
  for (let i = 0; i < 2000; i++) {
    const x = randomInt(rand2, -(2 ** 24), 2 ** 24);
    const q = quantizeMultiplier(2 ** (rand2() * 20 - 18));
    const left = Math.max(0, q.shift);
    const want = rdbpotOracle(srdhmOracle(x * 2 ** left, q.multiplier), Math.max(0, -q.shift));
    assert.is(multiplyByQuantizedMultiplier(x, q), want, `x ${x} q ${JSON.stringify(q)}`);
  }
});

// ---- QuantizeLinear / DequantizeLinear ----

test('QuantizeLinear: per tensor, int8 and uint8: round half to even, saturation, NaN to the zero point', async () => {
  const scale = 0.5;
  const values = [0, 0.25, 0.75, -0.25, -0.75, 1.25, 63.75, 64.25, 1000, -1000, Infinity, -Infinity, NaN, 3.3, -7.9];
  for (const [dtype, zp, lo, hi] of [['int8', -3, -128, 127], ['uint8', 10, 0, 255]] as const) {
    const x = new Tensor('float32', values, [values.length]);
    const y = await run((g) => g.op('QuantizeLinear', [g.input('x', 'float32', [values.length]), new Tensor('float32', [scale], []), new Tensor(dtype, [zp], [])]), { x });
    assert.is(y.type, dtype);
    const want = values.map((v) => (Number.isNaN(v) ? zp : clampTo(rint(fr(v / scale)) + zp, lo, hi)));
    assert.equal(Array.from(y.data as Int8Array), want, dtype);
  }
});

test('QuantizeLinear / DequantizeLinear per axis (axis 1 and −1) round-trip within half a step', async () => {
  const rand = rng(13);
  for (const axis of [1, -1]) {
    const dims = [2, 3, 5];
    const c = dims[axis < 0 ? dims.length + axis : axis];
    const scales = Array.from({ length: c }, () => 0.01 + rand() * 0.1);
    const zps = Array.from({ length: c }, () => randomInt(rand, -20, 20));
    const x = new Tensor('float32', randomF32(rand, 30, -3, 3), dims);
    const q = await run((g) => g.op('QuantizeLinear', [g.input('x', 'float32', dims), new Tensor('float32', scales, [c]), new Tensor('int8', zps, [c])], { axis }), { x });
    const back = await run((g) => g.op('DequantizeLinear', [g.input('q', 'int8', dims), new Tensor('float32', scales, [c]), new Tensor('int8', zps, [c])], { axis }), { q });
    const xd = x.data as Float32Array;
    const inner = axis === 1 ? 5 : 1;
    for (let i = 0; i < 30; i++) {
      const ch = Math.floor(i / inner) % c;
      const want = clampTo(rint(fr(xd[i] / fr(scales[ch]))) + zps[ch], -128, 127);
      assert.is((q.data as Int8Array)[i], want, `q[${i}] axis ${axis}`);
      assert.is((back.data as Float32Array)[i], fr(fr(want - zps[ch]) * fr(scales[ch])), `dq[${i}]`);
    }
  }
});

test('DequantizeLinear of int32 (biases) without a zero point', async () => {
  const q = new Tensor('int32', [-70000, 0, 123456], [3]);
  const y = await run((g) => g.op('DequantizeLinear', [g.input('q', 'int32', [3]), new Tensor('float32', [1e-4], [])]), { q });
  assert.equal(Array.from(y.data as Float32Array), [-70000, 0, 123456].map((v) => fr(v * fr(1e-4))));
});

// ---- Integer convolution ----

interface ConvCase {
  n: number; c: number; h: number; w: number; m: number; k: [number, number]; group: number;
  strides: [number, number]; pads: [number, number, number, number]; dilations: [number, number];
}

function randomConvCase(rand: () => number): ConvCase {
  const group = pick(rand, [1, 1, 2, 3]);
  const c = group * randomInt(rand, 1, 3);
  return {
    n: randomInt(rand, 1, 2), c, h: pick(rand, ODD_SIZES.filter((s) => s >= 3 && s <= 9)), w: pick(rand, [5, 7, 8]),
    m: group * randomInt(rand, 1, 3), k: [pick(rand, [1, 2, 3]), pick(rand, [1, 3])], group,
    strides: [randomInt(rand, 1, 2), randomInt(rand, 1, 2)], pads: [randomInt(rand, 0, 1), randomInt(rand, 0, 1), randomInt(rand, 0, 1), randomInt(rand, 0, 1)], dilations: [1, randomInt(rand, 1, 2)],
  };
}

/** Float conv of the dequantized operands, the exact real result QLinearConv approximates. */
function realConv(p: ConvCase, x: Int8Array, xs: number, xzp: number, w: Int8Array, ws: number[], b: Int32Array): { y: Float64Array; oh: number; ow: number } {
  const oh = Math.floor((p.h + p.pads[0] + p.pads[2] - ((p.k[0] - 1) * p.dilations[0] + 1)) / p.strides[0]) + 1;
  const ow = Math.floor((p.w + p.pads[1] + p.pads[3] - ((p.k[1] - 1) * p.dilations[1] + 1)) / p.strides[1]) + 1;
  const cg = p.c / p.group;
  const y = new Float64Array(p.n * p.m * oh * ow);
  for (let n = 0; n < p.n; n++) for (let m = 0; m < p.m; m++) {
    const grp = Math.floor(m / (p.m / p.group));
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let acc = b[m] * xs * ws[m];
      for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < p.k[0]; ky++) for (let kx = 0; kx < p.k[1]; kx++) {
        const iy = oy * p.strides[0] - p.pads[0] + ky * p.dilations[0];
        const ix = ox * p.strides[1] - p.pads[1] + kx * p.dilations[1];
        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
        const xv = (x[((n * p.c + grp * cg + ci) * p.h + iy) * p.w + ix] - xzp) * xs;
        acc += xv * w[((m * cg + ci) * p.k[0] + ky) * p.k[1] + kx] * ws[m];
      }
      y[((n * p.m + m) * oh + oy) * ow + ox] = acc;
    }
  }
  return { y, oh, ow };
}

for (const op of ['QLinearConv', 'QConv'] as const) {
  test(`${op}: random shapes (groups, strides, pads, dilations) within 1 LSB of the real result`, async () => {
    const rand = rng(op === 'QConv' ? 21 : 22);
    let exact = 0;
    let total = 0;
    for (let t = 0; t < 12; t++) {
      const p = randomConvCase(rand);
      const x = Int8Array.from({ length: p.n * p.c * p.h * p.w }, () => randomInt(rand, -128, 127));
      const w = Int8Array.from({ length: p.m * (p.c / p.group) * p.k[0] * p.k[1] }, () => randomInt(rand, -127, 127));
      const b = Int32Array.from({ length: p.m }, () => randomInt(rand, -3000, 3000));
      const [xs, xzp, ys, yzp] = [0.02 + rand() * 0.05, randomInt(rand, -10, 10), 0.5 + rand(), randomInt(rand, -5, 5)];
      const ws = Array.from({ length: p.m }, () => 0.005 + rand() * 0.02);
      const xt = new Tensor('int8', x, [p.n, p.c, p.h, p.w]);
      const attrs = { kernel_shape: p.k, strides: p.strides, pads: p.pads, dilations: p.dilations, group: p.group };
      const y = await run((g) => g.node(op, [g.input('x', 'int8', [...xt.dims]), new Tensor('float32', [xs], []), new Tensor('int8', [xzp], []), new Tensor('int8', w, [p.m, p.c / p.group, ...p.k]),
        new Tensor('float32', ws, [p.m]), new Tensor('int8', new Int8Array(p.m), [p.m]), new Tensor('float32', [ys], []), new Tensor('int8', [yzp], []), new Tensor('int32', b, [p.m])], attrs, { domain: op === 'QConv' ? EDGERUN_DOMAIN : '' })[0], { x: xt });
      const real = realConv(p, x, xs, xzp, w, ws, b).y;
      const got = y.data as Int8Array;
      for (let i = 0; i < real.length; i++) {
        const want = clampTo(rint(real[i] / ys) + yzp, -128, 127);
        assert.ok(Math.abs(got[i] - want) <= 1, `${op} case ${t} [${i}]: got ${got[i]}, real result rounds to ${want}`);
        if (got[i] === want) exact++;
        total++;
      }
    }
    assert.ok(exact / total > 0.99, `${op}: ${exact}/${total} exact`);
  });
}

test('ConvInteger and MatMulInteger: exact int32 sums with zero points', async () => {
  const x = new Tensor('uint8', [2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 3, 3]);
  const y = await run((g) => g.op('ConvInteger', [g.input('x', 'uint8', [1, 1, 3, 3]), new Tensor('uint8', [1, 1, 1, 1], [1, 1, 2, 2]), new Tensor('uint8', [1], [])]), { x });
  // Each 2×2 window of (x − 1) summed.
  assert.equal(Array.from(y.data as Int32Array), [1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9]);
  const a = new Tensor('int8', [1, -2, 3, 4, 5, -6], [2, 3]);
  const m = await run((g) => g.op('MatMulInteger', [g.input('a', 'int8', [2, 3]), new Tensor('int8', [1, 0, 0, 1, 2, -1], [3, 2]), new Tensor('int8', [1], []), new Tensor('int8', [0], [])]), { a });
  // (a − 1) · B
  const ac = [0, -3, 2, 3, 4, -7];
  const b = [1, 0, 0, 1, 2, -1];
  const want = [0, 1].flatMap((r) => [0, 1].map((c) => ac[r * 3] * b[c] + ac[r * 3 + 1] * b[2 + c] + ac[r * 3 + 2] * b[4 + c]));
  assert.equal(Array.from(m.data as Int32Array), want);
});

test('QGemm: within 1 LSB of the real result, clamp_min/clamp_max applied, transB', async () => {
  const rand = rng(31);
  for (const transB of [0, 1]) {
    const [M, K, N] = [pick(rand, ODD_SIZES), pick(rand, ODD_SIZES), pick(rand, ODD_SIZES)];
    const a = Int8Array.from({ length: M * K }, () => randomInt(rand, -128, 127));
    const w = Int8Array.from({ length: K * N }, () => randomInt(rand, -127, 127));
    const bias = Int32Array.from({ length: N }, () => randomInt(rand, -500, 500));
    const ws = Array.from({ length: N }, () => 0.01 + rand() * 0.01);
    const [as, azp, ys, yzp] = [0.03, 7, 0.4, -9];
    const at = new Tensor('int8', a, [M, K]);
    const [lo, hi] = [-20, 60];
    const y = await run((g) => g.node('QGemm', [g.input('a', 'int8', [M, K]), new Tensor('float32', [as], []), new Tensor('int8', [azp], []), new Tensor('int8', w, transB ? [N, K] : [K, N]),
      new Tensor('float32', ws, [N]), new Tensor('int8', new Int8Array(N), [N]), new Tensor('int32', bias, [N]), new Tensor('float32', [ys], []), new Tensor('int8', [yzp], [])], { transB, clamp_min: lo, clamp_max: hi }, { domain: EDGERUN_DOMAIN })[0], { a: at });
    const got = y.data as Int8Array;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let real = bias[n] * as * ws[n];
      for (let k = 0; k < K; k++) real += (a[m * K + k] - azp) * as * (transB ? w[n * K + k] : w[k * N + n]) * ws[n];
      const want = clampTo(rint(real / ys) + yzp, lo, hi);
      assert.ok(Math.abs(got[m * N + n] - want) <= 1, `[${m},${n}] got ${got[m * N + n]} want ${want}`);
      assert.ok(got[m * N + n] >= lo && got[m * N + n] <= hi, 'clamped');
    }
  }
});

test('DynamicQuantizeMatMul (hybrid kernel) on every build: close to the float product of the dequantized weights', async () => {
  const rand = rng(41);
  for (const rt of RUNTIMES) {
    const [M, K, N] = [pick(rand, ODD_SIZES), pick(rand, ODD_SIZES), pick(rand, ODD_SIZES)];
    const a = new Tensor('float32', randomF32(rand, M * K), [M, K]);
    const w = Int8Array.from({ length: K * N }, () => randomInt(rand, -127, 127));
    const ws = Float32Array.from({ length: N }, () => 0.01 + rand() * 0.01);
    const bias = randomF32(rand, N);
    const g = new GraphBuilder('dq', 13);
    g.output(g.node('DynamicQuantizeMatMul', [g.input('a', 'float32', [M, K]), new Tensor('int8', w, [K, N]), new Tensor('float32', ws, [N]), null, new Tensor('float32', bias, [N])], {}, { domain: EDGERUN_DOMAIN })[0], 'y');
    const s = InferenceSession.createSync(g.build(), { runtime: rt, optimize: false });
    const y = s.runSync({ a }).y.data as Float32Array;
    const ad = a.data as Float32Array;
    const want = new Float32Array(M * N);
    let wmax = 0;
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let acc = bias[n];
      for (let k = 0; k < K; k++) acc += ad[m * K + k] * w[k * N + n] * ws[n];
      want[m * N + n] = acc;
      wmax = Math.max(wmax, Math.abs(acc));
    }
    // Activations quantized per row to 8 bits: an error of about K · (range/255/2) · |w|.
    assertClose(y, want, { rtol: 0, atol: (K * (2 / 255) * 127 * 0.02) / 2 + 1e-5 }, `${rt.build} ${M}x${K}x${N}`);
    await s.release();
  }
});

test('QConv / QGemm on the int8 WASM kernels are bit-exact with the reference arithmetic, on every build', async () => {
  const rand = rng(51);
  for (const rt of RUNTIMES) {
    for (let t = 0; t < 6; t++) {
      const p = randomConvCase(rand);
      const depthwise = t % 3 === 0;
      if (depthwise) Object.assign(p, { group: p.c, m: p.c * randomInt(rand, 1, 2) });
      const wdims = [p.m, p.c / p.group, ...p.k];
      const w = new Tensor('int8', Int8Array.from({ length: wdims.reduce((a, b) => a * b, 1) }, () => randomInt(rand, -127, 127)), wdims);
      const x = new Tensor('int8', Int8Array.from({ length: p.n * p.c * p.h * p.w }, () => randomInt(rand, -128, 127)), [p.n, p.c, p.h, p.w]);
      const params = [new Tensor('float32', [0.03], []), new Tensor('int8', [randomInt(rand, -9, 9)], [])];
      const wq = [new Tensor('float32', Float32Array.from({ length: p.m }, () => 0.004 + rand() * 0.01), [p.m]), new Tensor('int8', new Int8Array(p.m), [p.m])];
      const out = [new Tensor('float32', [0.2 + rand()], []), new Tensor('int8', [randomInt(rand, -9, 9)], []), new Tensor('int32', Int32Array.from({ length: p.m }, () => randomInt(rand, -2000, 2000)), [p.m])];
      const attrs = { kernel_shape: p.k, strides: p.strides, pads: p.pads, dilations: p.dilations, group: p.group, clamp_min: -100 };
      const results: Int8Array[] = [];
      for (const constantW of [true, false]) {
        const g = new GraphBuilder('qc', 13);
        const xin = g.input('x', 'int8', [...x.dims]);
        const win = constantW ? w : g.input('w', 'int8', [...w.dims]);
        g.output(g.node('QConv', [xin, ...params, win, ...wq, ...out], attrs, { domain: EDGERUN_DOMAIN })[0], 'y');
        const s = InferenceSession.createSync(g.build(), { runtime: rt, optimize: false });
        results.push(s.runSync(constantW ? { x } : { x, w }).y.data as Int8Array);
        await s.release();
      }
      assert.equal(Array.from(results[0]), Array.from(results[1]), `${rt.build} QConv case ${t} (${depthwise ? 'depthwise' : `group ${p.group}`})`);
    }
    const [M, K, N] = [pick(rand, ODD_SIZES), pick(rand, ODD_SIZES), pick(rand, ODD_SIZES)];
    const a = new Tensor('int8', Int8Array.from({ length: M * K }, () => randomInt(rand, -128, 127)), [M, K]);
    const b = new Tensor('int8', Int8Array.from({ length: K * N }, () => randomInt(rand, -127, 127)), [K, N]);
    const rest = [new Tensor('float32', Float32Array.from({ length: N }, () => 0.004 + rand() * 0.01), [N]), new Tensor('int8', new Int8Array(N), [N]), new Tensor('int32', Int32Array.from({ length: N }, () => randomInt(rand, -900, 900)), [N]), new Tensor('float32', [0.3], []), new Tensor('int8', [4], [])];
    const results: Int8Array[] = [];
    for (const constantB of [true, false]) {
      const g = new GraphBuilder('qg', 13);
      g.output(g.node('QGemm', [g.input('a', 'int8', [M, K]), new Tensor('float32', [0.05], []), new Tensor('int8', [-3], []), constantB ? b : g.input('b', 'int8', [K, N]), ...rest], { clamp_max: 90 }, { domain: EDGERUN_DOMAIN })[0], 'y');
      const s = InferenceSession.createSync(g.build(), { runtime: rt, optimize: false });
      results.push(s.runSync(constantB ? { a } : { a, b }).y.data as Int8Array);
      await s.release();
    }
    assert.equal(Array.from(results[0]), Array.from(results[1]), `${rt.build} QGemm ${M}x${K}x${N}`);
  }
});

// ---- fuse-qdq: the fused integer graph against the QDQ graph it replaces ----

function qdq(g: GraphBuilder, x: Value, scale: number, zp: number): Value {
  const s = new Tensor('float32', [scale], []);
  const z = new Tensor('int8', [zp], []);
  return g.op('DequantizeLinear', [g.op('QuantizeLinear', [x, s, z]), s, z]);
}

function dqWeight(g: GraphBuilder, rand: () => number, dims: number[], axis: number): Value {
  const n = dims.reduce((a, b) => a * b, 1);
  const c = dims[axis];
  return g.op('DequantizeLinear', [new Tensor('int8', Int8Array.from({ length: n }, () => randomInt(rand, -127, 127)), dims), new Tensor('float32', Float32Array.from({ length: c }, () => 0.005 + rand() * 0.01), [c])], { axis });
}

const PATTERNS: [string, string[], (g: GraphBuilder, x: Value, rand: () => number) => Value][] = [
  ['Conv + Relu', ['QConv'], (g, x, r) => qdq(g, g.relu(g.conv(x, dqWeight(g, r, [4, 3, 3, 3], 0), new Tensor('float32', randomF32(r, 4), [4]), { pads: [1, 1, 1, 1] })), 0.05, -100)],
  ['depthwise Conv + Clip(0, 6)', ['QConv'], (g, x, r) => qdq(g, g.clip(g.conv(x, dqWeight(g, r, [3, 1, 3, 3], 0), undefined, { group: 3, strides: [2, 2] }), 0, 6), 0.03, -128)],
  ['MaxPool, Pad, Reshape on integers', ['QConv', 'MaxPool', 'Pad', 'Reshape'], (g, x, r) => {
    const c = qdq(g, g.conv(x, dqWeight(g, r, [2, 3, 1, 1], 0)), 0.05, 3);
    const p = qdq(g, g.op('Pad', [qdq(g, g.maxPool(c, [2, 2]), 0.05, 3), new Tensor('int64', [0, 0, 1, 1, 0, 0, 1, 1], [8])]), 0.05, 3);
    return qdq(g, g.reshape(p, [1, -1]), 0.05, 3);
  }],
  ['Gemm after Flatten', ['QGemm'], (g, x, r) => qdq(g, g.gemm(qdq(g, g.flatten(x), 0.04, 0), dqWeight(g, r, [5, 75], 0), new Tensor('float32', randomF32(r, 5), [5]), { transB: 1 }), 0.1, 0)],
  ['Add, AveragePool, GlobalAveragePool, Concat, Sigmoid', ['QAdd', 'QAveragePool', 'QGlobalAveragePool', 'QConcat', 'QLut'], (g, x, r) => {
    const a = qdq(g, g.add(x, qdq(g, g.sigmoid(x), 1 / 256, -128)), 0.06, -20);
    const p = qdq(g, g.averagePool(a, [2, 2], { pads: [1, 1, 0, 0] }), 0.05, -20);
    const gp = qdq(g, g.globalAveragePool(a), 0.02, 0);
    void r;
    return qdq(g, g.concat([qdq(g, g.flatten(gp), 0.02, 0), qdq(g, g.flatten(p), 0.05, -20)], 1), 0.05, -10);
  }],
];

for (const [name, ops, build] of PATTERNS) {
  test(`fuse-qdq: ${name} runs as ${ops.join(', ')} within 1 LSB of the QDQ graph`, async () => {
    const rand = rng(name.length);
    const g = new GraphBuilder('pattern', 13);
    const x = qdq(g, g.input('x', 'float32', [1, 3, 5, 5]), 0.02, -5);
    g.output(build(g, x, rand), 'y');
    const graph = g.build();
    const feeds = { x: new Tensor('float32', randomF32(rand, 75, -2, 2), [1, 3, 5, 5]) };
    const fused = InferenceSession.createSync(graph);
    const plain = InferenceSession.createSync(graph, { optimize: { fuseQdq: false } });
    const have = new Set(fused.graph.nodes.map((n) => n.op));
    for (const op of ops) assert.ok(have.has(op), `${op} in ${[...have].join(', ')}`);
    const yf = fused.runSync(feeds).y.data as Float32Array;
    const yp = plain.runSync(feeds).y.data as Float32Array;
    const lastScale = graph.outputs[0].producer!.inputs[1]!.constant!.toNumbers()[0];
    assertClose(yf, yp, { rtol: 0, atol: lastScale * 1.0001 }, name);
    await fused.release();
    await plain.release();
  });
}

test('fuse-qdq: DQ(int8 weights) → MatMul with a float input runs on the hybrid kernel; -128 weights keep the QDQ path', async () => {
  const rand = rng(5);
  for (const [w, hybrid] of [[Int8Array.from({ length: 12 }, () => randomInt(rand, -127, 127)), true], [Int8Array.from({ length: 12 }, (_, i) => (i === 3 ? -128 : 1)), false]] as const) {
    const g = new GraphBuilder('h', 13);
    g.output(g.matmul(g.input('a', 'float32', [2, 4]), g.op('DequantizeLinear', [new Tensor('int8', w, [4, 3]), new Tensor('float32', [0.1, 0.2, 0.3], [3])], { axis: 1 })), 'y');
    const s = InferenceSession.createSync(g.build());
    assert.is(s.graph.nodes.some((n) => n.op === 'DynamicQuantizeMatMul'), hybrid);
    const a = new Tensor('float32', randomF32(rand, 8), [2, 4]);
    const y = s.runSync({ a }).y.data as Float32Array;
    const ad = a.data as Float32Array;
    const want = Float32Array.from({ length: 6 }, (_, i) => {
      const [m, n] = [Math.floor(i / 3), i % 3];
      let acc = 0;
      for (let k = 0; k < 4; k++) acc += ad[m * 4 + k] * w[k * 3 + n] * [0.1, 0.2, 0.3][n];
      return acc;
    });
    // Per-row 8-bit activations: each of the 4 products may be off by half a step × |weight|.
    const step = (Math.max(...ad) - Math.min(0, ...ad)) / 255;
    assertClose(y, want, { rtol: 0, atol: hybrid ? 4 * (step / 2) * 127 * 0.3 : 1e-5 }, `hybrid ${hybrid}`);
    await s.release();
  }
});

// ---- Bad input ----

test('bad input: zero/NaN scales, mismatched per-axis params, dtype mismatches → EdgeRunError', async () => {
  const x = new Tensor('float32', [1, 2, 3], [3]);
  for (const scale of [0, NaN, -1]) {
    await rejects(run((g) => g.op('QuantizeLinear', [g.input('x', 'float32', [3]), new Tensor('float32', [scale], []), new Tensor('int8', [0], [])]), { x }), 'InvalidArgument', /scale/);
  }
  await rejects(run((g) => g.op('QuantizeLinear', [g.input('x', 'float32', [3]), new Tensor('float32', [1, 2], [2]), new Tensor('int8', [0, 0], [2])], { axis: 0 }), { x }), 'ShapeMismatch', /scale has 2 elements/);
  const q = new Tensor('uint8', [1, 2, 3], [3]);
  await rejects(run((g) => g.op('DequantizeLinear', [g.input('q', 'uint8', [3]), new Tensor('float32', [1], []), new Tensor('int8', [0], [])]), { q }), 'DTypeMismatch', /zero point/);
  await rejects(run((g) => g.node('QLut', [g.input('q', 'uint8', [3]), new Tensor('uint8', new Uint8Array(255), [255])], {}, { domain: EDGERUN_DOMAIN })[0], { q }), 'ShapeMismatch', /\[256\]/);
  await rejects(run((g) => g.op('QLinearMatMul', [g.input('q', 'uint8', [3]), new Tensor('float32', [1], []), new Tensor('uint8', [0], []), new Tensor('float32', [1, 2, 3], [3]), new Tensor('float32', [1], []), new Tensor('uint8', [0], []), new Tensor('float32', [1], []), new Tensor('uint8', [0], [])]), { q }), 'DTypeMismatch', /input b/);
  const w = new Tensor('int8', [-128, 1, 2, 3], [2, 2]);
  const g = new GraphBuilder('bad', 13);
  g.output(g.node('DynamicQuantizeMatMul', [g.input('a', 'float32', [1, 2]), w, new Tensor('float32', [1, 1], [2])], {}, { domain: EDGERUN_DOMAIN })[0], 'y');
  const s = InferenceSession.createSync(g.build(), { optimize: false });
  try {
    s.runSync({ a: new Tensor('float32', [1, 2], [1, 2]) });
    assert.unreachable('a -128 weight must be refused');
  } catch (e) {
    assert.ok(e instanceof EdgeRunError && /-128/.test(e.message), (e as Error).message);
  }
});

test.run();
