// bench/onnx-model.ts: the models it writes decode to what was asked for, and onnxruntime-web
// runs them to the numbers computed here by hand.
import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildOnnxModel } from '../bench/onnx-model.js';
import { decodeModelProto, int64ToNumber, onnx } from '../engine/onnx/proto.js';
import { assertClose } from './helpers/compare.js';
import { randomF32, rng } from './helpers/random.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

ort.env.wasm.numThreads = 1;
const { AttributeType } = onnx.AttributeProto;

test('header, values, initializers and attribute types decode as specified', () => {
  const w = new Float32Array([1, -2.5, 3, 4.25, 0, 6]);
  const m = decodeModelProto(buildOnnxModel({
    inputs: [{ name: 'x', dims: [1, 3] }],
    outputs: [{ name: 'y', dims: [1, 2] }],
    initializers: [{ name: 'w', dims: [3, 2], data: w }],
    nodes: [{
      op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'c0',
      attrs: { group: 2, alpha: 0.5, pads: [1, 1, 0, 0], scales: [0.5, 2], mode: 'same', k: new Float32Array([7, 8]),
        one: { float: 1 }, ones: { floats: [1, 2] }, i: { int: 3 }, is: { ints: [4] }, t: { tensor: new Float32Array([9]), dims: [1, 1] } },
    }],
  }));
  assert.is(int64ToNumber(m.irVersion), 8);
  assert.equal(m.opsetImport.map((o) => [o.domain, int64ToNumber(o.version)]), [['', 17]]);
  const g = m.graph!;
  assert.equal(g.input[0].type?.tensorType?.shape?.dim.map((d) => int64ToNumber(d.dimValue)), [1, 3]);
  assert.is(g.output[0].type?.tensorType?.elemType, onnx.TensorProto.DataType.FLOAT);
  const init = g.initializer[0];
  assert.equal([init.name, init.dims.map((d) => int64ToNumber(d)), init.dataType], ['w', [3, 2], 1]);
  const raw = new DataView(init.rawData.buffer, init.rawData.byteOffset, init.rawData.byteLength);
  assert.equal(Array.from({ length: 6 }, (_, i) => raw.getFloat32(i * 4, true)), Array.from(w));
  const node = g.node[0];
  assert.equal([node.name, node.opType, node.input, node.output], ['c0', 'Conv', ['x', 'w'], ['y']]);
  const a = Object.fromEntries(node.attribute.map((x) => [x.name, x]));
  assert.equal(
    Object.fromEntries(node.attribute.map((x) => [x.name, x.type])),
    { group: AttributeType.INT, alpha: AttributeType.FLOAT, pads: AttributeType.INTS, scales: AttributeType.FLOATS, mode: AttributeType.STRING,
      k: AttributeType.TENSOR, one: AttributeType.FLOAT, ones: AttributeType.FLOATS, i: AttributeType.INT, is: AttributeType.INTS, t: AttributeType.TENSOR },
  );
  assert.is(int64ToNumber(a.group.i), 2);
  assert.is(a.alpha.f, 0.5);
  assert.equal(a.pads.ints.map((v) => int64ToNumber(v)), [1, 1, 0, 0]);
  assert.equal(a.scales.floats, [0.5, 2]);
  assert.is(new TextDecoder().decode(a.mode.s), 'same');
  assert.equal(a.k.t?.dims.map((d) => int64ToNumber(d)), [2]);
  assert.is(a.one.f, 1);
  assert.equal(a.ones.floats, [1, 2]);
  assert.equal(a.t.t?.dims.map((d) => int64ToNumber(d)), [1, 1]);
  assert.is(int64ToNumber(decodeModelProto(buildOnnxModel({ inputs: [], outputs: [], nodes: [], opset: 13 })).opsetImport[0].version), 13);
});

test('onnxruntime-web runs a built Gemm + LeakyRelu + Constant model to hand-computed numbers', async () => {
  const rand = rng(7);
  const [M, K, N] = [3, 5, 4];
  const x = randomF32(rand, M * K);
  const w = randomF32(rand, N * K);
  const bias = randomF32(rand, N);
  const model = buildOnnxModel({
    inputs: [{ name: 'x', dims: [M, K] }],
    outputs: [{ name: 'y', dims: [M, N] }],
    initializers: [{ name: 'w', dims: [N, K], data: w }],
    nodes: [
      { op: 'Constant', inputs: [], outputs: ['b'], attrs: { value: bias } },
      { op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['g'], attrs: { transB: 1, alpha: 0.5, beta: { float: 2 } } },
      { op: 'LeakyRelu', inputs: ['g'], outputs: ['y'], attrs: { alpha: 0.1 } },
    ],
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const out = await session.run({ x: new ort.Tensor('float32', x, [M, K]) });
  const expected = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[i * K + k] * w[j * K + k];
      const g = 0.5 * s + 2 * bias[j];
      expected[i * N + j] = g >= 0 ? g : 0.1 * g;
    }
  }
  assert.equal(out.y.dims, [M, N]);
  assertClose(out.y.data as Float32Array, expected, { rtol: 1e-5, atol: 1e-6 }, 'ort gemm+leakyrelu');
  await session.release();
});

test('bad specs are EdgeRunErrors naming the tensor, node or attribute', () => {
  const base = { inputs: [{ name: 'x', dims: [2] }], outputs: [{ name: 'y', dims: [2] }] };
  expectEdgeRunError(() => buildOnnxModel({ ...base, nodes: [], initializers: [{ name: 'w', dims: [2, 2], data: new Float32Array(3) }] }), 'ShapeMismatch', /'w'.*3 values/);
  expectEdgeRunError(() => buildOnnxModel({ ...base, nodes: [], initializers: [{ name: 'w', dims: [2], data: [1, 2] as never }] }), 'DTypeMismatch', /'w'/);
  expectEdgeRunError(() => buildOnnxModel({ inputs: [{ name: 'x', dims: [2.5] }], outputs: [], nodes: [] }), 'InvalidArgument', /'x'/);
  expectEdgeRunError(() => buildOnnxModel({ ...base, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { a: NaN } }] }), 'InvalidArgument', /'Relu_0'.*'a'/);
  expectEdgeRunError(() => buildOnnxModel({ ...base, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { a: { ints: [1.5] } } }] }), 'InvalidArgument', /'a'.*1\.5/);
  expectEdgeRunError(() => buildOnnxModel({ ...base, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { a: { bogus: 1 } as never } }] }), 'InvalidArgument', /'a'/);
  expectEdgeRunError(() => buildOnnxModel({ ...base, nodes: [], opset: 0 }), 'InvalidArgument', /opset/);
});

test.run();
