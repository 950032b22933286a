// The ONNX-rule (floating-point) quantization kernels of kernels/int8/qdq.ts on every build:
// QuantizeLinear of float32, DequantizeLinear, QAdd, QGlobalAveragePool and QAveragePool with
// float requantization, bit for bit against oracles written here in plain double arithmetic
// (Math.fround after every float32 step, rounding half to even by another formula), over odd
// sizes, both dtypes, ties, saturation, NaN and ±Inf; plus bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  dequantizeF32Ptr, everyWindowCounts, qaddF32RqPtr, qaveragePoolF32RqPtr, qglobalAverageF32RqPtr, quantizeF32Ptr,
  type QAveragePoolF32Params,
} from '../kernels/int8/qdq.js';
import type { QuantDType } from '../kernels/int8/qparams.js';
import type { Runtime } from '../kernels/runtime.js';
import { assertEqualArrays } from './helpers/compare.js';
import { ODD_SIZES, pick, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const fr = Math.fround;
const range = (t: QuantDType): [number, number] => (t === 'int8' ? [-128, 127] : [0, 255]);

/** Half to even via the parity of Math.round's result (a different formula than the kernels'). */
function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function quantizeOracle(x: number, scale: number, zp: number, t: QuantDType): number {
  const [lo, hi] = range(t);
  const r = rint(fr(x / fr(scale)));
  if (Number.isNaN(r)) return zp;
  return Math.min(hi, Math.max(lo, r + zp));
}

function randQ(rand: () => number, t: QuantDType, n: number): Int8Array | Uint8Array {
  const [lo] = range(t);
  const out = t === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rand() * 256);
  return out;
}

