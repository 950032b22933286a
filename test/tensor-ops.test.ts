// Transpose, Concat, Split, Gather, DepthToSpace, SpaceToDepth on every runtime against naive
// coordinate-by-coordinate references, on random shapes (odd sizes, every dtype width), plus the
// bad inputs each must refuse with an EdgeRunError naming model, node and tensor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, type DType } from '../engine/tensor.js';
import { StridedCopy } from '../engine/backends/cpu/ops/strided-copy.js';
import { RUNTIMES } from './helpers/runtimes.js';
import { pick, randomInt, rng } from './helpers/random.js';
import { assertSameTensor, coordsOf, expectRejection, loadNode, gatherBy, int64, offsetOf, randomTensor, runNode, stridesOf } from './op-harness.js';

const DTYPES: DType[] = ['float32', 'int64', 'uint8', 'float16', 'int32', 'bool', 'float64'];
const SIZES = [1, 2, 3, 5, 7, 17];

function randomDims(rand: () => number, rank: number, sizes: readonly number[] = SIZES): number[] {
  return Array.from({ length: rank }, () => pick(rand, sizes));
}

function shuffled(rand: () => number, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rand, 0, i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

test('Transpose: random perms of rank 1..5 tensors of every element width match the naive reference', async () => {
  const rand = rng(11);
  for (let t = 0; t < 40; t++) {
    const rank = randomInt(rand, 1, 5);
    const dims = randomDims(rand, rank, rank === 5 ? [1, 2, 3, 5] : SIZES);
    const perm = shuffled(rand, rank);
    const dtype = pick(rand, DTYPES);
    const x = randomTensor(rand, dtype, dims);
    const expected = gatherBy(x, perm.map((a) => dims[a]), (c) => {
      const src = new Array<number>(rank);
      perm.forEach((a, i) => (src[a] = c[i]));
      return src;
    });
    for (const rt of RUNTIMES) {
      const [y] = await runNode(rt, { op: 'Transpose', inputs: [['x', dtype, dims]], attrs: { perm } }, { x });
      assertSameTensor(y, expected, `seed 11 case ${t} ${rt.build}: ${dtype} [${dims}] perm [${perm}]`);
    }
  }
});

test('Transpose: the default perm reverses the axes; ShuffleNet channel shuffle moves whole H×W planes', async () => {
  const rand = rng(12);
  const x = randomTensor(rand, 'float32', [2, 3, 4]);
  const [y] = await runNode(RUNTIMES[0], { op: 'Transpose', inputs: [['x', 'float32', [2, 3, 4]]] }, { x });
  assertSameTensor(y, gatherBy(x, [4, 3, 2], ([a, b, c]) => [c, b, a]), 'default perm');

  const dims = [1, 2, 58, 28, 28];
  const s = new Tensor('float32', Float32Array.from({ length: 2 * 58 * 784 }, (_, i) => i), dims);
  const perm = [0, 2, 1, 3, 4];
  for (const rt of RUNTIMES) {
    const [z] = await runNode(rt, { op: 'Transpose', inputs: [['x', 'float32', dims]], attrs: { perm } }, { x: s });
    assertSameTensor(z, gatherBy(s, [1, 58, 2, 28, 28], ([n, c, g, h, w]) => [n, g, c, h, w]), `channel shuffle ${rt.build}`);
  }
  // The plan behind it: 116 moves of 784 contiguous floats.
  const inStrides = stridesOf(dims);
  const copy = new StridedCopy(4, [1, 58, 2, 28, 28], perm.map((a) => inStrides[a]), stridesOf([1, 58, 2, 28, 28]));
  assert.equal(copy.dims, [58, 2, 784]);
  assert.equal(copy.src.at(-1), 1);
});

test('Concat: random axis and inputs of every width, incl. empty parts, match the naive reference', async () => {
  const rand = rng(21);
  for (let t = 0; t < 40; t++) {
    const rank = randomInt(rand, 1, 4);
    const base = randomDims(rand, rank);
    const axis = randomInt(rand, -rank, rank - 1);
    const a = axis < 0 ? axis + rank : axis;
    const dtype = pick(rand, DTYPES);
    const count = randomInt(rand, 1, 4);
    const parts = Array.from({ length: count }, () => {
      const dims = [...base];
      dims[a] = randomInt(rand, 0, 6);
      return randomTensor(rand, dtype, dims);
    });
    const outDims = [...base];
    outDims[a] = parts.reduce((s, p) => s + p.dims[a], 0);
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((s, p) => s + p.dims[a], 0));
    // Reference: each output coordinate finds its part by the axis coordinate.
    const data = new (parts[0].data.constructor as new (n: number) => Float32Array)(outDims.reduce((x, y) => x * y, 1));
    for (let i = 0; i < data.length; i++) {
      const c = coordsOf(i, outDims);
      const k = starts.findLastIndex((s, j) => c[a] >= s && c[a] < s + parts[j].dims[a]);
      c[a] -= starts[k];
      data[i] = (parts[k].data as Float32Array)[offsetOf(c, parts[k].dims)];
    }
    const expected = new Tensor(dtype, data, outDims);
    const feeds = Object.fromEntries(parts.map((p, i) => [`x${i}`, p]));
    for (const rt of RUNTIMES) {
      const [y] = await runNode(rt, { op: 'Concat', inputs: parts.map((p, i) => [`x${i}`, dtype, [...p.dims]]), attrs: { axis } }, feeds);
      assertSameTensor(y, expected, `seed 21 case ${t} ${rt.build}: ${dtype} axis ${axis} parts ${parts.map((p) => `[${p.dims}]`).join(' ')}`);
    }
  }
});

