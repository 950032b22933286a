// GRU (ONNX semantics, float32): pack once with packGruF32, then run over arena addresses
// (gruF32Ptr) or Float32Arrays (gruF32). Equations in kernels/reference/gru.ts.
//
// The input projection carries Wb only; the recurrent packs carry Rb, because with
// linear_before_reset = 1 the reset gate multiplies Ht-1·Rhᵀ + Rbh (bias included), and with
// linear_before_reset = 0 the hidden gate's recurrent product needs r first, so it is a second
// GEMV over r⊙Ht-1 with its own pack.
import type { Runtime } from './runtime.js';
import { gruReference } from './reference/gru.js';
import { checkCellWeights, checkClip, paddedHidden, resolveActivations, type CellOptions, type RnnActivationSpec, type Weight } from './rnn-common.js';
import { activationTable, packedCell, referenceArgs, runCellConvenience, runCellPtr, type CellReference, type PackedRecurrent, type RecurrentInputs, type RecurrentPtrArgs } from './rnn-driver.js';
import { interleavedSource, OwnedResources, packDirections, packRecurrentHost, toArena, type PackedPanels } from './rnn-pack.js';
import { packProjection } from './rnn-project.js';
import type { PackedGemmF32 } from './gemm.js';

export interface GruOptions extends CellOptions {
  /** [D, 3H, I], gates z, r, h. */
  W: Weight;
  /** [D, 3H, H]. */
  R: Weight;
  /** [D, 6H]: Wb then Rb. */
  B?: Weight;
  /** f, g per direction; default Sigmoid, Tanh. */
  activations?: RnnActivationSpec[];
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

export interface PackedGru extends PackedRecurrent {
  readonly op: 'GRU';
  readonly linearBeforeReset: boolean;
  readonly weights?: GruWeightsF32;
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
  const { H, direction, D, I, W, R, B } = checkCellWeights(o, 3, OP);
  const activations = resolveActivations(OP, o.activations, ['sigmoid', 'tanh'], D, o.activationAlpha, o.activationBeta);
  const clip = checkClip(o.clip, OP);
  const lbr = !!o.linearBeforeReset;
  const Hp = paddedHidden(H);
  const N = 3 * Hp;

  const owned = new OwnedResources(rt);
  const put = (host: Float32Array, K: number, n: number, what: string): PackedPanels => owned.panels(toArena(rt, host, K, n, `${OP} ${what}`));
  const packs = packDirections(rt, D, owned, (d): GruDirectionPack => {
    const wb = B ? (row: number) => B[d * 6 * H + row] : undefined;
    const rb = B ? (row: number) => B[d * 6 * H + 3 * H + row] : undefined;
    const wBase = d * 3 * H * I;
    const rBase = d * 3 * H * H;
    const w = owned.packed(packProjection(rt, W, wBase, I, N, (n) => interleavedSource(n, [0, 1, 2], H), wb));
    let rzr: PackedPanels;
    let rh: PackedPanels | null = null;
    if (lbr) {
      rzr = put(packRecurrentHost(R, rBase, H, Hp, N, (n) => interleavedSource(n, [0, 1, 2], H), rb), Hp, N, 'R');
    } else {
      rzr = put(packRecurrentHost(R, rBase, H, Hp, 2 * Hp, (n) => interleavedSource(n, [0, 1], H), rb), Hp, 2 * Hp, 'R');
      rh = put(packRecurrentHost(R, rBase, H, Hp, Hp, (n) => interleavedSource(n, [2], H), rb), Hp, Hp, 'R');
    }
    const acts = owned.block(activationTable(rt, activations.slice(2 * d, 2 * d + 2), `${OP} activations`));
    return { w, rzr, rh, acts };
  });
  const wasm = rt.wasm;
  return packedCell<PackedGru>(rt, owned, packs, { H, Hp, I, direction, D }, {
    op: OP,
    hasCellState: false,
    gCols: N,
    scratchFloats: N,
    activations,
    clip,
    linearBeforeReset: lbr,
    weights: wasm ? undefined : { W, R, B },
    step(d, gRow, hPrev, hOut, _c, y, scratch, tmp) {
      const p = packs[d];
      wasm!.gru_step(Hp, hPrev, p.rzr.ptr, p.rh ? p.rh.ptr : 0, gRow, scratch, tmp, hOut, y, H, p.acts, clip, lbr ? 1 : 0);
    },
  });
}

const reference: CellReference<PackedGru> = (p, run, X, initialH) =>
  gruReference({ ...referenceArgs(p, run, X, initialH), linearBeforeReset: p.linearBeforeReset });

/** Runs the GRU over arena addresses (see RecurrentPtrArgs; initialCPtr/ycPtr are rejected). */
export function gruF32Ptr(rt: Runtime, packed: PackedGru, args: RecurrentPtrArgs): void {
  runCellPtr(rt, packed, args, OP, 'PackedGru', reference);
}

/** Runs the GRU over Float32Arrays; returns Y, Y_h. */
export function gruF32(rt: Runtime, packed: PackedGru, inputs: RecurrentInputs): GruOutputs {
  return runCellConvenience(rt, packed, inputs, OP, 'PackedGru', gruF32Ptr);
}
