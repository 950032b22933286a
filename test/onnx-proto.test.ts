// The generated ONNX protobuf code: decodes real models and test tensors (checked against facts
// known about them and against outputs recomputed here from the decoded inputs), uses upstream's
// field numbers on the wire, and round-trips every kind of field.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModelProto, decodeTensorProto, encodeModelProto, int64ToNumber, onnx } from '../engine/onnx/proto.js';
import { assertClose, assertEqualArrays } from './helpers/compare.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const fixtures = new URL('./fixtures/onnx/', import.meta.url);
const bytes = (path: string) => new Uint8Array(readFileSync(new URL(path, fixtures)));
const model = (name: string) => decodeModelProto(bytes(`${name}/model.onnx`), name);
const tensor = (name: string, file: string) => decodeTensorProto(bytes(`${name}/test_data_set_0/${file}.pb`), file);
const dims = (t: { dims: onnx.TensorProto['dims'] }) => t.dims.map((d) => int64ToNumber(d));

/** Float elements of a decoded tensor, from raw_data (little-endian) or float_data. */
function floats(t: onnx.TensorProto): Float32Array {
  assert.is(t.dataType, onnx.TensorProto.DataType.FLOAT, `${t.name} is float`);
  if (t.rawData.length === 0) return Float32Array.from(t.floatData);
  const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
  return Float32Array.from({ length: t.rawData.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

function attr(node: onnx.INodeProto | onnx.NodeProto, name: string): onnx.AttributeProto {
  const a = node.attribute?.find((x) => x.name === name);
  if (!a) assert.unreachable(`attribute ${name} missing`);
  return a as onnx.AttributeProto;
}

const plain = (type: { toObject(m: never, o: object): object }, m: unknown) =>
  type.toObject(m as never, { longs: String, bytes: String, defaults: false });

test('digits MLP: header, graph structure and weights', () => {
  const m = decodeModelProto(bytes('digits_mlp.onnx'));
  assert.is(int64ToNumber(m.irVersion), 7);
  assert.equal(m.opsetImport.map((o) => [o.domain, int64ToNumber(o.version)]), [['', 13]]);
  assert.is(m.producerName, 'pytorch');
  const g = m.graph as onnx.GraphProto;
  assert.equal(g.node.map((n) => n.opType), ['Flatten', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
  assert.equal(g.input.map((i) => i.name), ['input']);
  assert.equal(g.output.map((o) => o.name), ['logits']);
  const inputType = g.input[0].type?.tensorType;
  assert.is(inputType?.elemType, onnx.TensorProto.DataType.FLOAT);
  assert.equal(inputType?.shape?.dim.map((d) => (d.dimParam ? d.dimParam : int64ToNumber(d.dimValue))), ['batch', 1, 8, 8]);
  // 64 pixels → 128 → 64 → 10 classes, torch Linear layout (out, in), applied with transB.
  const shapes = Object.fromEntries(g.initializer.map((t) => [t.name, dims(t)]));
  assert.equal(shapes['f1.weight'], [128, 64]);
  assert.equal(shapes['f2.weight'], [64, 128]);
  assert.equal(shapes['f3.weight'], [10, 64]);
  assert.equal(shapes['f3.bias'], [10]);
  for (const n of g.node.filter((x) => x.opType === 'Gemm')) assert.is(int64ToNumber(attr(n, 'transB').i), 1, `${n.name} transB`);
  for (const t of g.initializer) {
    const w = floats(t);
    assert.is(w.length, dims(t).reduce((a, b) => a * b, 1), `${t.name} element count`);
    assert.ok(w.every(Number.isFinite), `${t.name} finite`);
    assert.ok(w.some((v) => v !== 0), `${t.name} not all zero`);
  }
});

test('Relu case: decoded output equals max(x, 0) of the decoded input', () => {
  const m = model('test_relu');
  assert.equal(m.graph?.node.map((n) => n.opType), ['Relu']);
  const x = tensor('test_relu', 'input_0');
  const y = tensor('test_relu', 'output_0');
  assert.equal([x.name, y.name], ['x', 'y']);
  assert.equal(dims(x), [3, 4, 5]);
  assertEqualArrays(floats(y), floats(x).map((v) => Math.max(v, 0)), 'relu');
});

test('Gemm case: float and int attributes, output recomputed from the decoded inputs', () => {
  const node = model('test_gemm_all_attributes').graph!.node[0];
  const { FLOAT, INT } = onnx.AttributeProto.AttributeType;
  assert.equal([attr(node, 'alpha').type, attr(node, 'transA').type], [FLOAT, INT]);
  const alpha = attr(node, 'alpha').f;
  const beta = attr(node, 'beta').f;
  assert.is(alpha, 0.25);
  assert.ok(Math.abs(beta - 0.35) < 1e-7);
  assert.equal([int64ToNumber(attr(node, 'transA').i), int64ToNumber(attr(node, 'transB').i)], [1, 1]);
  const a = tensor('test_gemm_all_attributes', 'input_0'); // [K=4, M=3], transposed
  const b = tensor('test_gemm_all_attributes', 'input_1'); // [N=5, K=4], transposed
  const c = tensor('test_gemm_all_attributes', 'input_2'); // [1, N]
  const y = tensor('test_gemm_all_attributes', 'output_0');
  assert.equal([dims(a), dims(b), dims(c), dims(y)], [[4, 3], [5, 4], [1, 5], [3, 5]]);
  const [A, B, C] = [floats(a), floats(b), floats(c)];
  const expected = new Float32Array(15);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += A[k * 3 + i] * B[j * 4 + k];
      expected[i * 5 + j] = alpha * s + beta * C[j];
    }
  }
  assertClose(floats(y), expected, { rtol: 1e-5, atol: 1e-6 }, 'gemm');
});

test('Conv case: INTS attributes, output recomputed from the decoded inputs', () => {
  const node = model('test_conv_with_strides_padding').graph!.node[0];
  assert.is(attr(node, 'pads').type, onnx.AttributeProto.AttributeType.INTS);
  const ints = (name: string) => attr(node, name).ints.map((v) => int64ToNumber(v));
  assert.equal([ints('kernel_shape'), ints('pads'), ints('strides')], [[3, 3], [1, 1, 1, 1], [2, 2]]);
  const x = tensor('test_conv_with_strides_padding', 'input_0');
  const w = tensor('test_conv_with_strides_padding', 'input_1');
  const y = tensor('test_conv_with_strides_padding', 'output_0');
  assert.equal([dims(x), dims(w), dims(y)], [[1, 1, 7, 5], [1, 1, 3, 3], [1, 1, 4, 3]]);
  const [X, W] = [floats(x), floats(w)];
  const expected = new Float32Array(12);
  for (let oy = 0; oy < 4; oy++) {
    for (let ox = 0; ox < 3; ox++) {
      let s = 0;
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const iy = oy * 2 - 1 + ky;
          const ix = ox * 2 - 1 + kx;
          if (iy >= 0 && iy < 7 && ix >= 0 && ix < 5) s += X[iy * 5 + ix] * W[ky * 3 + kx];
        }
      }
      expected[oy * 3 + ox] = s;
    }
  }
  assertClose(floats(y), expected, { rtol: 1e-5, atol: 1e-6 }, 'conv');
});

test('Cast to STRING case: string_data holds the decimal text of the input floats', () => {
  const node = model('test_cast_FLOAT_to_STRING').graph!.node[0];
  assert.is(int64ToNumber(attr(node, 'to').i), onnx.TensorProto.DataType.STRING);
  const x = floats(tensor('test_cast_FLOAT_to_STRING', 'input_0'));
  const y = tensor('test_cast_FLOAT_to_STRING', 'output_0');
  assert.is(y.dataType, onnx.TensorProto.DataType.STRING);
  assert.is(y.stringData.length, 12);
  const parsed = y.stringData.map((s) => Number(new TextDecoder().decode(s)));
  assertClose(parsed, x, { rtol: 1e-6, atol: 0 }, 'cast to string');
});

test('real files round-trip: decode → encode → decode gives the same message', () => {
  const files = ['digits_mlp.onnx', ...['test_relu', 'test_conv_with_strides_padding', 'test_gemm_all_attributes', 'test_cast_FLOAT_to_STRING'].map((c) => `${c}/model.onnx`)];
  for (const f of files) {
    const first = decodeModelProto(bytes(f));
    const again = decodeModelProto(encodeModelProto(first));
    assert.equal(plain(onnx.ModelProto, again), plain(onnx.ModelProto, first), f);
  }
  const t = tensor('test_cast_FLOAT_to_STRING', 'output_0');
  assert.equal(plain(onnx.TensorProto, onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish())), plain(onnx.TensorProto, t));
});

