// LSTM (ONNX semantics, float32): pack once with packLstmF32, then run over arena addresses
// (lstmF32Ptr) or Float32Arrays (lstmF32). Equations in kernels/reference/lstm.ts.
import { EdgeRunError } from '../engine/errors.js';
import type { Runtime } from './runtime.js';
import { lstmReference } from './reference/lstm.js';
import {
  checkClip,
  checkDirection,
  checkPositiveInt,
  checkWeight,
  directionCount,
  inputSizeFromW,
  paddedHidden,
  resolveActivations,
  type RnnActivation,
  type RnnActivationSpec,
  type RnnDirection,
  type Weight,
} from './rnn-common.js';
import {
  activationTable,
  checkPtrArgs,
  runConvenience,
  runRecurrentReference,
  runRecurrentWasm,
  type RecurrentInputs,
  type RecurrentPlan,
  type RecurrentPtrArgs,
} from './rnn-driver.js';
import { interleavedSource, packRecurrentHost, toArena, type PackedPanels } from './rnn-pack.js';
import { packProjection, projectInputs } from './rnn-project.js';
import type { PackedGemmF32 } from './gemm.js';

export interface LstmOptions {
  /** [D, 4H, I], gates i, o, f, c. */
  W: Weight;
  /** [D, 4H, H]. */
  R: Weight;
  /** [D, 8H]: Wb then Rb. */
  B?: Weight;
  /** [D, 3H]: peepholes i, o, f. */
  P?: Weight;
  hiddenSize: number;
  direction?: RnnDirection;
  /** f, g, h per direction; default Sigmoid, Tanh, Tanh. */
  activations?: RnnActivationSpec[];
  activationAlpha?: number[];
  activationBeta?: number[];
  /** Cell clip applied to the gate pre-activations; absent = none. */
  clip?: number;
  /** Couple the input and forget gates: f = 1 - i. */
  inputForget?: boolean | number;
}

export interface LstmOutputs {
  /** [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1). */
  Y: Float32Array;
  /** [D, B, H] (layout 0) or [B, D, H] (layout 1). */
  Y_h: Float32Array;
  Y_c: Float32Array;
}

interface LstmDirectionPack {
  w: PackedGemmF32;
  r: PackedPanels;
  /** [Pi Po Pf], Hp each, or 0. */
  peep: number;
  acts: number;
}

export interface LstmWeightsF32 {
  W: Float32Array;
  R: Float32Array;
  B?: Float32Array;
  P?: Float32Array;
}

export interface PackedLstm extends RecurrentPlan {
  readonly op: 'LSTM';
  /** The ONNX weights as given, kept only for the reference build (its kernels read them directly). */
  readonly weights?: LstmWeightsF32;
  readonly numDirections: number;
  readonly activations: readonly RnnActivation[];
  readonly clip: number;
  readonly inputForget: boolean;
  /** True once free() ran; a freed pack is rejected. */
  readonly freed: boolean;
  free(): void;
}

const OP = 'LSTM';

