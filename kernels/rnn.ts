// Plain RNN (ONNX semantics, float32): Ht = f(clip(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)). Pack once with
// packRnnF32, then run over arena addresses (rnnF32Ptr) or Float32Arrays (rnnF32).
// LSTM and GRU live in kernels/lstm.ts and kernels/gru.ts; the shared pieces in rnn-common.ts,
// rnn-pack.ts, rnn-project.ts and rnn-driver.ts.
import type { Runtime } from './runtime.js';
import { rnnReference } from './reference/rnn.js';
import { checkCellWeights, checkClip, paddedHidden, resolveActivations, type CellOptions, type RnnActivationSpec, type Weight } from './rnn-common.js';
import { activationTable, packedCell, referenceArgs, runCellConvenience, runCellPtr, type CellReference, type PackedRecurrent, type RecurrentInputs, type RecurrentPtrArgs } from './rnn-driver.js';
import { interleavedSource, OwnedResources, packDirections, packRecurrentHost, toArena, type PackedPanels } from './rnn-pack.js';
import { packProjection } from './rnn-project.js';
import type { PackedGemmF32 } from './gemm.js';

export interface RnnOptions extends CellOptions {
  /** [D, H, I]. */
  W: Weight;
  /** [D, H, H]. */
  R: Weight;
  /** [D, 2H]: Wb then Rb. */
  B?: Weight;
  /** f per direction; default Tanh. */
  activations?: RnnActivationSpec[];
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

export interface PackedRnn extends PackedRecurrent {
  readonly op: 'RNN';
  readonly weights?: RnnWeightsF32;
}

const OP = 'RNN';

export function packRnnF32(rt: Runtime, o: RnnOptions): PackedRnn {
  const { H, direction, D, I, W, R, B } = checkCellWeights(o, 1, OP);
  const activations = resolveActivations(OP, o.activations, ['tanh'], D, o.activationAlpha, o.activationBeta);
  const clip = checkClip(o.clip, OP);
  const Hp = paddedHidden(H);

  const owned = new OwnedResources(rt);
  const packs = packDirections(rt, D, owned, (d): { w: PackedGemmF32; r: PackedPanels; acts: number } => {
    const src = (n: number) => interleavedSource(n, [0], H);
    const bias = B ? (row: number) => B[d * 2 * H + row] + B[d * 2 * H + H + row] : undefined;
    const w = owned.packed(packProjection(rt, W, d * H * I, I, Hp, src, bias));
    const r = owned.panels(toArena(rt, packRecurrentHost(R, d * H * H, H, Hp, Hp, src), Hp, Hp, `${OP} R`));
    const acts = owned.block(activationTable(rt, activations.slice(d, d + 1), `${OP} activations`));
    return { w, r, acts };
  });
  const wasm = rt.wasm;
  return packedCell<PackedRnn>(rt, owned, packs, { H, Hp, I, direction, D }, {
    op: OP,
    hasCellState: false,
    gCols: Hp,
    scratchFloats: Hp,
    activations,
    clip,
    weights: wasm ? undefined : { W, R, B },
    step(d, gRow, hPrev, hOut, _c, y, scratch) {
      const p = packs[d];
      wasm!.rnn_step(Hp, hPrev, p.r.ptr, gRow, scratch, hOut, y, H, p.acts, clip);
    },
  });
}

const reference: CellReference<PackedRnn> = (p, run, X, initialH) => rnnReference(referenceArgs(p, run, X, initialH));

/** Runs the RNN over arena addresses (see RecurrentPtrArgs; initialCPtr/ycPtr are rejected). */
export function rnnF32Ptr(rt: Runtime, packed: PackedRnn, args: RecurrentPtrArgs): void {
  runCellPtr(rt, packed, args, OP, 'PackedRnn', reference);
}

/** Runs the RNN over Float32Arrays; returns Y, Y_h. */
export function rnnF32(rt: Runtime, packed: PackedRnn, inputs: RecurrentInputs): RnnOutputs {
  return runCellConvenience(rt, packed, inputs, OP, 'PackedRnn', rnnF32Ptr);
}
