// Reference twins of the recurrent operators: the ONNX equations with plain loops, in float64,
// one batch entry and one direction at a time. They are the test oracle and the kernels of the
// 'reference' runtime. This file: the shared activation function and the simple RNN.
//   Ht = f(clip(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb))
import type { RnnActivation, RnnDirection, SeqShape } from '../rnn-common.js';
import { directionCount, stateRowOffset, xRow, yRowOffset } from '../rnn-common.js';

export function rnnActivate(x: number, a: RnnActivation): number {
  switch (a.kind) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'affine':
      return a.alpha * x + a.beta;
    case 'leakyrelu':
      return x >= 0 ? x : a.alpha * x;
    case 'thresholdedrelu':
      return x > a.alpha ? x : 0;
    case 'scaledtanh':
      return a.alpha * Math.tanh(a.beta * x);
    case 'hardsigmoid':
      return Math.min(1, Math.max(0, a.alpha * x + a.beta));
    case 'elu':
      return x >= 0 ? x : a.alpha * (Math.exp(x) - 1);
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'softplus':
      return Math.log(1 + Math.exp(x));
  }
}

/** onnxruntime clips gate pre-activations (after bias and peephole terms) to [-clip, clip]. */
export function clipTo(x: number, clip: number): number {
  return x > clip ? clip : x < -clip ? -clip : x;
}

/** Everything a reference cell needs, already validated by the kernel's TypeScript face. */
export interface RecurrentReferenceArgs {
  X: Float32Array;
  shape: SeqShape;
  hiddenSize: number;
  direction: RnnDirection;
  W: Float32Array;
  R: Float32Array;
  B?: Float32Array;
  /** One per batch entry, each in [0, T]. */
  sequenceLens: Int32Array;
  initialH?: Float32Array;
  /** Per direction, in ONNX order (LSTM f, g, h; GRU f, g; RNN f). */
  activations: RnnActivation[];
  /** Infinity = no clip. */
  clip: number;
}

export interface RecurrentOutputs {
  Y: Float32Array;
  Y_h: Float32Array;
  Y_c?: Float32Array;
}

/** Σ_k x[k]·M[row][k] for a row-major matrix with `cols` columns starting at element `base`. */
export function dotRow(x: ArrayLike<number>, xOff: number, M: Float32Array, base: number, row: number, cols: number): number {
  let s = 0;
  const o = base + row * cols;
  for (let k = 0; k < cols; k++) s += x[xOff + k] * M[o + k];
  return s;
}

/**
 * Runs `cell` over every (direction, batch entry): time order forward or reversed within the
 * entry's own length; Y rows past the length stay 0; the final state is the state after the
 * last valid step, or 0 for an empty sequence (as onnxruntime does).
 */
export function runRecurrence(
  a: RecurrentReferenceArgs,
  stateCount: 1 | 2,
  initialStates: (Float32Array | undefined)[],
  step: (d: number, xOff: number, states: number[][]) => void,
): RecurrentOutputs {
  const { shape, hiddenSize: H } = a;
  const D = directionCount(a.direction);
  const Y = new Float32Array(shape.T * D * shape.B * H);
  const finals = Array.from({ length: stateCount }, () => new Float32Array(D * shape.B * H));
  for (let d = 0; d < D; d++) {
    const reverse = a.direction === 'reverse' || d === 1;
    for (let b = 0; b < shape.B; b++) {
      const so = stateRowOffset(shape, D, H, b, d);
      const states = initialStates.map((init) => Array.from({ length: H }, (_, j) => (init ? init[so + j] : 0)));
      const len = a.sequenceLens[b];
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        step(d, xRow(shape, t, b) * shape.I, states);
        const yo = yRowOffset(shape, D, H, t, b, d);
        for (let j = 0; j < H; j++) Y[yo + j] = states[0][j];
      }
      if (len > 0) finals.forEach((f, i) => f.set(states[i], so));
    }
  }
  return stateCount === 2 ? { Y, Y_h: finals[0], Y_c: finals[1] } : { Y, Y_h: finals[0] };
}

export function rnnReference(a: RecurrentReferenceArgs): RecurrentOutputs {
  const { X, W, R, B, hiddenSize: H } = a;
  const I = a.shape.I;
  return runRecurrence(a, 1, [a.initialH], (d, xOff, [h]) => {
    const act = a.activations[d];
    const next = new Array<number>(H);
    for (let j = 0; j < H; j++) {
      let pre = dotRow(X, xOff, W, d * H * I, j, I) + dotRow(h, 0, R, d * H * H, j, H);
      if (B) pre += B[d * 2 * H + j] + B[d * 2 * H + H + j];
      next[j] = rnnActivate(clipTo(pre, a.clip), act);
    }
    for (let j = 0; j < H; j++) h[j] = next[j];
  });
}
