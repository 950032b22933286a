// The reference twins against onnxruntime (onnxruntime-web, one thread) on random LSTM / GRU /
// RNN models: an independent oracle for what the ONNX conformance cases leave out (their weights
// are constant, so gate order is invisible; no clip, input_forget, linear_before_reset,
// bidirectional or reverse runs, no non-default activations). onnxruntime rejects layout = 1
// ("Batchwise recurrent operations are not supported"); the conformance batchwise cases cover it.
import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import { encodeModelProto, onnx } from '../engine/onnx/proto.js';
import { directionCount, type RnnActivationSpec } from '../kernels/rnn-common.js';
import { assertClose } from './helpers/compare.js';
import { pick, rng } from './helpers/random.js';
import { describe, makeCase, runReference, xDims, type Op, type RecurrentCase } from './rnn-cases.js';

ort.env.wasm.numThreads = 1;

// onnxruntime computes in float32 with its own sigmoid/tanh approximations.
const TOL = { rtol: 1e-3, atol: 1e-5 };
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

function input(name: string, dims: number[], elemType = DataType.FLOAT): onnx.ValueInfoProto.$Shape {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** One-node model; every operand is a graph input so the feeds carry all the data. */
function modelFor(c: RecurrentCase): { bytes: Uint8Array; feeds: Record<string, ort.Tensor>; outputs: string[] } {
  const D = directionCount(c.direction);
  const G = { LSTM: 4, GRU: 3, RNN: 1 }[c.op];
  const stateDims = c.layout === 0 ? [D, c.B, c.H] : [c.B, D, c.H];
  const feeds: Record<string, ort.Tensor> = {};
  const inputs: onnx.ValueInfoProto.$Shape[] = [];
  const names: string[] = [];
  const add = (slot: string, data: Float32Array | Int32Array | undefined, dims: number[]) => {
    if (!data) return names.push('');
    const int = data instanceof Int32Array;
    inputs.push(input(slot, dims, int ? DataType.INT32 : DataType.FLOAT));
    feeds[slot] = new ort.Tensor(int ? 'int32' : 'float32', data, dims);
    names.push(slot);
  };
  add('X', c.X, xDims(c));
  add('W', c.W, [D, G * c.H, c.I]);
  add('R', c.R, [D, G * c.H, c.H]);
  add('B', c.bias, [D, 2 * G * c.H]);
  add('sequence_lens', c.sequenceLens ? Int32Array.from(c.sequenceLens) : undefined, [c.B]);
  add('initial_h', c.initialH, stateDims);
  if (c.op === 'LSTM') {
    add('initial_c', c.initialC, stateDims);
    add('P', c.P, [D, 3 * c.H]);
  }
  while (names.length && names[names.length - 1] === '') names.pop();
  const outputs = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const text = (s: string) => new TextEncoder().encode(s);
  const attribute: onnx.AttributeProto.$Shape[] = [
    { name: 'hidden_size', type: AttributeType.INT, i: c.H },
    { name: 'direction', type: AttributeType.STRING, s: text(c.direction) },
  ];
  if (c.layout !== 0) attribute.push({ name: 'layout', type: AttributeType.INT, i: c.layout });
  if (c.clip !== undefined) attribute.push({ name: 'clip', type: AttributeType.FLOAT, f: c.clip });
  if (c.inputForget && c.op === 'LSTM') attribute.push({ name: 'input_forget', type: AttributeType.INT, i: 1 });
  if (c.linearBeforeReset && c.op === 'GRU') attribute.push({ name: 'linear_before_reset', type: AttributeType.INT, i: 1 });
  if (c.activations) {
    const specs = c.activations.map((a) => (typeof a === 'string' ? { kind: a } : a));
    attribute.push({ name: 'activations', type: AttributeType.STRINGS, strings: specs.map((a) => text(a.kind)) });
    const alphas = specs.filter((a) => a.alpha !== undefined).map((a) => a.alpha!);
    const betas = specs.filter((a) => a.beta !== undefined).map((a) => a.beta!);
    if (alphas.length) attribute.push({ name: 'activation_alpha', type: AttributeType.FLOATS, floats: alphas });
    if (betas.length) attribute.push({ name: 'activation_beta', type: AttributeType.FLOATS, floats: betas });
  }
  const bytes = encodeModelProto({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'rnn',
      input: inputs,
      output: outputs.map((n) => ({ name: n, type: { tensorType: { elemType: DataType.FLOAT } } })),
      node: [{ opType: c.op, input: names, output: outputs, attribute }],
    },
  });
  return { bytes, feeds, outputs };
}

