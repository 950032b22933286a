// Cast against onnxruntime-web (edgerun's peer) on the values where casts get interesting:
// out-of-range floats into narrow integers, NaN, ±Inf, halves, float16 ties and subnormals.
// bfloat16 (which onnxruntime's JS API cannot carry) against a rounding written from its definition.
import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import { GraphBuilder } from '../engine/graph/builder.js';
import { saveModel } from '../engine/onnx/export.js';
import { DTYPE_TO_ONNX } from '../engine/onnx/tensor-proto.js';
import { Tensor, floatToHalf, type DType } from '../engine/tensor.js';
import { RUNTIMES } from './helpers/runtimes.js';
import { assertSameTensor, expectRejection, loadNode, runNode } from './op-harness.js';

ort.env.wasm.numThreads = 1;

const SPECIAL = [
  0, -0, 0.4, -0.7, 1.5, -1.5, 2.5, -2.5, 127.9, -128.9, 255.5, 256, 300.7, -300.7, 65535.9, 65536, -65537,
  2147483520, -2147483904, 3e9, -3e9, 4294967296, 1e10, -1e10, 1e20, -1e20, 9.3e18, -9.3e18, 2e19, NaN, Infinity, -Infinity,
];

const HALF_CASES = [
  1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 - 2 ** -12, 65504, 65519.99, 65520, -65520, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26,
  5.960464477539063e-8, 0.1, 1 / 3, -1e-9, 1e-4,
];

async function ortCast(x: Tensor, to: DType): Promise<Tensor> {
  const g = new GraphBuilder('cast', 13);
  const v = g.input('x', x.type, [...x.dims]);
  const y = g.op('Cast', [v], { to: DTYPE_TO_ONNX[to] });
  y.dtype = to;
  y.shape = [...x.dims];
  g.output(y, 'y');
  const session = await ort.InferenceSession.create(saveModel(g.build()), { executionProviders: ['wasm'] });
  const out = await session.run({ x: new ort.Tensor(x.type as 'float32', x.data as Float32Array, [...x.dims]) });
  await session.release();
  const data = out.y.data as Tensor['data'];
  return new Tensor(to, to === 'bool' ? Uint8Array.from(data as Uint8Array, Number) : data, [...x.dims]);
}

async function edgerunCast(x: Tensor, to: DType, rt = RUNTIMES[0]): Promise<Tensor> {
  const [y] = await runNode(rt, { op: 'Cast', inputs: [['x', x.type, [...x.dims]]], attrs: { to: DTYPE_TO_ONNX[to] } }, { x });
  return y;
}

const INTS: DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

test('float32/float64 → every integer type and bool: as onnxruntime-web (truncate, saturate, wrap)', async () => {
  for (const from of ['float32', 'float64'] as const) {
    const x = new Tensor(from, SPECIAL, [SPECIAL.length]);
    for (const to of INTS) {
      const expected = await ortCast(x, to);
      for (const rt of RUNTIMES) assertSameTensor(await edgerunCast(x, to, rt), expected, `${from} → ${to} (${rt.build})`);
    }
  }
});

test('float32/float64/int32/int64 → float16 rounds to nearest even, overflows to ±Inf, keeps subnormals', async () => {
  const cases: [DType, number[]][] = [
    ['float32', [...HALF_CASES, ...SPECIAL]],
    ['float64', [...HALF_CASES, ...SPECIAL]],
    ['int32', [0, 1, -7, 2049, 2051, 65504, 65519, 65520, 2147483647]],
  ];
  for (const [from, values] of cases) {
    const x = new Tensor(from, values, [values.length]);
    const expected = await ortCast(x, 'float16');
    for (const rt of RUNTIMES) assertSameTensor(await edgerunCast(x, 'float16', rt), expected, `${from} → float16 (${rt.build})`);
  }
});

