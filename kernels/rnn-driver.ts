// The time loop shared by LSTM, GRU and RNN on the WASM builds, plus the two outer layers every
// cell exposes: the pointer API's checks and the Float32Array convenience API.
//
// Per direction: one input projection for all T·B rows (G = X·Wᵀ + biases), then per time step
// and batch row one WASM call doing Ht-1·Rᵀ and the gate math. Batch rows run their own time
// index (reverse direction walks each sequence backwards from its own length), so sequence_lens
// needs no masking: a finished row is simply not stepped, and its final state is copied out at
// its last step.
import { EdgeRunError } from '../engine/errors.js';
import type { Runtime } from './runtime.js';
import {
  checkSeqShape,
  checkSequenceLens,
  directionCount,
  RNN_ACT_CODES,
  stateRowOffset,
  xRow,
  yRowOffset,
  type RnnActivation,
  type RnnDirection,
  type SeqShape,
} from './rnn-common.js';
import type { PackedGemmF32 } from './gemm.js';
import type { RecurrentReferenceArgs } from './reference/rnn.js';
import { copyF32, zeroF32, type OwnedResources } from './rnn-pack.js';
import { projectInputs } from './rnn-project.js';

/** Arena addresses for one run. Absent outputs are not written; absent initial states are zeros. */
export interface RecurrentPtrArgs {
  xPtr: number;
  /** [T, B, I] (layout 0) or [B, T, I] (layout 1). */
  xDims: readonly number[];
  layout?: 0 | 1;
  sequenceLens?: ArrayLike<number>;
  initialHPtr?: number;
  initialCPtr?: number;
  yPtr?: number;
  yhPtr?: number;
  ycPtr?: number;
}

/** Float32Array inputs of the convenience API. */
export interface RecurrentInputs {
  X: Float32Array;
  xDims: readonly number[];
  layout?: 0 | 1;
  sequenceLens?: ArrayLike<number>;
  initialH?: Float32Array;
  initialC?: Float32Array;
}

/** What a packed cell tells the shared driver. */
export interface RecurrentPlan {
  readonly op: 'LSTM' | 'GRU' | 'RNN';
  readonly rt: Runtime;
  readonly hiddenSize: number;
  readonly paddedHidden: number;
  readonly inputSize: number;
  readonly direction: RnnDirection;
  readonly hasCellState: boolean;
  /** Floats per row of the input projection G. */
  readonly gCols: number;
  /** Floats of per-row scratch the step needs. */
  readonly scratchFloats: number;
  /** G[rows × gCols] = X[rows × I]·Wᵀ (+ biases) for direction d. */
  project(d: number, xPtr: number, rows: number, gPtr: number): void;
  /** One time step of one batch row. `c` is 0 without a cell state; `y` 0 when Y is not wanted. */
  step(d: number, gRow: number, hPrev: number, hOut: number, c: number, y: number, scratch: number, tmp: number): void;
}

/** What every packed cell (PackedLstm, PackedGru, PackedRnn) is beyond the plan the driver runs. */
export interface PackedRecurrent extends RecurrentPlan {
  readonly numDirections: number;
  readonly activations: readonly RnnActivation[];
  readonly clip: number;
  /** The ONNX weights as given, kept only for the reference build (its kernels read them directly). */
  readonly weights?: { W: Float32Array; R: Float32Array; B?: Float32Array };
  /** True once free() ran; a freed pack is rejected. */
  readonly freed: boolean;
  free(): void;
}

/** The parts every packed cell fills in alike (packedCell does). */
type CommonPart = 'rt' | 'hiddenSize' | 'paddedHidden' | 'inputSize' | 'direction' | 'numDirections' | 'project' | 'freed' | 'free';

/** What a cell's pack function gives packedCell: everything else. */
export type CellFields<P extends PackedRecurrent> = Omit<P, CommonPart>;

/** A cell's sizes: hidden H (padded Hp), input I, D directions. */
export interface CellSizes {
  H: number;
  Hp: number;
  I: number;
  direction: RnnDirection;
  D: number;
}

/**
 * Completes a packed cell: its runtime and sizes, the input projection (packs[d].w for
 * direction d), and free()/freed over what `owned` holds.
 */