test('Split: sizes from the attribute (opset 11), the input (13), num_outputs (18, uneven) and equal parts', async () => {
  const rand = rng(31);
  const x = randomTensor(rand, 'float32', [3, 10, 2]);
  const cases: { opset: number; attrs: Record<string, number | number[]>; split?: number[]; outputs: number; sizes: number[] }[] = [
    { opset: 11, attrs: { axis: 1, split: [2, 5, 3] }, outputs: 3, sizes: [2, 5, 3] },
    { opset: 13, attrs: { axis: -2 }, split: [0, 7, 3], outputs: 3, sizes: [0, 7, 3] },
    { opset: 18, attrs: { axis: 1, num_outputs: 4 }, outputs: 4, sizes: [3, 3, 3, 1] },
    { opset: 13, attrs: { axis: 1 }, outputs: 5, sizes: [2, 2, 2, 2, 2] },
  ];
  for (const c of cases) {
    for (const rt of RUNTIMES) {
      const inputs: NonNullable<Parameters<typeof runNode>[1]['inputs']> = [['x', 'float32', [3, 10, 2]]];
      if (c.split) inputs.push(int64(c.split));
      const ys = await runNode(rt, { op: 'Split', inputs, attrs: c.attrs, outputs: c.outputs, opset: c.opset }, { x });
      let at = 0;
      ys.forEach((y, k) => {
        const from = at;
        assertSameTensor(y, gatherBy(x, [3, c.sizes[k], 2], ([i, j, l]) => [i, j + from, l]), `opset ${c.opset} output ${k} ${rt.build}`);
        at += c.sizes[k];
      });
    }
  }
});

test('Gather: any axis, negative indices, int32/int64 and 2-D indices, every width', async () => {
  const rand = rng(41);
  for (let t = 0; t < 30; t++) {
    const rank = randomInt(rand, 1, 4);
    const dims = randomDims(rand, rank);
    const axis = randomInt(rand, -rank, rank - 1);
    const a = axis < 0 ? axis + rank : axis;
    const idxDims = randomDims(rand, randomInt(rand, 0, 2), [1, 2, 3, 4]);
    const n = idxDims.reduce((p, d) => p * d, 1);
    const raw = Array.from({ length: n }, () => randomInt(rand, -dims[a], dims[a] - 1));
    const idxType = pick(rand, ['int32', 'int64'] as const);
    const indices = new Tensor(idxType, idxType === 'int64' ? raw.map(BigInt) : raw, idxDims);
    const dtype = pick(rand, DTYPES);
    const x = randomTensor(rand, dtype, dims);
    const outDims = [...dims.slice(0, a), ...idxDims, ...dims.slice(a + 1)];
    const expected = gatherBy(x, outDims, (c) => {
      const k = raw[offsetOf(c.slice(a, a + idxDims.length), idxDims)];
      return [...c.slice(0, a), k < 0 ? k + dims[a] : k, ...c.slice(a + idxDims.length)];
    });
    for (const rt of RUNTIMES) {
      // Indices both as a constant and fed (read when the closure runs).
      const [y1] = await runNode(rt, { op: 'Gather', inputs: [['x', dtype, dims], indices], attrs: { axis } }, { x });
      const [y2] = await runNode(rt, { op: 'Gather', inputs: [['x', dtype, dims], ['i', idxType, idxDims]], attrs: { axis } }, { x, i: indices });
      assertSameTensor(y1, expected, `seed 41 case ${t} ${rt.build} constant indices`);
      assertSameTensor(y2, expected, `seed 41 case ${t} ${rt.build} fed indices`);
    }
  }
});

