// Random LSTM / GRU / RNN cases shared by the recurrent kernel tests: weights, inputs and
// attributes drawn from a seeded generator, run on a runtime and on the reference twin directly.
import { gruF32, packGruF32 } from '../kernels/gru.js';
import { lstmF32, packLstmF32 } from '../kernels/lstm.js';
import { lstmReference } from '../kernels/reference/lstm.js';
import { gruReference } from '../kernels/reference/gru.js';
import { rnnReference } from '../kernels/reference/rnn.js';
import { packRnnF32, rnnF32 } from '../kernels/rnn.js';
import {
  checkSeqShape,
  directionCount,
  resolveActivations,
  type RnnActivationKind,
  type RnnActivationSpec,
  type RnnDirection,
} from '../kernels/rnn-common.js';
import type { Runtime } from '../kernels/runtime.js';
import { randomF32 } from './helpers/random.js';

export type Op = 'LSTM' | 'GRU' | 'RNN';
export const GATES: Record<Op, number> = { LSTM: 4, GRU: 3, RNN: 1 };
export const ACTS_PER_DIRECTION: Record<Op, number> = { LSTM: 3, GRU: 2, RNN: 1 };
const DEFAULT_ACTS: Record<Op, RnnActivationKind[]> = {
  LSTM: ['sigmoid', 'tanh', 'tanh'],
  GRU: ['sigmoid', 'tanh'],
  RNN: ['tanh'],
};

export interface RecurrentCase {
  op: Op;
  T: number;
  B: number;
  I: number;
  H: number;
  direction: RnnDirection;
  layout: 0 | 1;
  W: Float32Array;
  R: Float32Array;
  bias?: Float32Array;
  P?: Float32Array;
  X: Float32Array;
  sequenceLens?: number[];
  initialH?: Float32Array;
  initialC?: Float32Array;
  activations?: RnnActivationSpec[];
  clip?: number;
  inputForget?: boolean;
  linearBeforeReset?: boolean;
}

export interface CaseChoice {
  T: number;
  B: number;
  I: number;
  H: number;
  direction: RnnDirection;
  layout?: 0 | 1;
  withBias?: boolean;
  peepholes?: boolean;
  seqLens?: 'none' | 'full' | 'mixed';
  initial?: boolean;
  clip?: number;
  inputForget?: boolean;
  linearBeforeReset?: boolean;
  activations?: RnnActivationSpec[];
}

export function makeCase(op: Op, rand: () => number, c: CaseChoice): RecurrentCase {
  const D = directionCount(c.direction);
  const G = GATES[op];
  const { T, B, I, H } = c;
  // Weights scaled like a trained net's (fan-in), so the states neither saturate nor vanish.
  const ws = 1.5 / Math.sqrt(I);
  const rs = 1.5 / Math.sqrt(H);
  const out: RecurrentCase = {
    op,
    T,
    B,
    I,
    H,
    direction: c.direction,
    layout: c.layout ?? 0,
    W: randomF32(rand, D * G * H * I, -ws, ws),
    R: randomF32(rand, D * G * H * H, -rs, rs),
    X: randomF32(rand, T * B * I, -1, 1),
    activations: c.activations,
    clip: c.clip,
    inputForget: c.inputForget,
    linearBeforeReset: c.linearBeforeReset,
  };
  if (c.withBias ?? true) out.bias = randomF32(rand, D * 2 * G * H, -0.5, 0.5);
  if (c.peepholes && op === 'LSTM') out.P = randomF32(rand, D * 3 * H, -0.5, 0.5);
  if (c.seqLens === 'full') out.sequenceLens = Array.from({ length: B }, () => T);
  if (c.seqLens === 'mixed') {
    // Always include the longest and, when there is room, an empty and a short sequence.
    out.sequenceLens = Array.from({ length: B }, (_, b) => (b === 0 ? T : b === 1 ? 0 : Math.floor(rand() * (T + 1))));
  }
  if (c.initial) {
    out.initialH = randomF32(rand, D * B * H, -1, 1);
    if (op === 'LSTM') out.initialC = randomF32(rand, D * B * H, -1, 1);
  }
  return out;
}

export function xDims(c: RecurrentCase): number[] {
  return c.layout === 0 ? [c.T, c.B, c.I] : [c.B, c.T, c.I];
}

export interface Outputs {
  Y: Float32Array;
  Y_h: Float32Array;
  Y_c?: Float32Array;
}

/** Pack on `rt`, run the convenience API, free. */
export function runOn(rt: Runtime, c: RecurrentCase): Outputs {
  const inputs = { X: c.X, xDims: xDims(c), layout: c.layout, sequenceLens: c.sequenceLens, initialH: c.initialH, initialC: c.initialC };
  const common = { W: c.W, R: c.R, B: c.bias, hiddenSize: c.H, direction: c.direction, activations: c.activations, clip: c.clip };
  if (c.op === 'LSTM') {
    const p = packLstmF32(rt, { ...common, P: c.P, inputForget: c.inputForget });
    try {
      return lstmF32(rt, p, inputs);
    } finally {
      p.free();
    }
  }
  if (c.op === 'GRU') {
    const p = packGruF32(rt, { ...common, linearBeforeReset: c.linearBeforeReset });
    try {
      return gruF32(rt, p, inputs);
    } finally {
      p.free();
    }
  }
  const p = packRnnF32(rt, common);
  try {
    return rnnF32(rt, p, inputs);
  } finally {
    p.free();
  }
}

/** The reference twin called directly on the case's arrays (no packing, no arena). */
export function runReference(c: RecurrentCase): Outputs {
  const D = directionCount(c.direction);
  const shape = checkSeqShape(xDims(c), c.X.length, c.I, c.layout, c.op);
  const lens = new Int32Array(c.sequenceLens ?? Array.from({ length: c.B }, () => c.T));
  const activations = resolveActivations(c.op, c.activations, DEFAULT_ACTS[c.op], D);
  const args = {
    X: c.X,
    shape,
    hiddenSize: c.H,
    direction: c.direction,
    W: c.W,
    R: c.R,
    B: c.bias,
    sequenceLens: lens,
    initialH: c.initialH,
    activations,
    clip: c.clip ?? Infinity,
  };
  if (c.op === 'LSTM') return lstmReference({ ...args, P: c.P, initialC: c.initialC, inputForget: !!c.inputForget });
  if (c.op === 'GRU') return gruReference({ ...args, linearBeforeReset: !!c.linearBeforeReset });
  return rnnReference(args);
}

export function describe(c: RecurrentCase): string {
  const bits = [
    `${c.op} T${c.T} B${c.B} I${c.I} H${c.H} ${c.direction} layout${c.layout}`,
    c.bias ? 'bias' : 'no-bias',
    c.P ? 'peep' : '',
    c.sequenceLens ? `lens[${c.sequenceLens.join(',')}]` : '',
    c.initialH ? 'init' : '',
    c.clip !== undefined ? `clip${c.clip}` : '',
    c.inputForget ? 'input_forget' : '',
    c.linearBeforeReset ? 'lbr' : '',
    c.activations ? `acts[${c.activations.map((a) => (typeof a === 'string' ? a : a.kind)).join(',')}]` : '',
  ];
  return bits.filter(Boolean).join(' ');
}
