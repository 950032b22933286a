// Reductions and ArgMax/ArgMin on every runtime against a naive reference that visits every input
// element and files it under its output coordinate; axes as attribute and as input (by opset),
// keepdims, noop_with_empty_axes, integer and float16 inputs, ties, and the bad inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, floatToHalf, halfToFloat, type DType } from '../engine/tensor.js';
import { RUNTIMES } from './helpers/runtimes.js';
import { assertClose } from './helpers/compare.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { assertSameTensor, coordsOf, expectRejection, int64, loadNode, offsetOf, randomTensor, runNode } from './op-harness.js';

const OPS = ['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp'] as const;
type Op = (typeof OPS)[number];

/** Groups the elements by output coordinate, then applies the definition of each reduction. */
function naiveReduce(op: Op, values: number[], dims: number[], axes: number[], keepdims: boolean): { data: number[]; dims: number[] } {
  const outDims = dims.map((d, a) => (axes.includes(a) ? 1 : d));
  const groups: number[][] = Array.from({ length: outDims.reduce((p, d) => p * d, 1) }, () => []);
  values.forEach((v, i) => {
    const c = coordsOf(i, dims).map((x, a) => (axes.includes(a) ? 0 : x));
    groups[offsetOf(c, outDims)].push(v);
  });
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const data = groups.map((g) => {
    switch (op) {
      case 'ReduceMax': return Math.max(...g);
      case 'ReduceMin': return Math.min(...g);
      case 'ReduceMean': return sum(g) / g.length;
      case 'ReduceSum': return sum(g);
      case 'ReduceProd': return g.reduce((p, x) => p * x, 1);
      case 'ReduceSumSquare': return sum(g.map((x) => x * x));
      case 'ReduceL1': return sum(g.map(Math.abs));
      case 'ReduceL2': return Math.sqrt(sum(g.map((x) => x * x)));
      case 'ReduceLogSum': return Math.log(sum(g));
      case 'ReduceLogSumExp': return Math.log(sum(g.map(Math.exp)));
    }
  });
  return { data, dims: keepdims ? outDims : dims.filter((_, a) => !axes.includes(a)) };
}

function randomAxes(rand: () => number, rank: number): number[] {
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => rand() < 0.5);
  return axes.length ? axes : [randomInt(rand, 0, rank - 1)];
}

test('every reduction over random axes (attribute and input forms), keepdims on and off, float32', async () => {
  const rand = rng(81);
  for (let t = 0; t < 30; t++) {
    const op = OPS[t % OPS.length];
    const rank = randomInt(rand, 1, 4);
    const dims = Array.from({ length: rank }, () => pick(rand, [1, 2, 3, 5, 7]));
    const axes = randomAxes(rand, rank);
    const keepdims = rand() < 0.5;
    // LogSum needs positive sums; Prod stays tame near 1.
    const lo = op === 'ReduceLogSum' ? 0.1 : op === 'ReduceProd' ? 0.5 : -3;
    const values = Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => lo + (op === 'ReduceProd' ? 1 : 6) * rand());
    const x = new Tensor('float32', values, dims);
    const ref = naiveReduce(op, Array.from(x.data as Float32Array), dims, axes, keepdims);
    const given = axes.map((a) => (rand() < 0.5 ? a - rank : a));
    for (const rt of RUNTIMES) {
      // Opset 13: axes attribute (ReduceSum: input); opset 18: axes input for all.
      const byAttr = op !== 'ReduceSum';
      const [a] = await runNode(rt, { op, opset: 13, inputs: byAttr ? [['x', 'float32', dims]] : [['x', 'float32', dims], int64(given)], attrs: { keepdims: keepdims ? 1 : 0, axes: byAttr ? given : undefined } }, { x });
      const [b] = await runNode(rt, { op, opset: 18, inputs: [['x', 'float32', dims], int64(given)], attrs: { keepdims: keepdims ? 1 : 0 } }, { x });
      for (const [y, form] of [[a, 'opset 13'], [b, 'opset 18']] as const) {
        const what = `seed 81 case ${t} ${op} ${form} ${rt.build}: [${dims}] axes [${given}] keepdims ${keepdims}`;
        assert.equal([...y.dims], ref.dims, `${what}: dims`);
        assertClose(y.data as Float32Array, ref.data, { rtol: 1e-5, atol: 1e-6 }, what);
      }
    }
  }
});

test('no axes reduces everything; noop_with_empty_axes passes the input through', async () => {
  const rand = rng(82);
  const x = randomTensor(rand, 'float32', [3, 4]);
  const total = Array.from(x.data as Float32Array).reduce((s, v) => s + v * v, 0);
  for (const rt of RUNTIMES) {
    const [all] = await runNode(rt, { op: 'ReduceSumSquare', opset: 18, inputs: [['x', 'float32', [3, 4]]], attrs: { keepdims: 0 } }, { x });
    assert.equal([...all.dims], []);
    assertClose(all.data as Float32Array, [total], { rtol: 1e-5, atol: 0 }, `all axes ${rt.build}`);
    const [same] = await runNode(rt, { op: 'ReduceSumSquare', opset: 18, inputs: [['x', 'float32', [3, 4]], int64([])], attrs: { noop_with_empty_axes: 1 } }, { x });
    assertSameTensor(same, x, `noop ${rt.build}`);
    const [fed] = await runNode(rt, { op: 'ReduceSum', opset: 13, inputs: [['x', 'float32', [3, 4]], ['axes', 'int64', [1]]] }, { x, axes: int64([-1]) });
    const rows = [0, 1, 2].map((i) => Array.from((x.data as Float32Array).slice(4 * i, 4 * i + 4)).reduce((s, v) => s + v, 0));
    assert.equal([...fed.dims], [3, 1]);
    assertClose(fed.data as Float32Array, rows, { rtol: 1e-5, atol: 1e-6 }, `fed axes ${rt.build}`);
  }
});