/** The field number of the first (only) field on the wire. */
function firstFieldNumber(wire: Uint8Array): number {
  let tag = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    tag |= (wire[i] & 0x7f) << shift;
    if (!(wire[i] & 0x80)) break;
  }
  return tag >>> 3;
}

test('field numbers on the wire are upstream onnx.proto numbers', () => {
  // (message type, one field set, the number upstream gives that field)
  const cases: [string, { encode(m: never): { finish(): Uint8Array } }, object, number][] = [
    ['ModelProto.opset_import', onnx.ModelProto, { opsetImport: [{ version: 17 }] }, 8],
    ['ModelProto.metadata_props', onnx.ModelProto, { metadataProps: [{ key: 'k' }] }, 14],
    ['ModelProto.training_info', onnx.ModelProto, { trainingInfo: [{}] }, 20],
    ['ModelProto.functions', onnx.ModelProto, { functions: [{ name: 'f' }] }, 25],
    ['GraphProto.initializer', onnx.GraphProto, { initializer: [{ name: 'w' }] }, 5],
    ['GraphProto.sparse_initializer', onnx.GraphProto, { sparseInitializer: [{}] }, 15],
    ['GraphProto.input', onnx.GraphProto, { input: [{ name: 'x' }] }, 11],
    ['GraphProto.quantization_annotation', onnx.GraphProto, { quantizationAnnotation: [{}] }, 14],
    ['NodeProto.op_type', onnx.NodeProto, { opType: 'Relu' }, 4],
    ['NodeProto.domain', onnx.NodeProto, { domain: 'ai.onnx.ml' }, 7],
    ['NodeProto.overload', onnx.NodeProto, { overload: 'o' }, 8],
    ['AttributeProto.type', onnx.AttributeProto, { type: 2 }, 20],
    ['AttributeProto.ref_attr_name', onnx.AttributeProto, { refAttrName: 'r' }, 21],
    ['AttributeProto.sparse_tensor', onnx.AttributeProto, { sparseTensor: {} }, 22],
    ['AttributeProto.tp', onnx.AttributeProto, { tp: {} }, 14],
    ['AttributeProto.type_protos', onnx.AttributeProto, { typeProtos: [{}] }, 15],
    ['AttributeProto.sparse_tensors', onnx.AttributeProto, { sparseTensors: [{}] }, 23],
    ['TensorProto.raw_data', onnx.TensorProto, { rawData: new Uint8Array([1]) }, 9],
    ['TensorProto.double_data', onnx.TensorProto, { doubleData: [1] }, 10],
    ['TensorProto.uint64_data', onnx.TensorProto, { uint64Data: [1] }, 11],
    ['TensorProto.external_data', onnx.TensorProto, { externalData: [{ key: 'location' }] }, 13],
    ['TensorProto.data_location', onnx.TensorProto, { dataLocation: 1 }, 14],
    ['TensorProto.metadata_props', onnx.TensorProto, { metadataProps: [{}] }, 16],
    ['TypeProto.sequence_type', onnx.TypeProto, { sequenceType: {} }, 4],
    ['TypeProto.map_type', onnx.TypeProto, { mapType: {} }, 5],
    ['TypeProto.sparse_tensor_type', onnx.TypeProto, { sparseTensorType: {} }, 8],
    ['TypeProto.optional_type', onnx.TypeProto, { optionalType: {} }, 9],
    ['FunctionProto.attribute_proto', onnx.FunctionProto, { attributeProto: [{}] }, 11],
    ['FunctionProto.value_info', onnx.FunctionProto, { valueInfo: [{}] }, 12],
    ['FunctionProto.overload', onnx.FunctionProto, { overload: 'o' }, 13],
  ];
  for (const [what, type, message, number] of cases) {
    assert.is(firstFieldNumber(type.encode(message as never).finish()), number, what);
  }
});