export function packedCell<P extends PackedRecurrent>(
  rt: Runtime,
  owned: OwnedResources,
  packs: readonly { w: PackedGemmF32 }[],
  sizes: CellSizes,
  fields: CellFields<P>,
): CellFields<P> & Pick<PackedRecurrent, CommonPart> {
  return {
    ...fields,
    rt,
    hiddenSize: sizes.H,
    paddedHidden: sizes.Hp,
    inputSize: sizes.I,
    direction: sizes.direction,
    numDirections: sizes.D,
    project(d, xPtr, rows, gPtr) {
      projectInputs(rt, packs[d].w, xPtr, rows, gPtr);
    },
    get freed() {
      return owned.released;
    },
    free() {
      owned.release();
    },
  };
}

/** Throws unless `p` is a live pack of `op` for this runtime (`typeName` names its type). */
export function checkPackedCell(rt: Runtime, p: PackedRecurrent, op: RecurrentPlan['op'], typeName: string): void {
  if (!p || p.op !== op) throw new EdgeRunError('InvalidArgument', `${op}: packed weights are not a ${typeName}`);
  if (p.rt !== rt) throw new EdgeRunError('InvalidArgument', `${op}: packed weights belong to another runtime`);
  if (p.freed) throw new EdgeRunError('InvalidArgument', `${op}: packed weights were freed`);
}

/** A reference twin over the copies runRecurrentReference makes of X and the initial states. */
export type CellReference<P> = (
  p: P,
  run: CheckedRun,
  X: Float32Array,
  initialH?: Float32Array,
  initialC?: Float32Array,
) => { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array };

/** The pointer API of a cell: checks, then the WASM time loop or, on the reference build, `reference`. */
export function runCellPtr<P extends PackedRecurrent>(
  rt: Runtime,
  packed: P,
  args: RecurrentPtrArgs,
  op: RecurrentPlan['op'],
  typeName: string,
  reference: CellReference<P>,
): void {
  checkPackedCell(rt, packed, op, typeName);
  const run = checkPtrArgs(packed, args);
  if (rt.wasm) {
    runRecurrentWasm(packed, args, run);
    return;
  }
  runRecurrentReference(rt, args, run, packed.hiddenSize, (X, initialH, initialC) => reference(packed, run, X, initialH, initialC));
}

/** The convenience API of a cell: checks, then runConvenience around `runPtr`. */
export function runCellConvenience<P extends PackedRecurrent>(
  rt: Runtime,
  packed: P,
  inputs: RecurrentInputs,
  op: RecurrentPlan['op'],
  typeName: string,
  runPtr: (rt: Runtime, packed: P, args: RecurrentPtrArgs) => void,
): { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array } {
  checkPackedCell(rt, packed, op, typeName);
  return runConvenience(rt, op, inputs, packed.hiddenSize, packed.numDirections, packed.hasCellState, (a) => runPtr(rt, packed, a));
}

/** The arguments every reference twin takes (RecurrentReferenceArgs), from a pack and one checked run. */
export function referenceArgs(p: PackedRecurrent, run: CheckedRun, X: Float32Array, initialH?: Float32Array): RecurrentReferenceArgs {
  const w = p.weights!;
  return {
    X,
    shape: run.shape,
    hiddenSize: p.hiddenSize,
    direction: p.direction,
    W: w.W,
    R: w.R,
    B: w.B,
    sequenceLens: run.lens,
    initialH,
    activations: [...p.activations],
    clip: p.clip,
  };
}

/** Arena block holding {i32 code, f32 alpha, f32 beta} per activation, as wasm/rnn.ts reads them. */
export function activationTable(rt: Runtime, acts: readonly RnnActivation[], what: string): number {
  const ptr = rt.arena.alloc(acts.length * 12, what);
  const view = new DataView(rt.arena.buffer, ptr, acts.length * 12);
  acts.forEach((a, i) => {
    view.setInt32(i * 12, RNN_ACT_CODES[a.kind], true);
    view.setFloat32(i * 12 + 4, a.alpha, true);
    view.setFloat32(i * 12 + 8, a.beta, true);
  });
  return ptr;
}

export interface CheckedRun {
  shape: SeqShape;
  lens: Int32Array;
  D: number;
}

