// Slice (negative steps, negative axes, INT64 sentinels, opset-1 attributes, fed starts) and Pad
// (constant/reflect/edge/wrap, negative pads, odd sizes) against references written from the
// Python slicing rules and numpy.pad's definition, plus their bad inputs.
import { test } from 'uvu';
import { Tensor, type DType } from '../engine/tensor.js';
import { RUNTIMES } from './helpers/runtimes.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { assertSameTensor, expectRejection, gatherBy, int64, loadNode, randomTensor, runNode } from './op-harness.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Python's slice(start, stop, step).indices(dim), enumerated. */
function pythonRange(dim: number, start: number, stop: number, step: number): number[] {
  const lower = step < 0 ? -1 : 0;
  const upper = step < 0 ? dim - 1 : dim;
  const fix = (v: number) => (v < 0 ? Math.max(v + dim, lower) : Math.min(v, upper));
  const out: number[] = [];
  for (let i = fix(start); step > 0 ? i < fix(stop) : i > fix(stop); i += step) out.push(i);
  return out;
}

test('Slice: random starts/ends/steps (negative too), negative axes, sentinels, every width', async () => {
  const rand = rng(61);
  const big = (v: number) => (v > 1000 ? INT64_MAX : v < -1000 ? INT64_MIN : BigInt(v));
  for (let t = 0; t < 40; t++) {
    const rank = randomInt(rand, 1, 4);
    const dims = Array.from({ length: rank }, () => pick(rand, [1, 2, 3, 5, 8, 17]));
    const axes = Array.from({ length: rank }, (_, i) => i).filter(() => rand() < 0.7);
    if (axes.length === 0) axes.push(0);
    const starts: number[] = [];
    const ends: number[] = [];
    const steps: number[] = [];
    for (const a of axes) {
      const d = dims[a];
      steps.push(pick(rand, [1, 1, 2, 3, -1, -2]));
      starts.push(pick(rand, [0, 1, -1, d, -d - 3, randomInt(rand, -d, d), 5000, -5000]));
      ends.push(pick(rand, [0, d, -1, randomInt(rand, -d - 2, d + 2), 5000, -5000]));
    }
    const ranges = dims.map((d, a) => {
      const k = axes.indexOf(a);
      if (k < 0) return Array.from({ length: d }, (_, i) => i);
      // The sentinels mean "past either end".
      return pythonRange(d, starts[k] > 1000 ? 2 ** 62 : starts[k] < -1000 ? -(2 ** 62) : starts[k], ends[k] > 1000 ? 2 ** 62 : ends[k] < -1000 ? -(2 ** 62) : ends[k], steps[k]);
    });
    const dtype = pick(rand, ['float32', 'int64', 'uint8', 'float16'] as DType[]);
    const x = randomTensor(rand, dtype, dims);
    const expected = gatherBy(x, ranges.map((r) => r.length), (c) => c.map((i, a) => ranges[a][i]));
    const negAxes = axes.map((a) => (rand() < 0.5 ? a - rank : a));
    const consts = [starts, ends, negAxes, steps].map((v) => new Tensor('int64', v.map(big), [v.length]));
    for (const rt of RUNTIMES) {
      const [y] = await runNode(rt, { op: 'Slice', inputs: [['x', dtype, dims], ...consts] }, { x });
      assertSameTensor(y, expected, `seed 61 case ${t} ${rt.build}: dims [${dims}] axes [${negAxes}] starts [${starts}] ends [${ends}] steps [${steps}]`);
    }
  }
});

test('Slice: opset-1 attributes, omitted axes/steps, starts fed at run time', async () => {
  const rand = rng(62);
  const x = randomTensor(rand, 'float32', [4, 6]);
  const expected = gatherBy(x, [2, 3], ([i, j]) => [i + 1, j + 2]);
  for (const rt of RUNTIMES) {
    const [a] = await runNode(rt, { op: 'Slice', opset: 1, inputs: [['x', 'float32', [4, 6]]], attrs: { starts: [1, 2], ends: [3, 5] } }, { x });
    assertSameTensor(a, expected, `opset 1 ${rt.build}`);
    const [b] = await runNode(rt, { op: 'Slice', inputs: [['x', 'float32', [4, 6]], int64([1, 2]), int64([3, 5])] }, { x });
    assertSameTensor(b, expected, `no axes/steps ${rt.build}`);
    const [c] = await runNode(rt, { op: 'Slice', inputs: [['x', 'float32', [4, 6]], ['s', 'int64', [2]], ['e', 'int64', [2]]] }, { x, s: int64([1, 2]), e: int64([3, 5]) });
    assertSameTensor(c, expected, `fed starts/ends ${rt.build}`);
    // Reversal: steps -1 from the end to past the beginning.
    const [d] = await runNode(rt, { op: 'Slice', inputs: [['x', 'float32', [4, 6]], int64([-1]), int64([INT64_MIN]), int64([1]), int64([-1])] }, { x });
    assertSameTensor(d, gatherBy(x, [4, 6], ([i, j]) => [i, 5 - j]), `reverse ${rt.build}`);
  }
});

test('Slice refuses steps of 0, repeated axes and mismatched lengths, naming the node', async () => {
  const x: [string, DType, number[]] = ['x', 'float32', [4, 6]];
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Slice', model: 'slice_model', node: 'sl', inputs: [x, int64([0]), int64([2]), int64([1]), int64([0])] }), 'InvalidArgument', [
    /model 'slice_model'/,
    /Slice 'sl'/,
    /step of 0/,
  ]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Slice', inputs: [x, int64([0, 0]), int64([2, 2]), int64([1, -1])] }), 'InvalidArgument', [/names axis 1 twice/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Slice', inputs: [x, int64([0, 0]), int64([2])] }), 'InvalidArgument', [/ends has 1/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Slice', inputs: [x, int64([0]), int64([2]), int64([2])] }), 'InvalidArgument', [/axes 2 is out of range for rank 2/]);
});