test('every kind of field round-trips, 64-bit extremes included', () => {
  const tensorType = { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimParam: 'batch', denotation: 'DATA_BATCH' }] } };
  const sparse = { values: { dims: [2], dataType: 1, floatData: [1.5, -2] }, indices: { dims: [2], dataType: 7, int64Data: [0, 5] }, dims: [2, 3] };
  const body = { node: [{ opType: 'Identity', input: ['a'], output: ['b'] }], name: 'body' };
  // fromObject takes plain nested objects and decimal strings for 64-bit values.
  const message = {
    irVersion: 10, producerName: 'edgerun-test', producerVersion: '1', domain: 'x.y', modelVersion: 3, docString: 'doc',
    opsetImport: [{ domain: '', version: 21 }, { domain: 'com.example', version: 1 }],
    metadataProps: [{ key: 'k', value: 'v' }],
    graph: {
      name: 'g',
      input: [{ name: 'a', type: { tensorType, denotation: 'TENSOR' }, metadataProps: [{ key: 'm', value: 'n' }] }],
      output: [{ name: 'b', type: { sequenceType: { elemType: { mapType: { keyType: 7, valueType: { optionalType: { elemType: { sparseTensorType: tensorType } } } } } } } }],
      initializer: [{
        name: 't', dims: [3], dataType: 7, segment: { begin: 0, end: 3 },
        // INT64 max and min: Slice's "to the end" sentinel, which a double cannot hold exactly.
        int64Data: ['9223372036854775807', '-9223372036854775808', -1],
        int32Data: [-7, 65535], doubleData: [Math.PI], uint64Data: ['18446744073709551615'],
        stringData: [new TextEncoder().encode('s')], docString: 'd',
        externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '4096' }], dataLocation: 1,
      }],
      sparseInitializer: [sparse],
      valueInfo: [{ name: 'c', type: { tensorType } }],
      quantizationAnnotation: [{ tensorName: 'a', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 'a_scale' }] }],
      node: [{
        name: 'n', opType: 'If', domain: '', overload: '', docString: 'node', input: ['a'], output: ['b'],
        metadataProps: [{ key: 'x', value: 'y' }],
        attribute: [
          { name: 'f', type: 1, f: 0.5 }, { name: 'i', type: 2, i: -3 }, { name: 's', type: 3, s: new Uint8Array([104, 105]) },
          { name: 't', type: 4, t: { dims: [1], dataType: 1, floatData: [2] } }, { name: 'g', type: 5, g: body },
          { name: 'sp', type: 11, sparseTensor: sparse }, { name: 'tp', type: 13, tp: { tensorType } },
          { name: 'fs', type: 6, floats: [0.25, -1] }, { name: 'is', type: 7, ints: [1, -2, '9007199254740993'] },
          { name: 'ss', type: 8, strings: [new Uint8Array([97])] }, { name: 'ts', type: 9, tensors: [{ dims: [0] }] },
          { name: 'gs', type: 10, graphs: [body] }, { name: 'sps', type: 12, sparseTensors: [sparse] },
          { name: 'tps', type: 14, typeProtos: [{ tensorType }] }, { name: 'r', refAttrName: 'outer', docString: 'ref' },
        ],
      }],
    },
    trainingInfo: [{ initialization: body, algorithm: body, initializationBinding: [{ key: 'w', value: 'w0' }], updateBinding: [{ key: 'w', value: 'w1' }] }],
    functions: [{
      name: 'F', domain: 'com.example', overload: 'v2', input: ['x'], output: ['y'], attribute: ['alpha'],
      attributeProto: [{ name: 'beta', type: 1, f: 1 }], node: body.node, docString: 'fn',
      opsetImport: [{ domain: '', version: 18 }], valueInfo: [{ name: 'x', type: { tensorType } }], metadataProps: [{ key: 'a', value: 'b' }],
    }],
  };
  const original = onnx.ModelProto.fromObject(message);
  const decoded = decodeModelProto(encodeModelProto(original));
  assert.equal(plain(onnx.ModelProto, decoded), plain(onnx.ModelProto, original));
  const t = decoded.graph!.initializer[0];
  assert.equal(t.int64Data.map((v) => v.toString()), ['9223372036854775807', '-9223372036854775808', '-1']);
  assert.is(t.uint64Data[0].toString(), '18446744073709551615');
  assert.is(t.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
  assert.is(decoded.graph!.input[0].type!.tensorType!.shape!.dim[1].value, 'dimParam', 'oneof discriminator');
  assert.is(decoded.graph!.output[0].type!.value, 'sequenceType');
});

test('int64ToNumber reads Longs, numbers, bigints and absent fields', () => {
  const [long] = onnx.TensorProto.decode(onnx.TensorProto.encode(onnx.TensorProto.create({ dims: [123456789012] })).finish()).dims;
  assert.is(int64ToNumber(long), 123456789012);
  assert.is(int64ToNumber(-5), -5);
  assert.is(int64ToNumber(7n), 7);
  assert.is(int64ToNumber(undefined), 0);
});

test('truncated or garbage bytes are an InvalidModel error naming the input', () => {
  const full = bytes('test_relu/model.onnx');
  expectEdgeRunError(() => decodeModelProto(full.subarray(0, full.length - 5), 'relu.onnx'), 'InvalidModel', /relu\.onnx/);
  expectEdgeRunError(() => decodeTensorProto(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'x.pb'), 'InvalidModel', /x\.pb.*TensorProto/);
});

test.run();
