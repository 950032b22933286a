// CPU side of the view-changing ops (no work: outputs alias inputs) and the constant makers.
import type { Tensor, TypedData } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';

const noop = () => {};
const alias0 = (): [number, number][] => [[0, 0]];

for (const type of ['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']) {
  defineCpuKernel({ type, aliases: alias0, prepare: () => noop });
}

defineCpuKernel({
  type: 'Dropout',
  aliases: alias0,
  prepare: (ctx) => {
    const mask = ctx.outputs[1];
    if (!mask) return noop;
    return () => (ctx.view(mask) as Uint8Array).fill(1);
  },
});

/** Writes a known tensor into output 0 (Shape, Constant: normally folded away, but folding runs this). */
function writeValue(ctx: CpuPrepareContext<unknown>, value: Tensor): () => void {
  return () => (ctx.view(ctx.outputs[0]) as Float32Array).set(value.data as Float32Array);
}

defineCpuKernel({
  type: 'Shape',
  prepare: (ctx) => {
    const out = ctx.outputs[0];
    const dims = ctx.inputs[0]!.dims;
    const p = ctx.params as { start: number; end: number | null };
    const r = dims.length;
    const clamp = (a: number) => Math.min(r, Math.max(0, a < 0 ? a + r : a));
    const values = dims.slice(clamp(p.start), p.end === null ? r : clamp(p.end)).map(BigInt);
    return () => (ctx.view(out) as BigInt64Array).set(values);
  },
});

defineCpuKernel<Tensor>({ type: 'Constant', prepare: (ctx) => writeValue(ctx, ctx.params) });

defineCpuKernel<Tensor>({
  type: 'ConstantOfShape',
  prepare: (ctx) => {
    const fill = (ctx.params.data as TypedData)[0];
    return () => (ctx.view(ctx.outputs[0]) as Float32Array).fill(fill as number);
  },
});