test('float16 → float32/int8/int64, integers → narrower integers and floats, bool → float: as onnxruntime-web', async () => {
  const half = new Tensor('float16', Uint16Array.from([...HALF_CASES, ...SPECIAL, -300.5, 1000.5], floatToHalf), [HALF_CASES.length + SPECIAL.length + 2]);
  const ints = new Tensor('int32', [0, 1, -1, 127, 128, -129, 255, 256, 65535, -65536, 2147483647, -2147483648, 16777217], [13]);
  const longs = new Tensor('int64', [0n, -1n, 255n, 2n ** 40n + 3n, -(2n ** 40n) - 1n, 2n ** 62n, -(2n ** 63n), 9007199254740993n], [8]);
  const bytes = new Tensor('uint8', [0, 1, 127, 128, 255], [5]);
  const bools = new Tensor('bool', Uint8Array.from([0, 1, 1, 0]), [4]);
  const cases: [Tensor, DType[]][] = [
    [half, ['float32', 'float64', 'int8', 'uint8', 'int32', 'int64', 'bool']],
    [ints, ['int8', 'uint8', 'int16', 'uint16', 'uint32', 'int64', 'float32', 'float64', 'bool']],
    [longs, ['int8', 'uint8', 'int32', 'uint32', 'uint64', 'float32', 'float64', 'bool']],
    [bytes, ['int8', 'int64', 'float32', 'float16']],
    [bools, ['float32', 'int32', 'int64']],
  ];
  for (const [x, targets] of cases) {
    for (const to of targets) {
      const expected = await ortCast(x, to);
      for (const rt of RUNTIMES) assertSameTensor(await edgerunCast(x, to, rt), expected, `${x.type} → ${to} (${rt.build})`);
    }
  }
});

/** bfloat16 by its definition: the nearer of the two neighbouring bfloat16 values, ties to the even one. */
function bf16Reference(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0];
  if (Number.isNaN(x)) return (bits >>> 16) | 0x40;
  const lo = bits >>> 16;
  // The pattern after the largest finite one stands for 2^128 here: halfway to it rounds to Inf.
  const value = (b: number) => ((b & 0x7fff) === 0x7f80 ? (b & 0x8000 ? -1 : 1) * 2 ** 128 : new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  const hi = lo + 1;
  if ((lo & 0x7f80) === 0x7f80) return lo; // ±Inf stays
  const dLo = Math.abs(f[0] - value(lo));
  const dHi = Math.abs(value(hi) - f[0]);
  return dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
}

test('float32 → bfloat16 rounds to nearest even; bfloat16 → float32 is exact', async () => {
  const values = [0, -0, 1, 1.00390625, 1.01171875, 1.0078125, -1.0078125, 3.1415927, -2.71828, 0.47892547, 1e-40, 3.3e38, 3.4e38, -3.4e38, 65504.7, Infinity, -Infinity, NaN];
  const x = new Tensor('float32', values, [values.length]);
  const expected = new Tensor('bfloat16', Uint16Array.from(values, bf16Reference), [values.length]);
  for (const rt of RUNTIMES) {
    const y = await edgerunCast(x, 'bfloat16', rt);
    assertSameTensor(y, expected, `float32 → bfloat16 (${rt.build})`);
    const back = await edgerunCast(y, 'float32', rt);
    const exact = new Tensor('float32', Float32Array.from(expected.data as Uint16Array, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]), [values.length]);
    assertSameTensor(back, exact, `bfloat16 → float32 (${rt.build})`);
  }
});

test('Cast to or from string is an UnsupportedFeature naming model and node; unknown types are refused', async () => {
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Cast', model: 'cast_model', node: 'c', inputs: [['x', 'float32', [2]]], attrs: { to: 8 } }), 'UnsupportedFeature', [
    /model 'cast_model'/,
    /Cast 'c'/,
    /input 0 \('x'\) from float32 to string/,
  ]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Cast', inputs: [['x', 'float32', [2]]], attrs: { to: 17 } }), 'UnsupportedFeature', [/'to' = 17/]);
});

test.run();