export function packLstmF32(rt: Runtime, o: LstmOptions): PackedLstm {
  if (!o) throw new EdgeRunError('InvalidArgument', `${OP}: options are required`);
  const H = checkPositiveInt(o.hiddenSize, 'hidden_size', OP);
  const direction = checkDirection(o.direction, OP);
  const D = directionCount(direction);
  const I = inputSizeFromW(o.W, D, 4, H, OP);
  const W = checkWeight(o.W, [D, 4 * H, I], 'W', OP).slice();
  const R = checkWeight(o.R, [D, 4 * H, H], 'R', OP).slice();
  const B = o.B === undefined ? undefined : checkWeight(o.B, [D, 8 * H], 'B', OP).slice();
  const P = o.P === undefined ? undefined : checkWeight(o.P, [D, 3 * H], 'P', OP).slice();
  const activations = resolveActivations(OP, o.activations, ['sigmoid', 'tanh', 'tanh'], D, o.activationAlpha, o.activationBeta);
  const clip = checkClip(o.clip, OP);
  const inputForget = !!o.inputForget;
  const Hp = paddedHidden(H);
  const N = 4 * Hp;

  // Cleanups of everything packed so far, run in reverse by free() or on a failed pack.
  const owned: (() => void)[] = [];
  const own = (ptr: number) => owned.push(() => rt.arena.free(ptr));
  const packs: LstmDirectionPack[] = [];
  if (rt.wasm) {
    try {
      for (let d = 0; d < D; d++) {
        const src = (n: number) => interleavedSource(n, [0, 1, 2, 3], H);
        const bias = B ? (row: number) => B[d * 8 * H + row] + B[d * 8 * H + 4 * H + row] : undefined;
        const w = packProjection(rt, W, d * 4 * H * I, I, N, src, bias);
        owned.push(() => w.free());
        const r = toArena(rt, packRecurrentHost(R, d * 4 * H * H, H, Hp, N, src), Hp, N, `${OP} R`);
        own(r.ptr);
        let peep = 0;
        if (P) {
          peep = rt.arena.alloc(3 * Hp * 4, `${OP} P`);
          own(peep);
          const view = rt.arena.f32(peep, 3 * Hp).fill(0);
          for (let gate = 0; gate < 3; gate++) view.set(P.subarray(d * 3 * H + gate * H, d * 3 * H + (gate + 1) * H), gate * Hp);
        }
        const acts = activationTable(rt, activations.slice(3 * d, 3 * d + 3), `${OP} activations`);
        own(acts);
        packs.push({ w, r, peep, acts });
      }
    } catch (e) {
      for (const undo of owned.reverse()) undo();
      throw e;
    }
  }
  let freed = false;
  const wasm = rt.wasm;
  return {
    op: OP,
    rt,
    hiddenSize: H,
    paddedHidden: Hp,
    inputSize: I,
    direction,
    numDirections: D,
    hasCellState: true,
    gCols: N,
    scratchFloats: N,
    activations,
    clip,
    inputForget,
    project(d, xPtr, rows, gPtr) {
      projectInputs(rt, packs[d].w, xPtr, rows, gPtr);
    },
    step(d, gRow, hPrev, hOut, c, y, scratch) {
      const p = packs[d];
      wasm!.lstm_step(Hp, hPrev, p.r.ptr, gRow, scratch, c, hOut, y, H, p.peep, p.acts, clip, inputForget ? 1 : 0);
    },
    get freed() {
      return freed;
    },
    free() {
      if (freed) return;
      freed = true;
      for (const undo of owned.reverse()) undo();
    },
    weights: wasm ? undefined : { W, R, B, P },
  };
}

function checkPacked(rt: Runtime, p: PackedLstm): void {
  if (!p || p.op !== OP) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights are not a PackedLstm`);
  if (p.rt !== rt) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights belong to another runtime`);
  if (p.freed) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights were freed`);
}

/** Runs the LSTM over arena addresses (see RecurrentPtrArgs). */
export function lstmF32Ptr(rt: Runtime, packed: PackedLstm, args: RecurrentPtrArgs): void {
  checkPacked(rt, packed);
  const run = checkPtrArgs(packed, args);
  if (rt.wasm) {
    runRecurrentWasm(packed, args, run);
    return;
  }
  const w = packed.weights!;
  runRecurrentReference(rt, args, run, packed.hiddenSize, (X, initialH, initialC) =>
    lstmReference({
      X,
      shape: run.shape,
      hiddenSize: packed.hiddenSize,
      direction: packed.direction,
      W: w.W,
      R: w.R,
      B: w.B,
      P: w.P,
      sequenceLens: run.lens,
      initialH,
      initialC,
      activations: [...packed.activations],
      clip: packed.clip,
      inputForget: packed.inputForget,
    }),
  );
}

/** Runs the LSTM over Float32Arrays; returns Y, Y_h, Y_c. */
export function lstmF32(rt: Runtime, packed: PackedLstm, inputs: RecurrentInputs): LstmOutputs {
  checkPacked(rt, packed);
  return runConvenience(rt, OP, inputs, packed.hiddenSize, packed.numDirections, true, (a) => lstmF32Ptr(rt, packed, a)) as LstmOutputs;
}