/** Copies `data` into a fresh arena block; returns its address. */
function place(rt: Runtime, data: Float32Array | Int8Array | Uint8Array, what: string): number {
  const ptr = rt.arena.alloc(Math.max(1, data.byteLength), what);
  new Uint8Array(rt.arena.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return ptr;
}

function bytesAt(rt: Runtime, t: QuantDType, ptr: number, n: number): number[] {
  return Array.from(t === 'int8' ? rt.arena.i8(ptr, n) : rt.arena.u8(ptr, n));
}

const SIZES = [...ODD_SIZES, 127, 129, 1000];

for (const rt of RUNTIMES) {
  test(`${rt.build}: QuantizeLinear of float32 (ties to even, saturation, NaN, ±Inf) on odd sizes`, () => {
    const rand = rng(11);
    for (const n of SIZES) {
      for (const t of ['int8', 'uint8'] as QuantDType[]) {
        const scale = pick(rand, [0.5, 0.05, 1 / 3, 2.5]);
        const zp = randomInt(rand, ...range(t));
        const x = Float32Array.from({ length: n }, (_, i) => {
          const k = i % 9;
          if (k === 0) return fr((randomInt(rand, -300, 300) + 0.5) * scale); // ties
          if (k === 1) return pick(rand, [NaN, Infinity, -Infinity, 1e30, -1e30]);
          return fr((rand() - 0.5) * 400 * scale);
        });
        const xp = place(rt, x, 'x');
        const yp = rt.arena.alloc(n, 'y');
        quantizeF32Ptr(rt, n, xp, yp, { scale, zeroPoint: zp, dtype: t });
        assertEqualArrays(bytesAt(rt, t, yp, n), Array.from(x, (v) => quantizeOracle(v, scale, zp, t)), `${rt.build} quantize n=${n} ${t}`);
        const dp = rt.arena.alloc(n * 4, 'dq');
        dequantizeF32Ptr(rt, n, yp, dp, { scale, zeroPoint: zp, dtype: t });
        assertEqualArrays(Array.from(rt.arena.f32(dp, n)), bytesAt(rt, t, yp, n).map((q) => fr((q - zp) * fr(scale))), `${rt.build} dequantize n=${n} ${t}`);
        for (const p of [dp, yp, xp]) rt.arena.free(p);
      }
    }
  });

  test(`${rt.build}: QAdd with float requantization (same shapes and a broadcast b) on odd sizes`, () => {
    const rand = rng(12);
    for (const n of SIZES) {
      for (const t of ['int8', 'uint8'] as QuantDType[]) {
        const [lo, hi] = range(t);
        const a = randQ(rand, t, n);
        const bLength = rand() < 0.3 ? 1 : n;
        const b = randQ(rand, t, bLength);
        const p = {
          a: { scale: fr(0.01 + rand() * 0.1), zeroPoint: randomInt(rand, lo, hi) },
          b: { scale: fr(0.01 + rand() * 0.1), zeroPoint: randomInt(rand, lo, hi) },
          out: { scale: fr(0.02 + rand() * 0.1), zeroPoint: randomInt(rand, lo, hi) },
          dtype: t,
          range: rand() < 0.5 ? undefined : ([randomInt(rand, lo, lo + 60), randomInt(rand, hi - 60, hi)] as [number, number]),
        };
        const [ap, bp, yp] = [place(rt, a, 'a'), place(rt, b, 'b'), rt.arena.alloc(n, 'y')];
        qaddF32RqPtr(rt, n, ap, bp, bLength, yp, p);
        const [clo, chi] = p.range ?? [lo, hi];
        const want = Array.from(a, (v, i) => {
          const real = fr(fr((v - p.a.zeroPoint) * p.a.scale) + fr((b[bLength === 1 ? 0 : i] - p.b.zeroPoint) * p.b.scale));
          return Math.min(chi, Math.max(clo, quantizeOracle(real, p.out.scale, p.out.zeroPoint, t)));
        });
        assertEqualArrays(bytesAt(rt, t, yp, n), want, `${rt.build} qadd n=${n} ${t} bLength ${bLength}`);
        for (const q of [yp, bp, ap]) rt.arena.free(q);
      }
    }
  });

  test(`${rt.build}: QGlobalAveragePool and QAveragePool with float requantization`, () => {
    const rand = rng(13);
    for (let c = 0; c < 40; c++) {
      const t: QuantDType = pick(rand, ['int8', 'uint8']);
      const [lo, hi] = range(t);
      const planes = pick(rand, [1, 3, 17]);
      const H = pick(rand, [1, 2, 5, 7, 9]);
      const W = pick(rand, [1, 3, 7, 16, 33]);
      const x = randQ(rand, t, planes * H * W);
      const qx = { scale: fr(0.01 + rand() * 0.1), zeroPoint: randomInt(rand, lo, hi) };
      const qy = { scale: fr(0.005 + rand() * 0.05), zeroPoint: randomInt(rand, lo, hi) };
      const xp = place(rt, x, 'x');
      // Global: the average of (x − zx) in float32.
      const gp = rt.arena.alloc(planes, 'g');
      qglobalAverageF32RqPtr(rt, planes, H * W, xp, gp, { x: qx, out: qy, dtype: t });
      const gWant = Array.from({ length: planes }, (_, pl) => {
        let s = 0;
        for (let i = 0; i < H * W; i++) s += x[pl * H * W + i] - qx.zeroPoint;
        return quantizeOracle(fr(fr(s / (H * W)) * qx.scale), qy.scale, qy.zeroPoint, t);
      });
      assertEqualArrays(bytesAt(rt, t, gp, planes), gWant, `${rt.build} global ${planes}x${H}x${W}`);
      // Windowed.
      const kh = randomInt(rand, 1, Math.min(3, H)), kw = randomInt(rand, 1, Math.min(4, W));
      const w: QAveragePoolF32Params = {
        x: qx, out: qy, dtype: t, kernel: [kh, kw], strides: [randomInt(rand, 1, 2), randomInt(rand, 1, 3)], dilations: [1, 1],
        pads: [randomInt(rand, 0, kh - 1), randomInt(rand, 0, kw - 1), randomInt(rand, 0, kh - 1), randomInt(rand, 0, kw - 1)],
        outSize: [0, 0], countIncludePad: rand() < 0.5,
      };
      w.outSize = [Math.floor((H + w.pads[0] + w.pads[2] - kh) / w.strides[0]) + 1, Math.floor((W + w.pads[1] + w.pads[3] - kw) / w.strides[1]) + 1];
      assert.ok(everyWindowCounts(H, W, w));
      const [OH, OW] = w.outSize;
      const op = rt.arena.alloc(planes * OH * OW, 'o');
      qaveragePoolF32RqPtr(rt, planes, H, W, xp, op, w);
      const want: number[] = [];
      for (let pl = 0; pl < planes; pl++) {
        for (let oy = 0; oy < OH; oy++) {
          for (let ox = 0; ox < OW; ox++) {
            let s = 0;
            let count = 0;
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * w.strides[0] - w.pads[0] + ky, ix = ox * w.strides[1] - w.pads[1] + kx;
                const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
                if (inside) s += x[(pl * H + iy) * W + ix] - qx.zeroPoint;
                if (inside || (w.countIncludePad && iy < H + w.pads[2] && ix < W + w.pads[3])) count++;
              }
            }
            want.push(quantizeOracle(fr(fr(s / count) * qx.scale), qy.scale, qy.zeroPoint, t));
          }
        }
      }
      assertEqualArrays(bytesAt(rt, t, op, planes * OH * OW), want, `${rt.build} avgpool ${planes}x${H}x${W} ${JSON.stringify(w)}`);
      for (const q of [op, gp, xp]) rt.arena.free(q);
    }
  });

  test(`${rt.build}: bad input to the float-rule quantization kernels`, () => {
    const p = rt.arena.alloc(64, 'p');
    expectEdgeRunError(() => quantizeF32Ptr(rt, -1, p, p, { scale: 1, zeroPoint: 0 }), 'InvalidArgument', /n must be/);
    expectEdgeRunError(() => quantizeF32Ptr(rt, 4, p, p, { scale: 0, zeroPoint: 0 }), 'InvalidArgument', /params\.scale/);
    expectEdgeRunError(() => quantizeF32Ptr(rt, 4, p, p, { scale: 1, zeroPoint: 200 }), 'InvalidArgument', /zeroPoint/);
    expectEdgeRunError(() => quantizeF32Ptr(rt, 4, p, p, { scale: 1, zeroPoint: 0, dtype: 'int4' as 'int8' }), 'DTypeMismatch', /dtype/);
    expectEdgeRunError(() => quantizeF32Ptr(rt, 1 << 30, p, p, { scale: 1, zeroPoint: 0 }), 'InvalidArgument', /past the end/);
    expectEdgeRunError(() => dequantizeF32Ptr(rt, 4, p, p, { scale: NaN, zeroPoint: 0 }), 'InvalidArgument', /scale/);
    const q = { a: { scale: 1, zeroPoint: 0 }, b: { scale: 1, zeroPoint: 0 }, out: { scale: 1, zeroPoint: 0 } };
    expectEdgeRunError(() => qaddF32RqPtr(rt, 4, p, p, 3, p, q), 'ShapeMismatch', /b has 3/);
    expectEdgeRunError(() => qaddF32RqPtr(rt, 4, p, p, 4, p, { ...q, range: [10, 5] }), 'InvalidArgument', /range/);
    expectEdgeRunError(() => qaddF32RqPtr(rt, 4, p, p, 4, p, { ...q, b: { scale: -1, zeroPoint: 0 } }), 'InvalidArgument', /b\.scale/);
    expectEdgeRunError(() => qglobalAverageF32RqPtr(rt, 1, 70000, p, p, { x: q.a, out: q.out }), 'InvalidArgument', /size/);
    const win: QAveragePoolF32Params = { x: q.a, out: q.out, kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], outSize: [2, 2], countIncludePad: false };
    expectEdgeRunError(() => qaveragePoolF32RqPtr(rt, 1, 3, 3, p, p, { ...win, pads: [3, 0, 0, 0], outSize: [4, 2] }), 'InvalidArgument', /counts no tap/);
    expectEdgeRunError(() => qaveragePoolF32RqPtr(rt, 1, 3, 3, p, p, { ...win, kernel: [0, 2] }), 'InvalidArgument', /kernel/);
    rt.arena.free(p);
  });
}

test.run();