test('GatherElements: any axis, negative indices, indices smaller than data on the other axes', async () => {
  const rand = rng(45);
  for (let t = 0; t < 30; t++) {
    const rank = randomInt(rand, 1, 4);
    const dims = randomDims(rand, rank);
    const axis = randomInt(rand, -rank, rank - 1);
    const a = axis < 0 ? axis + rank : axis;
    const idxDims = dims.map((d, k) => (k === a ? randomInt(rand, 1, 4) : randomInt(rand, 1, d)));
    const raw = Array.from({ length: idxDims.reduce((p, d) => p * d, 1) }, () => randomInt(rand, -dims[a], dims[a] - 1));
    const idxType = pick(rand, ['int32', 'int64'] as const);
    const indices = new Tensor(idxType, idxType === 'int64' ? raw.map(BigInt) : raw, idxDims);
    const dtype = pick(rand, DTYPES);
    const x = randomTensor(rand, dtype, dims);
    const expected = gatherBy(x, idxDims, (c) => {
      const k = raw[offsetOf(c, idxDims)];
      const src = [...c];
      src[a] = k < 0 ? k + dims[a] : k;
      return src;
    });
    for (const rt of RUNTIMES) {
      const [y] = await runNode(rt, { op: 'GatherElements', inputs: [['x', dtype, dims], ['i', idxType, idxDims]], attrs: { axis } }, { x, i: indices });
      assertSameTensor(y, expected, `seed 45 case ${t} ${rt.build}: ${dtype} [${dims}] axis ${axis} indices [${idxDims}]`);
    }
  }
  await expectRejection(
    () => runNode(RUNTIMES[0], { op: 'GatherElements', model: 'ge_model', node: 'ge', inputs: [['x', 'float32', [2, 3]], ['i', 'int32', [1, 70]]], attrs: { axis: 0 } }, {
      x: new Tensor('float32', new Float32Array(6), [2, 3]),
      i: new Tensor('int32', new Int32Array(70), [1, 70]),
    }),
    'ShapeMismatch',
    [/model 'ge_model'/, /GatherElements 'ge'/, /indices \('i'\) has shape \[1, 70\]/],
  );
  await expectRejection(
    () => runNode(RUNTIMES[0], { op: 'GatherElements', model: 'ge_model', node: 'ge', inputs: [['x', 'float32', [2, 80]], ['i', 'int32', [1, 70]]], attrs: { axis: 0 } }, {
      x: new Tensor('float32', new Float32Array(160), [2, 80]),
      i: new Tensor('int32', new Int32Array(70).fill(2), [1, 70]),
    }),
    'InvalidArgument',
    [/GatherElements 'ge'/, /indices \('i'\) holds 2 at \[0\], out of range for axis 0 of size 2/],
  );
});

