// LSTM (ONNX semantics, float32): pack once with packLstmF32, then run over arena addresses
// (lstmF32Ptr) or Float32Arrays (lstmF32). Equations in kernels/reference/lstm.ts.
import type { Runtime } from './runtime.js';
import { lstmReference } from './reference/lstm.js';
import { checkCellWeights, checkClip, checkWeight, paddedHidden, resolveActivations, type CellOptions, type RnnActivationSpec, type Weight } from './rnn-common.js';
import { activationTable, packedCell, referenceArgs, runCellConvenience, runCellPtr, type CellReference, type PackedRecurrent, type RecurrentInputs, type RecurrentPtrArgs } from './rnn-driver.js';
import { interleavedSource, OwnedResources, packDirections, packRecurrentHost, toArena, type PackedPanels } from './rnn-pack.js';
import { packProjection } from './rnn-project.js';
import type { PackedGemmF32 } from './gemm.js';

export interface LstmOptions extends CellOptions {
  /** [D, 4H, I], gates i, o, f, c. */
  W: Weight;
  /** [D, 4H, H]. */
  R: Weight;
  /** [D, 8H]: Wb then Rb. */
  B?: Weight;
  /** [D, 3H]: peepholes i, o, f. */
  P?: Weight;
  /** f, g, h per direction; default Sigmoid, Tanh, Tanh. */
  activations?: RnnActivationSpec[];
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

export interface PackedLstm extends PackedRecurrent {
  readonly op: 'LSTM';
  readonly weights?: LstmWeightsF32;
  readonly inputForget: boolean;
}

const OP = 'LSTM';

export function packLstmF32(rt: Runtime, o: LstmOptions): PackedLstm {
  const { H, direction, D, I, W, R, B } = checkCellWeights(o, 4, OP);
  const P = o.P === undefined ? undefined : checkWeight(o.P, [D, 3 * H], 'P', OP).slice();
  const activations = resolveActivations(OP, o.activations, ['sigmoid', 'tanh', 'tanh'], D, o.activationAlpha, o.activationBeta);
  const clip = checkClip(o.clip, OP);
  const inputForget = !!o.inputForget;
  const Hp = paddedHidden(H);
  const N = 4 * Hp;

  const owned = new OwnedResources(rt);
  const packs = packDirections(rt, D, owned, (d): LstmDirectionPack => {
    const src = (n: number) => interleavedSource(n, [0, 1, 2, 3], H);
    const bias = B ? (row: number) => B[d * 8 * H + row] + B[d * 8 * H + 4 * H + row] : undefined;
    const w = owned.packed(packProjection(rt, W, d * 4 * H * I, I, N, src, bias));
    const r = owned.panels(toArena(rt, packRecurrentHost(R, d * 4 * H * H, H, Hp, N, src), Hp, N, `${OP} R`));
    let peep = 0;
    if (P) {
      peep = owned.block(rt.arena.alloc(3 * Hp * 4, `${OP} P`));
      const view = rt.arena.f32(peep, 3 * Hp).fill(0);
      for (let gate = 0; gate < 3; gate++) view.set(P.subarray(d * 3 * H + gate * H, d * 3 * H + (gate + 1) * H), gate * Hp);
    }
    const acts = owned.block(activationTable(rt, activations.slice(3 * d, 3 * d + 3), `${OP} activations`));
    return { w, r, peep, acts };
  });
  const wasm = rt.wasm;
  return packedCell<PackedLstm>(rt, owned, packs, { H, Hp, I, direction, D }, {
    op: OP,
    hasCellState: true,
    gCols: N,
    scratchFloats: N,
    activations,
    clip,
    inputForget,
    step(d, gRow, hPrev, hOut, c, y, scratch) {
      const p = packs[d];
      wasm!.lstm_step(Hp, hPrev, p.r.ptr, gRow, scratch, c, hOut, y, H, p.peep, p.acts, clip, inputForget ? 1 : 0);
    },
    weights: wasm ? undefined : { W, R, B, P },
  });
}

const reference: CellReference<PackedLstm> = (p, run, X, initialH, initialC) =>
  lstmReference(Object.assign(referenceArgs(p, run, X, initialH), { P: p.weights!.P, initialC, inputForget: p.inputForget }));

/** Runs the LSTM over arena addresses (see RecurrentPtrArgs). */
export function lstmF32Ptr(rt: Runtime, packed: PackedLstm, args: RecurrentPtrArgs): void {
  runCellPtr(rt, packed, args, OP, 'PackedLstm', reference);
}

/** Runs the LSTM over Float32Arrays; returns Y, Y_h, Y_c. */
export function lstmF32(rt: Runtime, packed: PackedLstm, inputs: RecurrentInputs): LstmOutputs {
  return runCellConvenience(rt, packed, inputs, OP, 'PackedLstm', lstmF32Ptr) as LstmOutputs;
}
