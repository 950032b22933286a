// Plain RNN (ONNX semantics, float32): Ht = f(clip(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)). Pack once with
// packRnnF32, then run over arena addresses (rnnF32Ptr) or Float32Arrays (rnnF32).
// LSTM and GRU live in kernels/lstm.ts and kernels/gru.ts; the shared pieces in rnn-common.ts,
// rnn-pack.ts, rnn-project.ts and rnn-driver.ts.
import { EdgeRunError } from '../engine/errors.js';
import type { Runtime } from './runtime.js';
import { rnnReference } from './reference/rnn.js';
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

export interface RnnOptions {
  /** [D, H, I]. */
  W: Weight;
  /** [D, H, H]. */
  R: Weight;
  /** [D, 2H]: Wb then Rb. */
  B?: Weight;
  hiddenSize: number;
  direction?: RnnDirection;
  /** f per direction; default Tanh. */
  activations?: RnnActivationSpec[];
  activationAlpha?: number[];
  activationBeta?: number[];
  clip?: number;
}

export interface RnnOutputs {
  Y: Float32Array;
  Y_h: Float32Array;
}

export interface RnnWeightsF32 {
  W: Float32Array;
  R: Float32Array;
  B?: Float32Array;
}

export interface PackedRnn extends RecurrentPlan {
  readonly op: 'RNN';
  readonly numDirections: number;
  readonly activations: readonly RnnActivation[];
  readonly clip: number;
  /** The ONNX weights as given, kept only for the reference build. */
  readonly weights?: RnnWeightsF32;
  /** True once free() ran; a freed pack is rejected. */
  readonly freed: boolean;
  free(): void;
}

const OP = 'RNN';

export function packRnnF32(rt: Runtime, o: RnnOptions): PackedRnn {
  if (!o) throw new EdgeRunError('InvalidArgument', `${OP}: options are required`);
  const H = checkPositiveInt(o.hiddenSize, 'hidden_size', OP);
  const direction = checkDirection(o.direction, OP);
  const D = directionCount(direction);
  const I = inputSizeFromW(o.W, D, 1, H, OP);
  const W = checkWeight(o.W, [D, H, I], 'W', OP).slice();
  const R = checkWeight(o.R, [D, H, H], 'R', OP).slice();
  const B = o.B === undefined ? undefined : checkWeight(o.B, [D, 2 * H], 'B', OP).slice();
  const activations = resolveActivations(OP, o.activations, ['tanh'], D, o.activationAlpha, o.activationBeta);
  const clip = checkClip(o.clip, OP);
  const Hp = paddedHidden(H);

  // Cleanups of everything packed so far, run in reverse by free() or on a failed pack.
  const owned: (() => void)[] = [];
  const own = (ptr: number) => owned.push(() => rt.arena.free(ptr));
  const packs: { w: PackedGemmF32; r: PackedPanels; acts: number }[] = [];
  if (rt.wasm) {
    try {
      for (let d = 0; d < D; d++) {
        const src = (n: number) => interleavedSource(n, [0], H);
        const bias = B ? (row: number) => B[d * 2 * H + row] + B[d * 2 * H + H + row] : undefined;
        const w = packProjection(rt, W, d * H * I, I, Hp, src, bias);
        owned.push(() => w.free());
        const r = toArena(rt, packRecurrentHost(R, d * H * H, H, Hp, Hp, src), Hp, Hp, `${OP} R`);
        own(r.ptr);
        const acts = activationTable(rt, activations.slice(d, d + 1), `${OP} activations`);
        own(acts);
        packs.push({ w, r, acts });
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
    hasCellState: false,
    gCols: Hp,
    scratchFloats: Hp,
    activations,
    clip,
    weights: wasm ? undefined : { W, R, B },
    project(d, xPtr, rows, gPtr) {
      projectInputs(rt, packs[d].w, xPtr, rows, gPtr);
    },
    step(d, gRow, hPrev, hOut, _c, y, scratch) {
      const p = packs[d];
      wasm!.rnn_step(Hp, hPrev, p.r.ptr, gRow, scratch, hOut, y, H, p.acts, clip);
    },
    get freed() {
      return freed;
    },
    free() {
      if (freed) return;
      freed = true;
      for (const undo of owned.reverse()) undo();
    },
  };
}

function checkPacked(rt: Runtime, p: PackedRnn): void {
  if (!p || p.op !== OP) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights are not a PackedRnn`);
  if (p.rt !== rt) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights belong to another runtime`);
  if (p.freed) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights were freed`);
}

/** Runs the RNN over arena addresses (see RecurrentPtrArgs; initialCPtr/ycPtr are rejected). */
export function rnnF32Ptr(rt: Runtime, packed: PackedRnn, args: RecurrentPtrArgs): void {
  checkPacked(rt, packed);
  const run = checkPtrArgs(packed, args);
  if (rt.wasm) {
    runRecurrentWasm(packed, args, run);
    return;
  }
  const w = packed.weights!;
  runRecurrentReference(rt, args, run, packed.hiddenSize, (X, initialH) =>
    rnnReference({
      X,
      shape: run.shape,
      hiddenSize: packed.hiddenSize,
      direction: packed.direction,
      W: w.W,
      R: w.R,
      B: w.B,
      sequenceLens: run.lens,
      initialH,
      activations: [...packed.activations],
      clip: packed.clip,
    }),
  );
}

/** Runs the RNN over Float32Arrays; returns Y, Y_h. */
export function rnnF32(rt: Runtime, packed: PackedRnn, inputs: RecurrentInputs): RnnOutputs {
  checkPacked(rt, packed);
  return runConvenience(rt, OP, inputs, packed.hiddenSize, packed.numDirections, false, (a) => rnnF32Ptr(rt, packed, a));
}
