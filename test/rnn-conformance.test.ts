// The ONNX backend conformance cases for LSTM, GRU and RNN (copied from onnx/backend/test/data/node
// into test/fixtures/rnn/): each model's attributes are read from model.onnx, its inputs from
// test_data_set_0, and both the reference twins and every build must reproduce the expected
// outputs within the tolerances the ONNX test runner uses (rtol 1e-3, atol 1e-7).
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModelProto, decodeTensorProto, int64ToNumber, onnx } from '../engine/onnx/proto.js';
import { gruF32, packGruF32 } from '../kernels/gru.js';
import { lstmF32, packLstmF32 } from '../kernels/lstm.js';
import { gruReference } from '../kernels/reference/gru.js';
import { lstmReference } from '../kernels/reference/lstm.js';
import { rnnReference } from '../kernels/reference/rnn.js';
import { packRnnF32, rnnF32 } from '../kernels/rnn.js';
import { checkSeqShape, checkSequenceLens, directionCount, resolveActivations, type RnnDirection } from '../kernels/rnn-common.js';
import type { Runtime } from '../kernels/runtime.js';
import { assertClose } from './helpers/compare.js';
import { RUNTIMES } from './helpers/runtimes.js';

const ONNX_TOL = { rtol: 1e-3, atol: 1e-7 };
const root = new URL('./fixtures/rnn/', import.meta.url);
const { DataType } = onnx.TensorProto;

interface Tensor {
  dims: number[];
  data: Float32Array | Int32Array;
}

function readTensor(bytes: Uint8Array, what: string): Tensor {
  const t = decodeTensorProto(bytes, what);
  const dims = t.dims.map((d) => int64ToNumber(d));
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : null;
  if (t.dataType === DataType.FLOAT) {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = raw ? raw.getFloat32(i * 4, true) : t.floatData[i];
    return { dims, data };
  }
  if (t.dataType === DataType.INT32 || t.dataType === DataType.INT64) {
    const wide = t.dataType === DataType.INT64;
    const data = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      data[i] = raw ? (wide ? Number(raw.getBigInt64(i * 8, true)) : raw.getInt32(i * 4, true)) : wide ? int64ToNumber(t.int64Data[i]) : t.int32Data[i];
    }
    return { dims, data };
  }
  throw new Error(`${what}: unexpected data type ${t.dataType}`);
}

interface Attrs {
  hiddenSize: number;
  direction: RnnDirection;
  layout: 0 | 1;
  activations?: string[];
  activationAlpha?: number[];
  activationBeta?: number[];
  clip?: number;
  inputForget: boolean;
  linearBeforeReset: boolean;
}

function readAttrs(node: onnx.NodeProto): Attrs {
  const get = (name: string) => node.attribute.find((a) => a.name === name);
  const int = (name: string, dflt: number) => (get(name) ? int64ToNumber(get(name)!.i) : dflt);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    hiddenSize: int('hidden_size', 0),
    direction: (get('direction') ? text(get('direction')!.s) : 'forward') as RnnDirection,
    layout: int('layout', 0) as 0 | 1,
    activations: get('activations')?.strings.map(text),
    activationAlpha: get('activation_alpha')?.floats,
    activationBeta: get('activation_beta')?.floats,
    clip: get('clip')?.f,
    inputForget: int('input_forget', 0) !== 0,
    linearBeforeReset: int('linear_before_reset', 0) !== 0,
  };
}

interface ConformanceCase {
  name: string;
  op: 'LSTM' | 'GRU' | 'RNN';
  attrs: Attrs;
  inputs: Map<string, Tensor>;
  expected: Map<string, Tensor>;
}

function loadCase(name: string): ConformanceCase {
  const dir = new URL(`${name}/`, root);
  const model = decodeModelProto(new Uint8Array(readFileSync(new URL('model.onnx', dir))), name);
  const graph = model.graph!;
  const node = graph.node[0];
  const data = new URL('test_data_set_0/', dir);
  const inputs = new Map<string, Tensor>();
  graph.input.forEach((v, i) => inputs.set(v.name, readTensor(new Uint8Array(readFileSync(new URL(`input_${i}.pb`, data))), `${name} ${v.name}`)));
  const expected = new Map<string, Tensor>();
  graph.output.forEach((v, i) => expected.set(v.name, readTensor(new Uint8Array(readFileSync(new URL(`output_${i}.pb`, data))), `${name} ${v.name}`)));
  // Node inputs are positional (X, W, R, B, sequence_lens, initial_h, initial_c, P): rename to those.
  const slots = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'];
  const byRole = new Map<string, Tensor>();
  node.input.forEach((n, i) => n && inputs.has(n) && byRole.set(slots[i], inputs.get(n)!));
  const outSlots = ['Y', 'Y_h', 'Y_c'];
  const outByRole = new Map<string, Tensor>();
  node.output.forEach((n, i) => n && expected.has(n) && outByRole.set(outSlots[i], expected.get(n)!));
  return { name, op: node.opType as ConformanceCase['op'], attrs: readAttrs(node), inputs: byRole, expected: outByRole };
}