/** Validates the pointer arguments against the arena and the packed cell's sizes. */
export function checkPtrArgs(plan: Pick<RecurrentPlan, 'op' | 'rt' | 'hiddenSize' | 'inputSize' | 'direction' | 'hasCellState'>, a: RecurrentPtrArgs): CheckedRun {
  const { op, rt, hiddenSize: H } = plan;
  if (!a || !a.xDims) throw new EdgeRunError('InvalidArgument', `${op}: xDims is required`);
  const dims = Array.from(a.xDims);
  const count = dims.length === 3 ? dims[0] * dims[1] * dims[2] : NaN;
  const shape = checkSeqShape(dims, count, plan.inputSize, a.layout, op);
  const D = directionCount(plan.direction);
  const lens = checkSequenceLens(a.sequenceLens, shape.T, shape.B, op);
  const state = D * shape.B * H * 4;
  rt.arena.check(a.xPtr, count * 4, `${op} X`);
  if (a.initialHPtr) rt.arena.check(a.initialHPtr, state, `${op} initial_h`);
  if (a.initialCPtr) {
    if (!plan.hasCellState) throw new EdgeRunError('InvalidArgument', `${op}: initial_c is only an LSTM input`);
    rt.arena.check(a.initialCPtr, state, `${op} initial_c`);
  }
  if (a.yPtr) rt.arena.check(a.yPtr, shape.T * state, `${op} Y`);
  if (a.yhPtr) rt.arena.check(a.yhPtr, state, `${op} Y_h`);
  if (a.ycPtr) {
    if (!plan.hasCellState) throw new EdgeRunError('InvalidArgument', `${op}: Y_c is only an LSTM output`);
    rt.arena.check(a.ycPtr, state, `${op} Y_c`);
  }
  return { shape, lens, D };
}

/** Runs the whole sequence on a WASM build. Arguments must have passed checkPtrArgs. */
export function runRecurrentWasm(plan: RecurrentPlan, a: RecurrentPtrArgs, run: CheckedRun): void {
  const { rt, hiddenSize: H, paddedHidden: Hp, gCols } = plan;
  const { shape, lens, D } = run;
  const { T, B } = shape;
  const rows = T * B;
  const arena = rt.arena;
  const g = arena.alloc(rows * gCols * 4, `${plan.op} input projection`);
  const hBufs = [arena.alloc(B * Hp * 4, `${plan.op} hidden state`), arena.alloc(B * Hp * 4, `${plan.op} hidden state`)];
  const c = plan.hasCellState ? arena.alloc(B * Hp * 4, `${plan.op} cell state`) : 0;
  const scratch = arena.alloc(plan.scratchFloats * 4, `${plan.op} scratch`);
  const tmp = arena.alloc(Hp * 4, `${plan.op} scratch`);
  try {
    let maxLen = 0;
    for (let b = 0; b < B; b++) maxLen = Math.max(maxLen, lens[b]);
    for (let d = 0; d < D; d++) {
      const reverse = plan.direction === 'reverse' || d === 1;
      plan.project(d, a.xPtr, rows, g);
      zeroF32(rt, hBufs[0], B * Hp);
      if (c) zeroF32(rt, c, B * Hp);
      for (let b = 0; b < B; b++) {
        const so = stateRowOffset(shape, D, H, b, d) * 4;
        if (a.initialHPtr) copyF32(rt, hBufs[0] + b * Hp * 4, a.initialHPtr + so, H);
        if (c && a.initialCPtr) copyF32(rt, c + b * Hp * 4, a.initialCPtr + so, H);
        if (a.yPtr) for (let t = lens[b]; t < T; t++) zeroF32(rt, a.yPtr + yRowOffset(shape, D, H, t, b, d) * 4, H);
        if (lens[b] === 0) {
          if (a.yhPtr) zeroF32(rt, a.yhPtr + so, H);
          if (a.ycPtr) zeroF32(rt, a.ycPtr + so, H);
        }
      }
      let cur = 0;
      for (let s = 0; s < maxLen; s++) {
        for (let b = 0; b < B; b++) {
          const len = lens[b];
          if (s >= len) continue;
          const t = reverse ? len - 1 - s : s;
          const hOut = hBufs[cur ^ 1] + b * Hp * 4;
          const cRow = c ? c + b * Hp * 4 : 0;
          const y = a.yPtr ? a.yPtr + yRowOffset(shape, D, H, t, b, d) * 4 : 0;
          plan.step(d, g + xRow(shape, t, b) * gCols * 4, hBufs[cur] + b * Hp * 4, hOut, cRow, y, scratch, tmp);
          if (s === len - 1) {
            const so = stateRowOffset(shape, D, H, b, d) * 4;
            if (a.yhPtr) copyF32(rt, a.yhPtr + so, hOut, H);
            if (a.ycPtr) copyF32(rt, a.ycPtr + so, cRow, H);
          }
        }
        cur ^= 1;
      }
    }
  } finally {
    for (const p of [tmp, scratch, c, hBufs[1], hBufs[0], g]) if (p) arena.free(p);
  }
}

