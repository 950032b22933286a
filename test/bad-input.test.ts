// Bad input to the graph engine: each case is an EdgeRunError with a code and a message naming
// model, node and tensor — and the process keeps working afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EdgeRunError } from '../engine/errors.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { buildOnnxModel } from '../bench/onnx-model.js';
import { onnx } from '../engine/onnx/proto.js';
import { readFixture } from './helpers/fixtures.js';

async function expectReject(p: Promise<unknown> | (() => unknown), code: string, pattern?: RegExp): Promise<EdgeRunError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (!(e instanceof EdgeRunError)) assert.unreachable(`expected EdgeRunError ${code}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.is((e as EdgeRunError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as EdgeRunError;
  }
  assert.unreachable(`expected EdgeRunError ${code}, nothing was thrown`);
  throw new Error('unreachable');
}

const mlp = readFixture('digits', 'digits_mlp.onnx');
const digit = () => new Tensor('float32', new Float32Array(64).fill(0.5), [1, 1, 8, 8]);

/** After any failure, a good model still loads and runs. */
async function stillWorks(): Promise<void> {
  const s = await InferenceSession.create(mlp);
  const out = await s.run({ input: digit() });
  assert.equal([...out.logits.dims], [1, 10]);
}

test('a truncated file is InvalidModel', async () => {
  await expectReject(InferenceSession.create(mlp.slice(0, mlp.length - 100)), 'InvalidModel', /not a valid ONNX ModelProto|initializer|dims/);
  await expectReject(InferenceSession.create(new Uint8Array(0)), 'InvalidModel', /empty/);
  await expectReject(InferenceSession.create(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])), 'InvalidModel');
  await stillWorks();
});

test('a graph with a cycle names the nodes', async () => {
  const bytes = buildOnnxModel({
    inputs: [{ name: 'x', dims: [2] }],
    outputs: [{ name: 'b', dims: [2] }],
    nodes: [
      { op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' },
      { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'second' },
    ],
  });
  await expectReject(InferenceSession.create(bytes), 'InvalidModel', /cycle.*'first'/);
  await stillWorks();
});

test('a node with a missing input names node and tensor', async () => {
  const bytes = buildOnnxModel({
    inputs: [{ name: 'x', dims: [2] }],
    outputs: [{ name: 'y', dims: [2] }],
    nodes: [{ op: 'Add', inputs: ['x', 'nowhere'], outputs: ['y'], name: 'adder' }],
  });
  await expectReject(InferenceSession.create(bytes), 'InvalidModel', /Add 'adder' input 1 'nowhere'/);
  await stillWorks();
});

test('unknown operators are all listed at once, with node names', async () => {
  const bytes = buildOnnxModel({
    inputs: [{ name: 'x', dims: [2] }],
    outputs: [{ name: 'z', dims: [2] }],
    nodes: [
      { op: 'Frobnicate', inputs: ['x'], outputs: ['y'], name: 'f1' },
      { op: 'Relu', inputs: ['y'], outputs: ['y2'], name: 'ok' },
      { op: 'Wobble', inputs: ['y2'], outputs: ['y3'], name: 'w1' },
      { op: 'Frobnicate', inputs: ['y3'], outputs: ['z'], name: 'f2' },
    ],
  });
  const e = await expectReject(InferenceSession.create(bytes), 'UnsupportedOperator');
  assert.match(e.message, /Frobnicate \('f1', 'f2'\)/);
  assert.match(e.message, /Wobble \('w1'\)/);
  assert.match(e.message, /3 node\(s\)/);
  await stillWorks();
});

test('an attribute out of range names model, node and attribute', async () => {
  const bytes = buildOnnxModel({
    inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
    outputs: [{ name: 'y', dims: [1, 1, 2, 2] }],
    nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'pool', attrs: { kernel_shape: [2, 2], strides: [0, 2] } }],
  });
  await expectReject(InferenceSession.create(bytes), 'InvalidArgument', /MaxPool 'pool'.*strides/);
  const conv = buildOnnxModel({
    inputs: [{ name: 'x', dims: [1, 3, 4, 4] }],
    outputs: [{ name: 'y', dims: [1, 2, 4, 4] }],
    initializers: [{ name: 'w', dims: [2, 2, 1, 1], data: new Float32Array(4) }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'conv2' }],
  });
  await expectReject(InferenceSession.create(conv), 'ShapeMismatch', /Conv 'conv2'.*3 channels.*expects 2/);
  await stillWorks();
});

test('feeds with a wrong name, dtype or shape', async () => {
  const s = await InferenceSession.create(mlp);
  await expectReject(s.run({ inptu: digit() }), 'InvalidFeed', /'inptu' is not an input.*inputs: input/);
  await expectReject(s.run({}), 'InvalidFeed', /input 'input' was not fed/);
  await expectReject(s.run({ input: new Tensor('int32', new Int32Array(64), [1, 1, 8, 8]) }), 'InvalidFeed', /expects float32, got int32/);
  await expectReject(s.run({ input: new Tensor('float32', new Float32Array(64), [1, 64]) }), 'InvalidFeed', /rank 4/);
  await expectReject(s.run({ input: new Tensor('float32', new Float32Array(49), [1, 1, 7, 7]) }), 'InvalidFeed', /dim 2 must be 8/);
  await expectReject(() => new Tensor('float32', new Float32Array(3), [2, 2]), 'ShapeMismatch');
  // The same session still runs good feeds.
  const out = await s.run({ input: digit() });
  assert.is(out.logits.dims[1], 10);
});

test('declared dimensions that would exhaust memory are OutOfMemory, not a crash', async () => {
  const huge = buildOnnxModel({
    inputs: [{ name: 'x', dims: [1] }],
    outputs: [{ name: 'y', dims: [1] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  // An initializer declaring 2^40 elements with no data behind them.
  const model = onnx.ModelProto.decode(huge);
  model.graph!.initializer.push(onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [1 << 20, 1 << 20] }));
  await expectReject(InferenceSession.create(onnx.ModelProto.encode(model).finish()), 'OutOfMemory', /'w'/);
  // ConstantOfShape asked for 10^12 floats.
  const cos = buildOnnxModel({
    inputs: [{ name: 'x', dims: [1] }],
    outputs: [{ name: 'y', dims: [1000000, 1000000] }],
    nodes: [{ op: 'ConstantOfShape', inputs: ['shape'], outputs: ['y'], name: 'fill' }],
  });
  const m2 = onnx.ModelProto.decode(cos);
  m2.graph!.initializer.push(onnx.TensorProto.create({ name: 'shape', dataType: 7, dims: [2], int64Data: [1000000, 1000000] }));
  await expectReject(InferenceSession.create(onnx.ModelProto.encode(m2).finish()), 'OutOfMemory', /fill|'y'/);
  await stillWorks();
});

test.run();