async function check(c: RecurrentCase): Promise<void> {
  const { bytes, feeds } = modelFor(c);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const got = await session.run(feeds);
  const want = runReference(c);
  const what = `onnxruntime vs reference, ${describe(c)}`;
  assertClose(got.Y.data as Float32Array, want.Y, TOL, `${what}: Y`);
  assertClose(got.Y_h.data as Float32Array, want.Y_h, TOL, `${what}: Y_h`);
  if (c.op === 'LSTM') assertClose(got.Y_c.data as Float32Array, want.Y_c!, TOL, `${what}: Y_c`);
  await session.release();
}

const OPS: Op[] = ['LSTM', 'GRU', 'RNN'];

for (const op of OPS) {
  test(`${op}: reference matches onnxruntime in every direction, with sequence lengths, initial states and clip`, async () => {
    const rand = rng(31 + op.length);
    for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
      for (const variant of [0, 1]) {
        await check(
          makeCase(op, rand, {
            T: 5,
            B: 3,
            I: pick(rand, [1, 3, 7]),
            H: pick(rand, [1, 3, 5, 9]),
            direction,
            seqLens: variant === 0 ? 'mixed' : 'none',
            initial: variant === 0,
            peepholes: variant === 1,
            clip: variant === 1 ? 0.4 : undefined,
            inputForget: variant === 1,
            linearBeforeReset: variant === 0,
          }),
        );
      }
    }
  });
}

// Non-default activations. onnxruntime's RNN reads activation_alpha per direction rather than per
// activation that uses one, so RNN keeps to activations without alpha/beta here.
test('LSTM and GRU: non-default activations with alpha/beta match onnxruntime', async () => {
  const rand = rng(41);
  const lstmActs: RnnActivationSpec[][] = [
    [{ kind: 'HardSigmoid', alpha: 0.3, beta: 0.4 }, { kind: 'LeakyRelu', alpha: 0.2 }, 'Softsign'],
    ['Sigmoid', { kind: 'ScaledTanh', alpha: 0.9, beta: 0.7 }, { kind: 'Elu', alpha: 0.5 }],
    ['Sigmoid', { kind: 'Affine', alpha: 0.5, beta: 0.1 }, 'Softplus'],
    ['Sigmoid', 'Relu', { kind: 'ThresholdedRelu', alpha: 0.1 }],
  ];
  for (const activations of lstmActs) {
    await check(makeCase('LSTM', rand, { T: 4, B: 2, I: 3, H: 5, direction: 'forward', activations, seqLens: 'mixed', initial: true }));
  }
  const gruActs: RnnActivationSpec[][] = [
    [{ kind: 'HardSigmoid', alpha: 0.25, beta: 0.5 }, 'Softsign'],
    ['Sigmoid', { kind: 'LeakyRelu', alpha: 0.1 }],
  ];
  for (const activations of gruActs) {
    for (const linearBeforeReset of [false, true]) {
      await check(makeCase('GRU', rand, { T: 4, B: 2, I: 3, H: 5, direction: 'forward', activations, linearBeforeReset, initial: true }));
    }
  }
  for (const activations of [['Relu'], ['Sigmoid'], ['Softsign', 'Relu']]) {
    await check(makeCase('RNN', rand, { T: 4, B: 2, I: 3, H: 5, direction: activations.length === 2 ? 'bidirectional' : 'forward', activations, initial: true }));
  }
});

test.run();