/** Reads the pointer arguments as views and runs a reference twin (the 'reference' build). */
export function runRecurrentReference(
  rt: Runtime,
  a: RecurrentPtrArgs,
  run: CheckedRun,
  H: number,
  reference: (X: Float32Array, initialH?: Float32Array, initialC?: Float32Array) => { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array },
): void {
  const { shape, D } = run;
  const state = D * shape.B * H;
  const copy = (p: number | undefined, n: number) => (p ? rt.arena.f32(p, n).slice() : undefined);
  const out = reference(copy(a.xPtr, shape.T * shape.B * shape.I)!, copy(a.initialHPtr, state), copy(a.initialCPtr, state));
  if (a.yPtr) rt.arena.f32(a.yPtr, out.Y.length).set(out.Y);
  if (a.yhPtr) rt.arena.f32(a.yhPtr, state).set(out.Y_h);
  if (a.ycPtr && out.Y_c) rt.arena.f32(a.ycPtr, state).set(out.Y_c);
}

/** The convenience layer: copy inputs into the arena, run the pointer API, copy outputs out. */
export function runConvenience(
  rt: Runtime,
  op: string,
  inputs: RecurrentInputs,
  H: number,
  D: number,
  hasCellState: boolean,
  runPtr: (a: RecurrentPtrArgs) => void,
): { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array } {
  if (!inputs || !(inputs.X instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${op}: X must be a Float32Array`);
  const dims = Array.from(inputs.xDims ?? []);
  if (dims.length !== 3) throw new EdgeRunError('ShapeMismatch', `${op}: X must have 3 dims, got [${dims.join(', ')}]`);
  const [T, B] = inputs.layout === 1 ? [dims[1], dims[0]] : [dims[0], dims[1]];
  if (inputs.X.length !== dims[0] * dims[1] * dims[2]) {
    throw new EdgeRunError('ShapeMismatch', `${op}: X has ${inputs.X.length} elements, dims [${dims.join(', ')}] need ${dims[0] * dims[1] * dims[2]}`);
  }
  const state = D * B * H;
  const arena = rt.arena;
  const ptrs: number[] = [];
  const put = (data: Float32Array | undefined, n: number, what: string): number | undefined => {
    if (data === undefined) return undefined;
    if (!(data instanceof Float32Array)) throw new EdgeRunError('DTypeMismatch', `${op}: ${what} must be a Float32Array`);
    if (data.length !== n) throw new EdgeRunError('ShapeMismatch', `${op}: ${what} has ${data.length} elements, expected ${n}`);
    const p = arena.alloc(n * 4, `${op} ${what}`);
    ptrs.push(p);
    arena.f32(p, n).set(data);
    return p;
  };
  const alloc = (n: number, what: string): number => {
    const p = arena.alloc(n * 4, `${op} ${what}`);
    ptrs.push(p);
    return p;
  };
  try {
    if (inputs.initialC !== undefined && !hasCellState) throw new EdgeRunError('InvalidArgument', `${op}: initial_c is only an LSTM input`);
    const xPtr = put(inputs.X, inputs.X.length, 'X')!;
    const initialHPtr = put(inputs.initialH, state, 'initial_h');
    const initialCPtr = put(inputs.initialC, state, 'initial_c');
    const yPtr = alloc(T * state, 'Y');
    const yhPtr = alloc(state, 'Y_h');
    const ycPtr = hasCellState ? alloc(state, 'Y_c') : undefined;
    runPtr({ xPtr, xDims: dims, layout: inputs.layout, sequenceLens: inputs.sequenceLens, initialHPtr, initialCPtr, yPtr, yhPtr, ycPtr });
    const out: { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array } = {
      Y: arena.f32(yPtr, T * state).slice(),
      Y_h: arena.f32(yhPtr, state).slice(),
    };
    if (ycPtr) out.Y_c = arena.f32(ycPtr, state).slice();
    return out;
  } finally {
    for (const p of ptrs.reverse()) arena.free(p);
  }
}
