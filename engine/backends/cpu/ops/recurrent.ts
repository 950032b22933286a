// LSTM, GRU and RNN on the recurrent kernels: weights packed once per node (kept across plans),
// sequence_lens read at run time, outputs written straight into their arena buffers.
import { packGruF32, gruF32Ptr } from '../../../../kernels/gru.js';
import { packLstmF32, lstmF32Ptr } from '../../../../kernels/lstm.js';
import { packRnnF32, rnnF32Ptr } from '../../../../kernels/rnn.js';
import type { RecurrentPtrArgs } from '../../../../kernels/rnn-driver.js';
import type { RecurrentParams } from '../../../ops/rnn-ops.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';

type Packer = (ctx: CpuPrepareContext<RecurrentParams>, weight: (i: number) => Float32Array | undefined) => { free(): void };

const WEIGHT_NAMES = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'];
const WEIGHT_SLOTS = [1, 2, 3, 7];

/** A weight's values: the constant, or (weights fed at run time) a copy of the arena tensor now. */
function weight(ctx: CpuPrepareContext<RecurrentParams>, i: number): Float32Array | undefined {
  const t = ctx.inputs[i];
  if (!t) return undefined;
  if (t.dtype !== 'float32') throw ctx.error('DTypeMismatch', `${WEIGHT_NAMES[i]} is ${t.dtype}; the recurrent kernels take float32`);
  return t.value ? (t.value.data as Float32Array) : (ctx.view(t) as Float32Array).slice();
}

function common(p: RecurrentParams) {
  return {
    hiddenSize: p.hiddenSize,
    direction: p.direction,
    activations: p.activations.length ? p.activations : undefined,
    activationAlpha: p.activationAlpha,
    activationBeta: p.activationBeta,
    clip: p.clip ?? undefined,
  };
}

function defineRecurrent(
  type: 'LSTM' | 'GRU' | 'RNN',
  pack: Packer,
  run: (ctx: CpuPrepareContext<RecurrentParams>, packed: unknown, args: RecurrentPtrArgs) => void,
  outputs: (keyof RecurrentPtrArgs)[],
  initial: { h: number; c?: number },
) {
  defineCpuKernel<RecurrentParams>({
    type,
    prepare: (ctx) => {
      // Constant weights are packed once; weights fed as inputs are packed on every run.
      const constant = WEIGHT_SLOTS.every((i) => !ctx.inputs[i] || ctx.inputs[i]!.value);
      const packed = constant ? ctx.keep('weights', () => pack(ctx, (i) => weight(ctx, i)), (p) => p.free()) : null;
      const x = ctx.inputs[0]!;
      const lens: CpuTensor | null = ctx.inputs[4] ?? null;
      const h0 = ctx.inputs[initial.h] ?? null;
      const c0 = initial.c !== undefined ? (ctx.inputs[initial.c] ?? null) : null;
      const base: RecurrentPtrArgs = { xPtr: x.ptr, xDims: x.dims, layout: ctx.params.layout as 0 | 1 };
      if (h0) base.initialHPtr = h0.ptr;
      if (c0) base.initialCPtr = c0.ptr;
      outputs.forEach((slot, k) => {
        const o = ctx.outputs[k];
        if (o) (base as unknown as Record<string, number>)[slot] = o.ptr;
      });
      return () => {
        const args = lens ? { ...base, sequenceLens: Array.from(ctx.view(lens) as Int32Array, Number) } : base;
        if (packed) return run(ctx, packed, args);
        const fresh = pack(ctx, (i) => weight(ctx, i));
        try {
          run(ctx, fresh, args);
        } finally {
          fresh.free();
        }
      };
    },
  });
}

defineRecurrent(
  'LSTM',
  (ctx, w) =>
    packLstmF32(ctx.rt, { W: w(1)!, R: w(2)!, B: w(3), P: w(7), ...common(ctx.params), inputForget: ctx.params.inputForget }),
  (ctx, packed, args) => lstmF32Ptr(ctx.rt, packed as ReturnType<typeof packLstmF32>, args),
  ['yPtr', 'yhPtr', 'ycPtr'],
  { h: 5, c: 6 },
);

defineRecurrent(
  'GRU',
  (ctx, w) => packGruF32(ctx.rt, { W: w(1)!, R: w(2)!, B: w(3), ...common(ctx.params), linearBeforeReset: ctx.params.linearBeforeReset }),
  (ctx, packed, args) => gruF32Ptr(ctx.rt, packed as ReturnType<typeof packGruF32>, args),
  ['yPtr', 'yhPtr'],
  { h: 5 },
);

defineRecurrent(
  'RNN',
  (ctx, w) => packRnnF32(ctx.rt, { W: w(1)!, R: w(2)!, B: w(3), ...common(ctx.params) }),
  (ctx, packed, args) => rnnF32Ptr(ctx.rt, packed as ReturnType<typeof packRnnF32>, args),
  ['yPtr', 'yhPtr'],
  { h: 5 },
);
