// LSTM, GRU and RNN on every build against the reference twins: random shapes with odd sizes,
// every direction, both layouts, mixed sequence lengths, initial states, peepholes, clip,
// input_forget, linear_before_reset and every activation the ONNX spec lists.
import { test } from 'uvu';
import { RUNTIMES, WASM_RUNTIMES } from './helpers/runtimes.js';
import { packRecurrentHost, toArena } from '../kernels/rnn-pack.js';
import { randomF32 } from './helpers/random.js';
import { assertClose } from './helpers/compare.js';
import { pick, rng } from './helpers/random.js';
import type { RnnActivationKind, RnnDirection } from '../kernels/rnn-common.js';
import { ACTS_PER_DIRECTION, describe, makeCase, runOn, runReference, type CaseChoice, type Op, type RecurrentCase } from './rnn-cases.js';

// The WASM builds run float32 with polynomial exp/tanh; the reference runs float64.
const TOL = { rtol: 1e-4, atol: 2e-5 };
const SIZES = [1, 3, 7, 17, 33, 65];
const DIRECTIONS: RnnDirection[] = ['forward', 'reverse', 'bidirectional'];
const OPS: Op[] = ['LSTM', 'GRU', 'RNN'];

function check(c: RecurrentCase): void {
  const want = runReference(c);
  for (const rt of RUNTIMES) {
    const got = runOn(rt, c);
    const what = `${rt.build} ${describe(c)}`;
    assertClose(got.Y, want.Y, TOL, `${what}: Y`);
    assertClose(got.Y_h, want.Y_h, TOL, `${what}: Y_h`);
    if (c.op === 'LSTM') assertClose(got.Y_c!, want.Y_c!, TOL, `${what}: Y_c`);
  }
}

for (const op of OPS) {
  test(`${op}: every direction and layout, odd sizes, mixed sequence lengths, initial states`, () => {
    const rand = rng(op.length * 7919);
    let i = 0;
    for (const direction of DIRECTIONS) {
      for (const layout of [0, 1] as const) {
        for (const T of [1, 2, 7]) {
          const choice: CaseChoice = {
            T,
            B: pick(rand, [1, 3]),
            I: SIZES[i % SIZES.length],
            H: SIZES[(i * 5 + 2) % SIZES.length],
            direction,
            layout,
            withBias: i % 4 !== 3,
            seqLens: pick(rand, ['none', 'full', 'mixed'] as const),
            initial: i % 2 === 0,
            peepholes: i % 3 === 0,
            linearBeforeReset: i % 2 === 1,
          };
          check(makeCase(op, rand, choice));
          i++;
        }
      }
    }
  });
}

test('LSTM: peepholes, clip and input_forget, with sequence lengths in both directions', () => {
  const rand = rng(11);
  for (const inputForget of [false, true]) {
    for (const clip of [undefined, 0.3, 2]) {
      for (const direction of DIRECTIONS) {
        check(makeCase('LSTM', rand, { T: 7, B: 3, I: pick(rand, SIZES), H: pick(rand, SIZES), direction, peepholes: true, clip, inputForget, seqLens: 'mixed', initial: true }));
      }
    }
  }
});

test('GRU: linear_before_reset 0 and 1, with clip', () => {
  const rand = rng(12);
  for (const linearBeforeReset of [false, true]) {
    for (const clip of [undefined, 0.5]) {
      for (const H of [1, 7, 17, 65]) {
        check(makeCase('GRU', rand, { T: 7, B: 3, I: pick(rand, SIZES), H, direction: pick(rand, DIRECTIONS), linearBeforeReset, clip, seqLens: 'mixed', initial: true }));
      }
    }
  }
});

test('RNN: clip and sequence lengths', () => {
  const rand = rng(13);
  for (const clip of [undefined, 0.25, 1]) {
    for (const direction of DIRECTIONS) {
      check(makeCase('RNN', rand, { T: 7, B: 3, I: pick(rand, SIZES), H: pick(rand, SIZES), direction, clip, seqLens: 'mixed', initial: true }));
    }
  }
});

// Every ONNX activation in every slot, alpha/beta drawn at random (kept in ranges where the
// cells stay well-conditioned: a slope < 1 and bounded outputs keep 7 steps from exploding).
const ACTIVATIONS: RnnActivationKind[] = [
  'sigmoid', 'tanh', 'relu', 'affine', 'leakyrelu', 'thresholdedrelu', 'scaledtanh', 'hardsigmoid', 'elu', 'softsign', 'softplus',
];
for (const op of OPS) {
  test(`${op}: every activation in every position`, () => {
    const rand = rng(21 + op.length);
    const per = ACTS_PER_DIRECTION[op];
    for (const kind of ACTIVATIONS) {
      for (let slot = 0; slot < per; slot++) {
        const direction = pick(rand, DIRECTIONS);
        const D = direction === 'bidirectional' ? 2 : 1;
        const activations = Array.from({ length: D * per }, (_, i) => {
          if (i % per !== slot) return ['sigmoid', 'tanh', 'tanh'][op === 'RNN' ? 1 : i % per];
          return { kind, alpha: 0.2 + 0.6 * rand(), beta: 0.1 + 0.5 * rand() };
        });
        check(makeCase(op, rand, { T: 7, B: 3, I: 5, H: 9, direction, activations, seqLens: 'mixed', initial: true, peepholes: true, clip: slot === 0 ? 3 : undefined }));
      }
    }
  });
}

// The recurrent GEMV on its own: every group decomposition (8, 4, 2, 1 panels) and odd K, from
// the packed bias or from an init row, against a plain dot product.
for (const rt of WASM_RUNTIMES) {
  test(`${rt.build}: rnn_gemv over the grouped k-major layout, every group width and odd K`, () => {
    const rand = rng(5);
    for (const K of [1, 2, 3, 5, 17, 64]) {
      for (let panels = 1; panels <= 17; panels++) {
        const N = panels * 8;
        const W = randomF32(rand, N * K);
        const bias = randomF32(rand, N);
        const x = randomF32(rand, K);
        const init = randomF32(rand, N);
        const packed = toArena(rt, packRecurrentHost(W, 0, K, K, N, (n) => n, (row) => bias[row]), K, N, 'test R');
        const xp = rt.arena.alloc(K * 4);
        const ip = rt.arena.alloc(N * 4);
        const op = rt.arena.alloc(N * 4);
        try {
          for (const fromInit of [false, true]) {
            rt.arena.f32(xp, K).set(x);
            rt.arena.f32(ip, N).set(init);
            rt.wasm!.rnn_gemv(K, xp, packed.ptr, panels, fromInit ? ip : 0, op);
            const want = new Float32Array(N);
            for (let n = 0; n < N; n++) {
              let s = fromInit ? init[n] : bias[n];
              for (let k = 0; k < K; k++) s += x[k] * W[n * K + k];
              want[n] = s;
            }
            assertClose(rt.arena.f32(op, N), want, { rtol: 1e-5, atol: 1e-5 }, `K${K} panels ${panels} ${fromInit ? 'init' : 'bias'}`);
          }
        } finally {
          for (const p of [op, ip, xp, packed.ptr]) rt.arena.free(p);
        }
      }
    }
  });
}

test.run();
