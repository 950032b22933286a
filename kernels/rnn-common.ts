// What LSTM, GRU and RNN share: directions, the ONNX activation list and how its alpha/beta
// attributes are consumed, argument checks, and the packed-weight layout of the recurrent cells.
import { EdgeRunError } from '../engine/errors.js';

export type RnnDirection = 'forward' | 'reverse' | 'bidirectional';

/** The activations ONNX lists for its recurrent operators (names lower-cased). */
export type RnnActivationKind =
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'affine'
  | 'leakyrelu'
  | 'thresholdedrelu'
  | 'scaledtanh'
  | 'hardsigmoid'
  | 'elu'
  | 'softsign'
  | 'softplus';

/** A resolved activation: alpha/beta already filled in (defaults applied). */
export interface RnnActivation {
  kind: RnnActivationKind;
  alpha: number;
  beta: number;
}

/** Numeric codes shared with wasm/rnn.ts; keep both lists in this order. */
export const RNN_ACT_CODES: Record<RnnActivationKind, number> = {
  sigmoid: 0,
  tanh: 1,
  relu: 2,
  affine: 3,
  leakyrelu: 4,
  thresholdedrelu: 5,
  scaledtanh: 6,
  hardsigmoid: 7,
  elu: 8,
  softsign: 9,
  softplus: 10,
};

// Which activations take alpha / beta, and their defaults. onnxruntime consumes the flat
// activation_alpha / activation_beta lists in order, one value per activation that uses it
// (not one per activation), and falls back to these defaults when a list runs out.
const USES: Record<RnnActivationKind, [boolean, boolean]> = {
  sigmoid: [false, false],
  tanh: [false, false],
  relu: [false, false],
  affine: [true, true],
  leakyrelu: [true, false],
  thresholdedrelu: [true, false],
  scaledtanh: [true, true],
  hardsigmoid: [true, true],
  elu: [true, false],
  softsign: [false, false],
  softplus: [false, false],
};
const DEFAULTS: Partial<Record<RnnActivationKind, [number, number]>> = {
  leakyrelu: [0.01, 0],
  hardsigmoid: [0.2, 0.5],
  elu: [1, 0],
};

/** An activation as a user or an ONNX attribute gives it: a name, or a name with alpha/beta. */
export type RnnActivationSpec = string | { kind: string; alpha?: number; beta?: number };

export function directionCount(direction: RnnDirection): 1 | 2 {
  return direction === 'bidirectional' ? 2 : 1;
}

export function checkDirection(direction: unknown, op: string): RnnDirection {
  if (direction === undefined) return 'forward';
  if (direction === 'forward' || direction === 'reverse' || direction === 'bidirectional') return direction;
  throw new EdgeRunError('InvalidArgument', `${op}: direction '${String(direction)}' is not forward, reverse or bidirectional`);
}

/**
 * Resolve the activations of every direction: `perDirection` per direction (LSTM 3: f, g, h;
 * GRU 2: f, g; RNN 1: f), defaults used when `specs` is absent. `alphas`/`betas` are the ONNX
 * activation_alpha / activation_beta attribute lists.
 */
export function resolveActivations(
  op: string,
  specs: readonly RnnActivationSpec[] | undefined,
  defaults: readonly RnnActivationKind[],
  directions: number,
  alphas: readonly number[] = [],
  betas: readonly number[] = [],
): RnnActivation[] {
  const perDirection = defaults.length;
  const want = perDirection * directions;
  let list: readonly RnnActivationSpec[];
  if (specs === undefined || specs.length === 0) {
    list = Array.from({ length: want }, (_, i) => defaults[i % perDirection]);
  } else if (specs.length === want) {
    list = specs;
  } else if (op === 'RNN' && directions === 1 && specs.length === 2) {
    // The ONNX schema's RNN default is [Tanh, Tanh] even for one direction; onnxruntime takes the first.
    list = specs.slice(0, 1);
  } else {
    throw new EdgeRunError(
      'InvalidArgument',
      `${op}: activations has ${specs.length} entries, expected ${want} (${perDirection} per direction × ${directions})`,
    );
  }
  let ia = 0;
  let ib = 0;
  return list.map((spec, i) => {
    const name = typeof spec === 'string' ? spec : spec?.kind;
    const kind = String(name).toLowerCase() as RnnActivationKind;
    if (!(kind in USES)) {
      throw new EdgeRunError('InvalidArgument', `${op}: activations[${i}] '${String(name)}' is not one of ${Object.keys(USES).join(', ')}`);
    }
    const [needA, needB] = USES[kind];
    const [defA, defB] = DEFAULTS[kind] ?? [0, 0];
    let alpha = 0;
    let beta = 0;
    if (needA) alpha = typeof spec === 'object' && spec.alpha !== undefined ? spec.alpha : ia < alphas.length ? alphas[ia++] : defA;
    if (needB) beta = typeof spec === 'object' && spec.beta !== undefined ? spec.beta : ib < betas.length ? betas[ib++] : defB;
    if (!Number.isFinite(alpha) || !Number.isFinite(beta)) {
      throw new EdgeRunError('InvalidArgument', `${op}: activations[${i}] ${kind} alpha/beta must be finite, got ${alpha}/${beta}`);
    }
    return { kind, alpha, beta };
  });
}