/** numpy.pad's definitions, one coordinate at a time. */
function padSource(mode: string, i: number, dim: number): number {
  if (mode === 'edge') return Math.min(dim - 1, Math.max(0, i));
  if (mode === 'wrap') return ((i % dim) + dim) % dim;
  // reflect: bounce off both ends until inside.
  if (dim === 1) return 0;
  while (i < 0 || i >= dim) i = i < 0 ? -i : 2 * (dim - 1) - i;
  return i;
}

test('Pad: constant/reflect/edge/wrap on odd sizes with positive and negative pads, every width', async () => {
  const rand = rng(71);
  for (let t = 0; t < 40; t++) {
    const rank = randomInt(rand, 1, 4);
    const dims = Array.from({ length: rank }, () => pick(rand, [1, 2, 3, 5, 7]));
    const mode = pick(rand, ['constant', 'reflect', 'edge', 'wrap']);
    const pads = [...dims, ...dims].map((d) => {
      // reflect needs pads < dim (as onnxruntime); crop at most the whole axis.
      const hi = mode === 'reflect' ? d - 1 : 4;
      return pick(rand, [0, randomInt(rand, 0, hi), mode === 'constant' ? -randomInt(rand, 0, Math.floor(d / 2)) : 0]);
    });
    const outDims = dims.map((d, a) => d + pads[a] + pads[a + rank]);
    const dtype = pick(rand, ['float32', 'int64', 'uint8', 'float16', 'int32'] as DType[]);
    const x = randomTensor(rand, dtype, dims);
    const fill = randomTensor(rand, dtype, []);
    // The reference works on a copy of x with the pad value appended as element "size".
    const ext = new Tensor(dtype, [...Array.from(x.data as ArrayLike<number>), (fill.data as ArrayLike<number>)[0]], [x.size + 1]);
    const strides = dims.map((_, a) => dims.slice(a + 1).reduce((p, d) => p * d, 1));
    const expected = gatherBy(ext, outDims, (c) => {
      let off = 0;
      for (let a = 0; a < rank; a++) {
        let i = c[a] - pads[a];
        if (i < 0 || i >= dims[a]) {
          if (mode === 'constant') return [x.size];
          i = padSource(mode, i, dims[a]);
        }
        off += i * strides[a];
      }
      return [off];
    });
    const inputs: NonNullable<Parameters<typeof runNode>[1]['inputs']> = [['x', dtype, dims], int64(pads)];
    if (mode === 'constant') inputs.push(fill);
    for (const rt of RUNTIMES) {
      const opset = mode === 'wrap' ? 19 : 13;
      const [y] = await runNode(rt, { op: 'Pad', opset, inputs, attrs: { mode } }, { x });
      assertSameTensor(y, expected, `seed 71 case ${t} ${rt.build}: ${mode} ${dtype} [${dims}] pads [${pads}]`);
    }
  }
});

test('Pad: opset-2 attributes (value), axes input (opset 18), value fed at run time', async () => {
  const rand = rng(72);
  const x = randomTensor(rand, 'float32', [2, 3]);
  const expected = gatherBy(new Tensor('float32', [...(x.data as Float32Array), 1.5], [7]), [3, 5], ([i, j]) => (i >= 1 && j >= 1 && j <= 3 ? [(i - 1) * 3 + j - 1] : [6]));
  for (const rt of RUNTIMES) {
    const [a] = await runNode(rt, { op: 'Pad', opset: 2, inputs: [['x', 'float32', [2, 3]]], attrs: { pads: [1, 1, 0, 1], value: 1.5 } }, { x });
    assertSameTensor(a, expected, `opset 2 ${rt.build}`);
    const v = new Tensor('float32', [1.5], []);
    const [b] = await runNode(rt, { op: 'Pad', opset: 18, inputs: [['x', 'float32', [2, 3]], int64([1, 1, 0, 1]), v, int64([0, -1])] }, { x });
    assertSameTensor(b, expected, `axes ${rt.build}`);
    const [c] = await runNode(rt, { op: 'Pad', opset: 13, inputs: [['x', 'float32', [2, 3]], int64([1, 1, 0, 1]), ['v', 'float32', []]] }, { x, v });
    assertSameTensor(c, expected, `fed value ${rt.build}`);
  }
});

test('Pad refuses pads of the wrong length, crops below zero and unknown modes', async () => {
  const x: [string, DType, number[]] = ['x', 'float32', [2, 3]];
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Pad', model: 'pad_model', node: 'pd', inputs: [x, int64([1, 1, 1])] }), 'InvalidArgument', [
    /model 'pad_model'/,
    /Pad 'pd'/,
    /pads \[1, 1, 1\] has 3 values/,
    /data \('x'\)/,
  ]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Pad', inputs: [x, int64([0, -2, 0, -2])] }), 'ShapeMismatch', [/crop axis 1 of size 3 below zero/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Pad', inputs: [x, int64([0, 0, 0, 0])], attrs: { mode: 'mirror' } }), 'InvalidArgument', [/mode 'mirror'/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Pad', inputs: [x, int64([0, 0, 0, 0]), new Tensor('int32', [1], [])] }), 'DTypeMismatch', [/constant_value/]);
});

test.run();
