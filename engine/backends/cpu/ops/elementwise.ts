// Elementwise ops on the CPU backend: float32 runs on the WASM kernels (broadcast plans made once
// at prepare time); other dtypes (integer Add on uint8, Pow with int exponents, ...) take a
// dtype-generic TypeScript loop.
import { planBinaryF32, runBinaryF32, type BinaryOp } from '../../../../kernels/eltwise.js';
import { unaryF32Ptr, type UnaryOp, type UnaryParams } from '../../../../kernels/unary.js';
import type { ClipParams } from '../../../ops/elementwise.js';
import { UNARY_OPS as ONNX_UNARY } from '../../../ops/elementwise.js';
import type { TypedData } from '../../../tensor.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import { genericBinary, genericUnary, type ScalarBinary } from './elementwise-generic.js';

const BINARY: Record<string, { f32: BinaryOp; generic: ScalarBinary }> = {
  Add: { f32: 'add', generic: (a, b) => a + b },
  Sub: { f32: 'sub', generic: (a, b) => a - b },
  Mul: { f32: 'mul', generic: (a, b) => a * b },
  Div: { f32: 'div', generic: (a, b, int) => (int ? Math.trunc(a / b) : a / b) },
  Pow: { f32: 'pow', generic: (a, b) => Math.pow(a, b) },
  PRelu: { f32: 'prelu', generic: (a, b) => (a < 0 ? a * b : a) },
  Max: { f32: 'max', generic: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)) },
  Min: { f32: 'min', generic: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)) },
  Sum: { f32: 'add', generic: (a, b) => a + b },
  Mean: { f32: 'add', generic: (a, b) => a + b },
};

/** One binary step: out = a op b with broadcasting, on the fast path when everything is float32. */
function binaryStep(ctx: CpuPrepareContext<unknown>, op: string, a: CpuTensor, b: CpuTensor, out: CpuTensor): () => void {
  const spec = BINARY[op];
  if (a.dtype === 'float32' && b.dtype === 'float32' && out.dtype === 'float32') {
    const plan = planBinaryF32(spec.f32, a.dims, b.dims);
    return () => runBinaryF32(ctx.rt, plan, a.ptr, b.ptr, out.ptr);
  }
  return () => genericBinary(spec.generic, ctx.view(a), a.dims, ctx.view(b), b.dims, ctx.view(out), out.dims, out.dtype);
}

for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu']) {
  defineCpuKernel({ type: op, prepare: (ctx) => binaryStep(ctx, op, ctx.inputs[0]!, ctx.inputs[1]!, ctx.outputs[0]) });
}

// Variadic ops fold pairwise into the output (or a scratch buffer while the partial result is
// smaller than the output).
for (const op of ['Sum', 'Mean', 'Max', 'Min']) {
  defineCpuKernel({
    type: op,
    prepare: (ctx) => {
      const out = ctx.outputs[0];
      const ins = ctx.inputs.map((t) => t!);
      const steps: (() => void)[] = [];
      const scratch: number[] = [];
      let acc = ins[0];
      if (ins.length === 1) {
        steps.push(() => (ctx.view(out) as Float32Array).set(ctx.view(acc) as Float32Array));
      }
      for (let i = 1; i < ins.length; i++) {
        const dims = broadcastDims(acc.dims, ins[i].dims);
        const size = dims.reduce((x, d) => x * d, 1);
        const intoOut = size === out.size;
        let target: CpuTensor = out;
        if (!intoOut) {
          const ptr = ctx.rt.arena.alloc(size * 8, `${ctx.node.label} partial`);
          scratch.push(ptr);
          target = { dtype: out.dtype, dims, size, ptr, value: null };
        }
        steps.push(binaryStep(ctx, op, acc, ins[i], target));
        acc = target;
      }
      if (op === 'Mean') {
        const n = ins.length;
        steps.push(() => {
          const v = ctx.view(out) as Float32Array;
          for (let i = 0; i < v.length; i++) v[i] /= n;
        });
      }
      // Scratch lives as long as the kernel; the plan's lifetime bounds it.
      ctx.keep(`scratch:${scratch.join(',')}`, () => scratch, (ptrs) => ptrs.forEach((p) => ctx.rt.arena.free(p)));
      return () => {
        for (const s of steps) s();
      };
    },
  });
}

function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const UNARY_NAMES: Record<string, UnaryOp> = {
  Abs: 'abs', Neg: 'neg', Exp: 'exp', Log: 'log', Sqrt: 'sqrt', Reciprocal: 'reciprocal', Relu: 'relu',
  Sigmoid: 'sigmoid', Tanh: 'tanh', Softplus: 'softplus', Softsign: 'softsign', HardSwish: 'hardSwish',
  LeakyRelu: 'leakyRelu', Elu: 'elu', Selu: 'selu', ThresholdedRelu: 'thresholdedRelu', HardSigmoid: 'hardSigmoid',
};

for (const type of Object.keys(ONNX_UNARY)) {
  const op = UNARY_NAMES[type];
  defineCpuKernel<Record<string, number>>({
    type,
    prepare: (ctx) => {
      const x = ctx.inputs[0]!;
      const y = ctx.outputs[0];
      if (x.dtype === 'float32') {
        const params = ctx.params as UnaryParams;
        return () => unaryF32Ptr(ctx.rt, op, params, x.ptr, y.ptr, x.size);
      }
      return () => genericUnary(type, ctx.params, ctx.view(x), ctx.view(y));
    },
  });
}

defineCpuKernel({
  type: 'Heaviside',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    if (x.dtype === 'float32') return () => unaryF32Ptr(ctx.rt, 'step', undefined, x.ptr, y.ptr, x.size);
    return () => genericUnary('Heaviside', {}, ctx.view(x), ctx.view(y));
  },
});

defineCpuKernel<ClipParams>({
  type: 'Clip',
  prepare: (ctx) => {
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    const [lo, hi] = [ctx.inputs[1] ?? null, ctx.inputs[2] ?? null];
    const bound = (t: CpuTensor | null, attr: number | null, fallback: number) =>
      t ? () => Number((ctx.view(t) as TypedData)[0]) : () => attr ?? fallback;
    const min = bound(lo, ctx.params.min, -Infinity);
    const max = bound(hi, ctx.params.max, Infinity);
    if (x.dtype === 'float32') {
      return () => unaryF32Ptr(ctx.rt, 'clip', { min: min(), max: max() }, x.ptr, y.ptr, x.size);
    }
    return () => genericUnary('Clip', { min: min(), max: max() }, ctx.view(x), ctx.view(y));
  },
});
