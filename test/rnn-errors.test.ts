// Bad input to the recurrent kernels: every case is an EdgeRunError naming the argument, on every
// build, before anything reaches WASM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gruF32, packGruF32 } from '../kernels/gru.js';
import { lstmF32, lstmF32Ptr, packLstmF32, type LstmOptions } from '../kernels/lstm.js';
import { packRnnF32, rnnF32 } from '../kernels/rnn.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const T = 3;
const B = 2;
const I = 4;
const H = 5;
const f32 = (n: number, v = 0.1) => new Float32Array(n).fill(v);
const X = f32(T * B * I);
const xDims = [T, B, I];

function lstmOpts(over: Partial<LstmOptions> = {}): LstmOptions {
  return { W: f32(4 * H * I), R: f32(4 * H * H), B: f32(8 * H), P: f32(3 * H), hiddenSize: H, ...over };
}

for (const rt of RUNTIMES) {
  const b = rt.build;

  test(`${b}: LSTM weights whose shapes do not fit name the weight`, () => {
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ W: { data: f32(4 * H * I), dims: [1, 4 * H + 4, I - 1] } })), 'ShapeMismatch', /W has \d+ rows .*hidden_size 5/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ W: f32(4 * H * I + 1) })), 'ShapeMismatch', /W has \d+ elements/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ R: f32(4 * H * H - 1) })), 'ShapeMismatch', /R has/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ R: { data: f32(4 * H * H), dims: [1, H, 4 * H] } })), 'ShapeMismatch', /R has shape \[1, 5, 20\]/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ B: f32(4 * H) })), 'ShapeMismatch', /B has 20 elements, expected 40/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ P: f32(4 * H) })), 'ShapeMismatch', /P has/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ W: new Float64Array(4 * H * I) as unknown as Float32Array })), 'DTypeMismatch', /W/);
    // Two directions: a one-direction W reads as input size 2, so R is the first to disagree.
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ direction: 'bidirectional' })), 'ShapeMismatch', /R has 100 elements, expected 200/);
  });

  test(`${b}: bad attributes name the attribute`, () => {
    for (const hiddenSize of [0, -1, 1.5, NaN]) expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ hiddenSize })), 'InvalidArgument', /hidden_size/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ direction: 'sideways' as never })), 'InvalidArgument', /direction 'sideways'/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ activations: ['Sigmoid', 'Swish', 'Tanh'] })), 'InvalidArgument', /activations\[1\] 'Swish'/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ activations: ['Sigmoid', 'Tanh'] })), 'InvalidArgument', /activations has 2 entries, expected 3/);
    expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ activations: [{ kind: 'LeakyRelu', alpha: NaN }, 'Tanh', 'Tanh'] })), 'InvalidArgument', /alpha/);
    for (const clip of [-1, NaN]) expectEdgeRunError(() => packLstmF32(rt, lstmOpts({ clip })), 'InvalidArgument', /clip/);
    expectEdgeRunError(() => packGruF32(rt, { W: f32(3 * H * I), R: f32(3 * H * H), hiddenSize: H, activations: ['Sigmoid', 'Tanh', 'Tanh'] }), 'InvalidArgument', /GRU: activations/);
    expectEdgeRunError(() => packRnnF32(rt, { W: f32(H * I), R: f32(H * H), hiddenSize: H, direction: 'backward' as never }), 'InvalidArgument', /RNN: direction/);
  });

  test(`${b}: bad run inputs name the input`, () => {
    const p = packLstmF32(rt, lstmOpts());
    try {
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, sequenceLens: [T + 1, 1] }), 'InvalidArgument', /sequence_lens\[0\] = 4 is outside \[0, 3\]/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, sequenceLens: [1, -1] }), 'InvalidArgument', /sequence_lens\[1\] = -1/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, sequenceLens: [1.5, 1] }), 'InvalidArgument', /sequence_lens\[0\]/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, sequenceLens: [1] }), 'ShapeMismatch', /sequence_lens has 1 entries, batch size is 2/);
      expectEdgeRunError(() => lstmF32(rt, p, { X: f32(T * B * (I + 1)), xDims: [T, B, I + 1] }), 'ShapeMismatch', /X has input size 5, W expects 4/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims: [T * B, I] }), 'ShapeMismatch', /X must have 3 dims/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims: [T, B + 1, I] }), 'ShapeMismatch', /X has 24 elements/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, initialH: f32(B * H + 1) }), 'ShapeMismatch', /initial_h has 11 elements, expected 10/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, initialC: f32(3) }), 'ShapeMismatch', /initial_c/);
      expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, layout: 2 as never }), 'InvalidArgument', /layout must be 0 or 1/);
      expectEdgeRunError(() => lstmF32(rt, p, { X: Array.from(X) as unknown as Float32Array, xDims }), 'DTypeMismatch', /X/);
      // Pointer API: addresses outside the arena are refused, not read.
      expectEdgeRunError(() => lstmF32Ptr(rt, p, { xPtr: rt.arena.base + (1 << 30), xDims }), 'InvalidArgument', /LSTM X/);
      expectEdgeRunError(() => lstmF32Ptr(rt, p, { xPtr: 8, xDims }), 'InvalidArgument', /LSTM X/);
    } finally {
      p.free();
    }
    expectEdgeRunError(() => lstmF32(rt, p, { X, xDims }), 'InvalidArgument', /freed/);
    const g = packGruF32(rt, { W: f32(3 * H * I), R: f32(3 * H * H), hiddenSize: H });
    try {
      expectEdgeRunError(() => gruF32(rt, g, { X, xDims, initialC: f32(B * H) }), 'InvalidArgument', /initial_c is only an LSTM input/);
    } finally {
      g.free();
    }
    const r = packRnnF32(rt, { W: f32(H * I), R: f32(H * H), hiddenSize: H });
    try {
      expectEdgeRunError(() => rnnF32(rt, r, { X, xDims, sequenceLens: [0, 9] }), 'InvalidArgument', /RNN: sequence_lens\[1\]/);
    } finally {
      r.free();
    }
  });
}

test('packed weights are tied to their runtime', () => {
  const [a, b] = RUNTIMES;
  const p = packLstmF32(a, lstmOpts());
  try {
    expectEdgeRunError(() => lstmF32(b, p, { X, xDims }), 'InvalidArgument', /another runtime/);
  } finally {
    p.free();
  }
});

test('a failed call leaves the arena as it was', () => {
  for (const rt of RUNTIMES) {
    const p = packLstmF32(rt, lstmOpts());
    const before = rt.arena.liveBytes;
    expectEdgeRunError(() => lstmF32(rt, p, { X, xDims, sequenceLens: [9, 9] }), 'InvalidArgument');
    assert.is(rt.arena.liveBytes, before, `${rt.build}: no leaked arena blocks`);
    p.free();
  }
});

test.run();