/** Cell clip: undefined/Infinity = none. Negative or NaN is a bad attribute. */
export function checkClip(clip: number | undefined, op: string): number {
  if (clip === undefined || clip === Infinity) return Infinity;
  if (typeof clip !== 'number' || Number.isNaN(clip) || clip < 0) {
    throw new EdgeRunError('InvalidArgument', `${op}: clip must be a non-negative number, got ${clip}`);
  }
  return clip;
}

/** A weight given as a flat array (shape implied by the other arguments) or with its dims. */
export type Weight = Float32Array | { data: Float32Array; dims: readonly number[] };

export function weightData(w: Weight): Float32Array {
  return w instanceof Float32Array ? w : w.data;
}

/** Throws ShapeMismatch naming `what` unless `w` holds exactly `dims` (and matches its own dims if given). */
export function checkWeight(w: Weight | undefined, dims: readonly number[], what: string, op: string): Float32Array {
  if (w === undefined) throw new EdgeRunError('InvalidArgument', `${op}: ${what} is required`);
  const data = weightData(w);
  if (!(data instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${op}: ${what} must be a Float32Array`);
  const want = dims.reduce((a, b) => a * b, 1);
  if (!(w instanceof Float32Array)) {
    const got = w.dims;
    if (got.length !== dims.length || got.some((d, i) => d !== dims[i])) {
      throw new EdgeRunError('ShapeMismatch', `${op}: ${what} has shape [${got.join(', ')}], expected [${dims.join(', ')}]`);
    }
  }
  if (data.length !== want) {
    throw new EdgeRunError('ShapeMismatch', `${op}: ${what} has ${data.length} elements, expected ${want} for shape [${dims.join(', ')}]`);
  }
  return data;
}

export function checkPositiveInt(n: unknown, what: string, op: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
    throw new EdgeRunError('InvalidArgument', `${op}: ${what} must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/** input_size implied by W: W.length / (D × gates × H), when no dims were given. */
export function inputSizeFromW(w: Weight | undefined, D: number, gates: number, H: number, op: string): number {
  if (w === undefined) throw new EdgeRunError('InvalidArgument', `${op}: W is required`);
  const data = weightData(w);
  if (!(data instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${op}: W must be a Float32Array`);
  if (!(w instanceof Float32Array)) {
    const d = w.dims;
    if (d.length !== 3) throw new EdgeRunError('ShapeMismatch', `${op}: W must have 3 dims [num_directions, ${gates}*hidden_size, input_size], got [${d.join(', ')}]`);
    if (d[1] !== gates * H) {
      throw new EdgeRunError('ShapeMismatch', `${op}: W has ${d[1]} rows per direction, hidden_size ${H} needs ${gates}*${H} = ${gates * H}`);
    }
    return d[2];
  }
  const rows = D * gates * H;
  if (data.length === 0 || data.length % rows !== 0) {
    throw new EdgeRunError('ShapeMismatch', `${op}: W has ${data.length} elements, not a multiple of num_directions*${gates}*hidden_size = ${rows}`);
  }
  return data.length / rows;
}

/**
 * The options every cell (LSTM, GRU, RNN) has. W is [D, gates·H, I], R [D, gates·H, H] and B
 * [D, 2·gates·H] (Wb then Rb); each cell's options document its gates and default activations.
 */
export interface CellOptions {
  W: Weight;
  R: Weight;
  B?: Weight;
  hiddenSize: number;
  direction?: RnnDirection;
  activations?: RnnActivationSpec[];
  activationAlpha?: number[];
  activationBeta?: number[];
  /** Cell clip applied to the gate pre-activations; absent = none. */
  clip?: number;
}

/** Checks the options every cell shares, in this order; returns copies of the weights. */
export function checkCellWeights(o: CellOptions, gates: number, op: string) {
  if (!o) throw new EdgeRunError('InvalidArgument', `${op}: options are required`);
  const H = checkPositiveInt(o.hiddenSize, 'hidden_size', op);
  const direction = checkDirection(o.direction, op);
  const D = directionCount(direction);
  const I = inputSizeFromW(o.W, D, gates, H, op);
  const W = checkWeight(o.W, [D, gates * H, I], 'W', op).slice();
  const R = checkWeight(o.R, [D, gates * H, H], 'R', op).slice();
  const B = o.B === undefined ? undefined : checkWeight(o.B, [D, 2 * gates * H], 'B', op).slice();
  return { H, direction, D, I, W, R, B };
}

/** Sequence lengths: one per batch entry, each in [0, T]. Absent = all T. */
export function checkSequenceLens(lens: ArrayLike<number> | undefined, T: number, B: number, op: string): Int32Array {
  const out = new Int32Array(B);
  if (lens === undefined) return out.fill(T);
  if (lens.length !== B) {
    throw new EdgeRunError('ShapeMismatch', `${op}: sequence_lens has ${lens.length} entries, batch size is ${B}`);
  }
  for (let b = 0; b < B; b++) {
    const n = lens[b];
    if (!Number.isInteger(n) || n < 0 || n > T) {
      throw new EdgeRunError('InvalidArgument', `${op}: sequence_lens[${b}] = ${n} is outside [0, ${T}] (seq_length)`);
    }
    out[b] = n;
  }
  return out;
}

/** Dims of X, Y, Y_h for a layout. layout 0: X [T, B, I]; layout 1: X [B, T, I]. */
export interface SeqShape {
  T: number;
  B: number;
  I: number;
  layout: 0 | 1;
}

export function checkSeqShape(xDims: readonly number[], xLength: number, I: number, layout: unknown, op: string): SeqShape {
  if (layout !== undefined && layout !== 0 && layout !== 1) {
    throw new EdgeRunError('InvalidArgument', `${op}: layout must be 0 or 1, got ${String(layout)}`);
  }
  const lay = (layout ?? 0) as 0 | 1;
  if (xDims.length !== 3 || xDims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new EdgeRunError('ShapeMismatch', `${op}: X must have 3 positive dims, got [${xDims.join(', ')}]`);
  }
  const [a, b, i] = xDims;
  if (i !== I) throw new EdgeRunError('ShapeMismatch', `${op}: X has input size ${i}, W expects ${I}`);
  if (xLength !== a * b * i) {
    throw new EdgeRunError('ShapeMismatch', `${op}: X has ${xLength} elements, dims [${xDims.join(', ')}] need ${a * b * i}`);
  }
  return lay === 0 ? { T: a, B: b, I, layout: 0 } : { T: b, B: a, I, layout: 1 };
}

/** Hidden units are padded to whole blocks of 8 (one packed panel per gate). */
export const UNIT_BLOCK = 8;
export function paddedHidden(H: number): number {
  return Math.ceil(H / UNIT_BLOCK) * UNIT_BLOCK;
}

/** Element offsets of row (t, b, direction d) in Y and of (b, d) in Y_h / initial states. */
export function yRowOffset(s: SeqShape, D: number, H: number, t: number, b: number, d: number): number {
  return s.layout === 0 ? ((t * D + d) * s.B + b) * H : ((b * s.T + t) * D + d) * H;
}
export function stateRowOffset(s: SeqShape, D: number, H: number, b: number, d: number): number {
  return s.layout === 0 ? (d * s.B + b) * H : (b * D + d) * H;
}
/** Row of X (and of the precomputed input projection) for time t, batch b. */
export function xRow(s: SeqShape, t: number, b: number): number {
  return s.layout === 0 ? t * s.B + b : b * s.T + t;
}