test('DepthToSpace (DCR, CRD) and SpaceToDepth match their index formulas; SpaceToDepth inverts DCR', async () => {
  const rand = rng(51);
  for (const [n, c, h, w, b] of [[1, 8, 3, 5, 2], [2, 18, 2, 3, 3], [1, 4, 1, 1, 2], [1, 3, 4, 4, 1]]) {
    const x = randomTensor(rand, 'float32', [n, c, h, w]);
    const cb = c / (b * b);
    const outDims = [n, cb, h * b, w * b];
    for (const rt of RUNTIMES) {
      const [dcr] = await runNode(rt, { op: 'DepthToSpace', inputs: [['x', 'float32', [n, c, h, w]]], attrs: { blocksize: b } }, { x });
      assertSameTensor(dcr, gatherBy(x, outDims, ([i, k, y, z]) => [i, ((y % b) * b + (z % b)) * cb + k, Math.floor(y / b), Math.floor(z / b)]), `DCR ${rt.build}`);
      const [crd] = await runNode(rt, { op: 'DepthToSpace', inputs: [['x', 'float32', [n, c, h, w]]], attrs: { blocksize: b, mode: 'CRD' } }, { x });
      assertSameTensor(crd, gatherBy(x, outDims, ([i, k, y, z]) => [i, k * b * b + (y % b) * b + (z % b), Math.floor(y / b), Math.floor(z / b)]), `CRD ${rt.build}`);
      const [back] = await runNode(rt, { op: 'SpaceToDepth', inputs: [['x', 'float32', outDims]], attrs: { blocksize: b } }, { x: dcr });
      assertSameTensor(back, x, `SpaceToDepth ∘ DepthToSpace ${rt.build}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Bad input: EdgeRunError naming the model, the node and the tensor.

test('Concat of mismatched ranks or dims is a ShapeMismatch naming model, node and input', async () => {
  await expectRejection(
    () => loadNode(RUNTIMES[0], { op: 'Concat', model: 'cat_model', node: 'cat1', inputs: [['a', 'float32', [1, 2, 3]], ['b', 'float32', [1, 2]]], attrs: { axis: 0 } }),
    'ShapeMismatch',
    [/model 'cat_model'/, /Concat 'cat1'/, /input 1 \('b'\) has rank 2/],
  );
  await expectRejection(
    () => loadNode(RUNTIMES[0], { op: 'Concat', model: 'cat_model', node: 'cat2', inputs: [['a', 'float32', [1, 2, 3]], ['b', 'float32', [1, 4, 3]]], attrs: { axis: 2 } }),
    'ShapeMismatch',
    [/model 'cat_model'/, /Concat 'cat2'/, /input 1 \('b'\)/, /dim 1 is 4/],
  );
  await expectRejection(
    () => loadNode(RUNTIMES[0], { op: 'Concat', model: 'cat_model', node: 'cat3', inputs: [['a', 'float32', [2]], ['b', 'int32', [2]]], attrs: { axis: 0 } }),
    'DTypeMismatch',
    [/Concat 'cat3'/, /input 1 \('b'\) has type int32/],
  );
});

test('Transpose with a perm that is not a permutation is an InvalidArgument naming the tensor', async () => {
  for (const perm of [[0, 0, 1], [0, 1], [0, 1, 3], [2, 1, -1]]) {
    await expectRejection(
      () => loadNode(RUNTIMES[0], { op: 'Transpose', model: 'tp_model', node: 'tp', inputs: [['x', 'float32', [2, 3, 4]]], attrs: { perm } }),
      'InvalidArgument',
      [/model 'tp_model'/, /Transpose 'tp'/, /not a permutation/, /data \('x'\)/],
    );
  }
});

test('Split sizes that do not sum to the axis, or count the outputs wrong, are refused', async () => {
  const x = ['x', 'float32', [2, 6]] as [string, DType, number[]];
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Split', model: 'split_model', node: 'sp', inputs: [x, int64([2, 3])], outputs: 2, attrs: { axis: 1 }, opset: 13 }), 'ShapeMismatch', [
    /model 'split_model'/,
    /Split 'sp'/,
    /sums to 5/,
    /input 0 \('x'\) has 6/,
  ]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Split', inputs: [x, int64([2, 2, 2])], outputs: 2, attrs: { axis: 1 }, opset: 13 }), 'InvalidArgument', [/3 sizes for 2 outputs/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'Split', inputs: [x], outputs: 4, attrs: { axis: 1 }, opset: 13 }), 'ShapeMismatch', [/does not split evenly into 4/]);
});

test('Gather indices out of range fail at load (constant), at plan (small feed) and at run (large feed)', async () => {
  const x = new Tensor('float32', new Float32Array(5 * 70), [5, 70]);
  await expectRejection(
    () => loadNode(RUNTIMES[0], { op: 'Gather', model: 'g_model', node: 'g', inputs: [['x', 'float32', [5, 70]], int64([0, 5])] }),
    'InvalidArgument',
    [/model 'g_model'/, /Gather 'g'/, /indices \('const'\) holds 5 at \[1\]/, /axis 0 of size 5/],
  );
  await expectRejection(
    () => runNode(RUNTIMES[0], { op: 'Gather', model: 'g_model', node: 'g', inputs: [['x', 'float32', [5, 70]], ['idx', 'int64', [2]]] }, { x, idx: int64([-6, 0]) }),
    'InvalidArgument',
    [/Gather 'g'/, /indices \('idx'\) holds -6/],
  );
  // 100 int32 indices are no shape-like feed: the kernel checks them as it runs.
  const many = new Tensor('int32', Int32Array.from({ length: 100 }, (_, i) => (i === 97 ? 70 : i % 70)), [100]);
  for (const rt of RUNTIMES) {
    await expectRejection(
      () => runNode(rt, { op: 'Gather', model: 'g_model', node: 'g', inputs: [['x', 'float32', [5, 70]], ['idx', 'int32', [100]]], attrs: { axis: 1 } }, { x, idx: many }),
      'InvalidArgument',
      [/model 'g_model'/, /Gather 'g'/, /indices \('idx'\) holds 70 at \[97\]/, /axis 1 of size 70/],
    );
  }
});

test('DepthToSpace and SpaceToDepth refuse sizes the block does not divide', async () => {
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'DepthToSpace', inputs: [['x', 'float32', [1, 6, 2, 2]]], attrs: { blocksize: 2 } }), 'ShapeMismatch', [/6 channels/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'SpaceToDepth', inputs: [['x', 'float32', [1, 1, 3, 4]]], attrs: { blocksize: 2 } }), 'ShapeMismatch', [/height 3/]);
  await expectRejection(() => loadNode(RUNTIMES[0], { op: 'DepthToSpace', inputs: [['x', 'float32', [1, 4, 2, 2]]], attrs: { blocksize: 2, mode: 'XYZ' } }), 'InvalidArgument', [/mode 'XYZ'/]);
});

test.run();