type Out = { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array };

function f32(c: ConformanceCase, role: string): Float32Array | undefined {
  return c.inputs.get(role)?.data as Float32Array | undefined;
}

function runKernel(rt: Runtime, c: ConformanceCase): Out {
  const a = c.attrs;
  const X = c.inputs.get('X')!;
  const run = {
    X: X.data as Float32Array,
    xDims: X.dims,
    layout: a.layout,
    sequenceLens: c.inputs.get('sequence_lens')?.data,
    initialH: f32(c, 'initial_h'),
    initialC: f32(c, 'initial_c'),
  };
  const common = {
    W: { data: f32(c, 'W')!, dims: c.inputs.get('W')!.dims },
    R: f32(c, 'R')!,
    B: f32(c, 'B'),
    hiddenSize: a.hiddenSize,
    direction: a.direction,
    activations: a.activations,
    activationAlpha: a.activationAlpha,
    activationBeta: a.activationBeta,
    clip: a.clip,
  };
  if (c.op === 'LSTM') {
    const p = packLstmF32(rt, { ...common, P: f32(c, 'P'), inputForget: a.inputForget });
    try {
      return lstmF32(rt, p, run);
    } finally {
      p.free();
    }
  }
  if (c.op === 'GRU') {
    const p = packGruF32(rt, { ...common, linearBeforeReset: a.linearBeforeReset });
    try {
      return gruF32(rt, p, run);
    } finally {
      p.free();
    }
  }
  const p = packRnnF32(rt, common);
  try {
    return rnnF32(rt, p, run);
  } finally {
    p.free();
  }
}

function runReferenceTwin(c: ConformanceCase): Out {
  const a = c.attrs;
  const X = c.inputs.get('X')!;
  const D = directionCount(a.direction);
  const I = X.dims[2];
  const shape = checkSeqShape(X.dims, X.data.length, I, a.layout, c.op);
  const defaults = { LSTM: ['sigmoid', 'tanh', 'tanh'], GRU: ['sigmoid', 'tanh'], RNN: ['tanh'] } as const;
  const args = {
    X: X.data as Float32Array,
    shape,
    hiddenSize: a.hiddenSize,
    direction: a.direction,
    W: f32(c, 'W')!,
    R: f32(c, 'R')!,
    B: f32(c, 'B'),
    sequenceLens: checkSequenceLens(c.inputs.get('sequence_lens')?.data, shape.T, shape.B, c.op),
    initialH: f32(c, 'initial_h'),
    activations: resolveActivations(c.op, a.activations, defaults[c.op], D, a.activationAlpha, a.activationBeta),
    clip: a.clip ?? Infinity,
  };
  if (c.op === 'LSTM') return lstmReference({ ...args, P: f32(c, 'P'), initialC: f32(c, 'initial_c'), inputForget: a.inputForget });
  if (c.op === 'GRU') return gruReference({ ...args, linearBeforeReset: a.linearBeforeReset });
  return rnnReference(args);
}

function compare(got: Out, c: ConformanceCase, who: string): void {
  assert.ok(c.expected.size > 0, `${c.name}: has expected outputs`);
  for (const [role, want] of c.expected) {
    const have = got[role as keyof Out];
    assert.ok(have, `${who} ${c.name}: produced ${role}`);
    assertClose(have!, want.data, ONNX_TOL, `${who} ${c.name} ${role}`);
  }
}

const names = readdirSync(root).filter((n) => n.startsWith('test_')).sort();

test('the fixtures hold every LSTM, GRU and RNN conformance case', () => {
  assert.ok(names.length >= 9, `found ${names.length} cases`);
  for (const op of ['lstm', 'gru', 'rnn']) assert.ok(names.some((n) => n.startsWith(`test_${op}_`)), op);
});

for (const name of names) {
  test(`${name}: reference twin and every build match the ONNX expected outputs`, () => {
    const c = loadCase(name);
    compare(runReferenceTwin(c), c, 'reference twin');
    for (const rt of RUNTIMES) compare(runKernel(rt, c), c, rt.build);
  });
}

test.run();