test('integer and float16 inputs: sums and maxima in the input dtype, integer means truncate', async () => {
  const rand = rng(83);
  for (const dtype of ['int32', 'int64', 'uint8', 'int8', 'float16', 'float64'] as DType[]) {
    const dims = [3, 5, 2];
    const x = randomTensor(rand, dtype, dims);
    const values = dtype === 'float16' ? Array.from(x.data as Uint16Array, halfToFloat) : Array.from(x.data as ArrayLike<number | bigint>, Number);
    for (const op of ['ReduceSum', 'ReduceMax', 'ReduceMean'] as const) {
      const ref = naiveReduce(op, values, dims, [1], true);
      const expectedValues = ref.data.map((v) => (dtype.startsWith('float') ? v : Math.trunc(v)));
      const expected =
        dtype === 'float16'
          ? new Tensor(dtype, Uint16Array.from(expectedValues, floatToHalf), ref.dims)
          : new Tensor(dtype, dtype === 'int64' ? expectedValues.map(BigInt) : expectedValues, ref.dims);
      for (const rt of RUNTIMES) {
        const [y] = await runNode(rt, { op, opset: 18, inputs: [['x', dtype, dims], int64([1])] }, { x });
        if (dtype === 'float16' || dtype === 'float64') {
          assert.is(y.type, dtype);
          assertClose(y.toNumbers(), expected.toNumbers(), { rtol: dtype === 'float16' ? 1e-3 : 1e-12, atol: 1e-3 }, `${op} ${dtype} ${rt.build}`);
        } else assertSameTensor(y, expected, `${op} ${dtype} ${rt.build}`);
      }
    }
  }
});

test('ArgMax/ArgMin: any axis, keepdims, ties to the first or (select_last_index) the last', async () => {
  const rand = rng(84);
  for (let t = 0; t < 30; t++) {
    const rank = randomInt(rand, 1, 4);
    const dims = Array.from({ length: rank }, () => pick(rand, [1, 2, 3, 5]));
    const axis = randomInt(rand, -rank, rank - 1);
    const a = axis < 0 ? axis + rank : axis;
    const keepdims = rand() < 0.5;
    const last = rand() < 0.5;
    const op = pick(rand, ['ArgMax', 'ArgMin']);
    const dtype = pick(rand, ['float32', 'int32', 'int64'] as DType[]);
    // Few distinct values, so ties are common.
    const raw = Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => randomInt(rand, 0, 3));
    const x = new Tensor(dtype, dtype === 'int64' ? raw.map(BigInt) : raw, dims);
    const outDims = dims.map((d, k) => (k === a ? 1 : d));
    const best = new Array<number>(outDims.reduce((p, d) => p * d, 1)).fill(-1);
    const bestValue = new Array<number>(best.length).fill(0);
    raw.forEach((v, i) => {
      const c = coordsOf(i, dims);
      const k = c[a];
      c[a] = 0;
      const o = offsetOf(c, outDims);
      const better = best[o] < 0 || (op === 'ArgMax' ? v > bestValue[o] : v < bestValue[o]) || (last && v === bestValue[o]);
      if (better) {
        best[o] = k;
        bestValue[o] = v;
      }
    });
    const expected = new Tensor('int64', best.map(BigInt), keepdims ? outDims : dims.filter((_, k) => k !== a));
    for (const rt of RUNTIMES) {
      const [y] = await runNode(rt, { op, inputs: [['x', dtype, dims]], attrs: { axis, keepdims: keepdims ? 1 : 0, select_last_index: last ? 1 : 0 } }, { x });
      assertSameTensor(y, expected, `seed 84 case ${t} ${op} ${dtype} ${rt.build}: [${dims}] axis ${axis} last ${last}`);
    }
  }
});

test('bad axes and non-numeric inputs are refused, naming model, node and tensor', async () => {
  await expectRejection(
    () => loadNode(RUNTIMES[0], { op: 'ReduceMean', model: 'r_model', node: 'rm', opset: 13, inputs: [['x', 'float32', [2, 3]]], attrs: { axes: [2] } }),
    'InvalidArgument',
    [/model 'r_model'/, /ReduceMean 'rm'/, /axes 2 is out of range for rank 2/],
  );
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'ReduceSum', opset: 13, inputs: [['x', 'float32', [2, 3]], int64([1, -1])] }), 'InvalidArgument', [/repeat an axis/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'ReduceMax', node: 'rb', opset: 18, inputs: [['flags', 'bool', [2]]] }), 'DTypeMismatch', [/ReduceMax 'rb'/, /input 0 \('flags'\) has type bool/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'ArgMax', inputs: [['x', 'float32', [2, 3]]], attrs: { axis: -3 } }), 'InvalidArgument', [/axis -3 is out of range/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'ArgMax', inputs: [['x', 'float32', [2, 0]]], attrs: { axis: 1 } }), 'ShapeMismatch', [/axis 1 of input 0 is empty/]);
});

test.run();
