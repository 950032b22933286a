// GRU (ONNX semantics, float32): pack once with packGruF32, then run over arena addresses
// (gruF32Ptr) or Float32Arrays (gruF32). Equations in kernels/reference/gru.ts.
//
// The input projection carries Wb only; the recurrent packs carry Rb, because with
// linear_before_reset = 1 the reset gate multiplies Ht-1·Rhᵀ + Rbh (bias included), and with
// linear_before_reset = 0 the hidden gate's recurrent product needs r first, so it is a second
// GEMV over r⊙Ht-1 with its own pack.
import { EdgeRunError } from '../engine/errors.js';
import type { Runtime } from './runtime.js';
import { gruReference } from './reference/gru.js';
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

export interface GruOptions {
  /** [D, 3H, I], gates z, r, h. */
  W: Weight;
  /** [D, 3H, H]. */
  R: Weight;
  /** [D, 6H]: Wb then Rb. */
  B?: Weight;
  hiddenSize: number;
  direction?: RnnDirection;
  /** f, g per direction; default Sigmoid, Tanh. */
  activations?: RnnActivationSpec[];
  activationAlpha?: number[];
  activationBeta?: number[];
  clip?: number;
  linearBeforeReset?: boolean | number;
}

export interface GruOutputs {
  Y: Float32Array;
  Y_h: Float32Array;
}

export interface GruWeightsF32 {
  W: Float32Array;
  R: Float32Array;
  B?: Float32Array;
}

export interface PackedGru extends RecurrentPlan {
  readonly op: 'GRU';
  readonly numDirections: number;
  readonly activations: readonly RnnActivation[];
  readonly clip: number;
  readonly linearBeforeReset: boolean;
  /** The ONNX weights as given, kept only for the reference build. */
  readonly weights?: GruWeightsF32;
  /** True once free() ran; a freed pack is rejected. */
  readonly freed: boolean;
  free(): void;
}

interface GruDirectionPack {
  w: PackedGemmF32;
  /** lbr = 1: [z r h] panels; lbr = 0: [z r] panels. */
  rzr: PackedPanels;
  /** lbr = 0: [h] panels; lbr = 1: unused. */
  rh: PackedPanels | null;
  acts: number;
}

const OP = 'GRU';

export function packGruF32(rt: Runtime, o: GruOptions): PackedGru {
  if (!o) throw new EdgeRunError('InvalidArgument', `${OP}: options are required`);
  const H = checkPositiveInt(o.hiddenSize, 'hidden_size', OP);
  const direction = checkDirection(o.direction, OP);
  const D = directionCount(direction);
  const I = inputSizeFromW(o.W, D, 3, H, OP);
  const W = checkWeight(o.W, [D, 3 * H, I], 'W', OP).slice();
  const R = checkWeight(o.R, [D, 3 * H, H], 'R', OP).slice();
  const B = o.B === undefined ? undefined : checkWeight(o.B, [D, 6 * H], 'B', OP).slice();
  const activations = resolveActivations(OP, o.activations, ['sigmoid', 'tanh'], D, o.activationAlpha, o.activationBeta);
  const clip = checkClip(o.clip, OP);
  const lbr = !!o.linearBeforeReset;
  const Hp = paddedHidden(H);
  const N = 3 * Hp;

  // Cleanups of everything packed so far, run in reverse by free() or on a failed pack.
  const owned: (() => void)[] = [];
  const packs: GruDirectionPack[] = [];
  const put = (host: Float32Array, K: number, n: number, what: string): PackedPanels => {
    const p = toArena(rt, host, K, n, `${OP} ${what}`);
    owned.push(() => rt.arena.free(p.ptr));
    return p;
  };
  if (rt.wasm) {
    try {
      for (let d = 0; d < D; d++) {
        const wb = B ? (row: number) => B[d * 6 * H + row] : undefined;
        const rb = B ? (row: number) => B[d * 6 * H + 3 * H + row] : undefined;
        const wBase = d * 3 * H * I;
        const rBase = d * 3 * H * H;
        const w = packProjection(rt, W, wBase, I, N, (n) => interleavedSource(n, [0, 1, 2], H), wb);
        owned.push(() => w.free());
        let rzr: PackedPanels;
        let rh: PackedPanels | null = null;
        if (lbr) {
          rzr = put(packRecurrentHost(R, rBase, H, Hp, N, (n) => interleavedSource(n, [0, 1, 2], H), rb), Hp, N, 'R');
        } else {
          rzr = put(packRecurrentHost(R, rBase, H, Hp, 2 * Hp, (n) => interleavedSource(n, [0, 1], H), rb), Hp, 2 * Hp, 'R');
          rh = put(packRecurrentHost(R, rBase, H, Hp, Hp, (n) => interleavedSource(n, [2], H), rb), Hp, Hp, 'R');
        }
        const acts = activationTable(rt, activations.slice(2 * d, 2 * d + 2), `${OP} activations`);
        owned.push(() => rt.arena.free(acts));
        packs.push({ w, rzr, rh, acts });
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
    gCols: N,
    scratchFloats: N,
    activations,
    clip,
    linearBeforeReset: lbr,
    weights: wasm ? undefined : { W, R, B },
    project(d, xPtr, rows, gPtr) {
      projectInputs(rt, packs[d].w, xPtr, rows, gPtr);
    },
    step(d, gRow, hPrev, hOut, _c, y, scratch, tmp) {
      const p = packs[d];
      wasm!.gru_step(Hp, hPrev, p.rzr.ptr, p.rh ? p.rh.ptr : 0, gRow, scratch, tmp, hOut, y, H, p.acts, clip, lbr ? 1 : 0);
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

function checkPacked(rt: Runtime, p: PackedGru): void {
  if (!p || p.op !== OP) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights are not a PackedGru`);
  if (p.rt !== rt) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights belong to another runtime`);
  if (p.freed) throw new EdgeRunError('InvalidArgument', `${OP}: packed weights were freed`);
}

/** Runs the GRU over arena addresses (see RecurrentPtrArgs; initialCPtr/ycPtr are rejected). */
export function gruF32Ptr(rt: Runtime, packed: PackedGru, args: RecurrentPtrArgs): void {
  checkPacked(rt, packed);
  const run = checkPtrArgs(packed, args);
  if (rt.wasm) {
    runRecurrentWasm(packed, args, run);
    return;
  }
  const w = packed.weights!;
  runRecurrentReference(rt, args, run, packed.hiddenSize, (X, initialH) =>
    gruReference({
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
      linearBeforeReset: packed.linearBeforeReset,
    }),
  );
}

/** Runs the GRU over Float32Arrays; returns Y, Y_h. */
export function gruF32(rt: Runtime, packed: PackedGru, inputs: RecurrentInputs): GruOutputs {
  checkPacked(rt, packed);
  return runConvenience(rt, OP, inputs, packed.hiddenSize, packed.numDirections, false, (a) => gruF32Ptr(rt, packed, a));
}
