// Softmax/LogSoftmax (WASM), BatchNormalization (inference and training mode), InstanceNormalization
// and LRN. The normalisations are memory-bound per-channel loops in TypeScript; BatchNorm usually
// disappears into the preceding Conv (passes/fold-batchnorm.ts).
import { softmaxF32Ptr } from '../../../../kernels/softmax.js';
import type { BatchNormParams, LrnParams, SoftmaxParams } from '../../../ops/norm-ops.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';

function requireF32(ctx: CpuPrepareContext<unknown>): void {
  const x = ctx.inputs[0]!;
  if (x.dtype !== 'float32') throw ctx.error('UnsupportedFeature', `input is ${x.dtype}; the CPU backend computes ${ctx.node.op} in float32`);
}

for (const [type, kind] of [['Softmax', 'softmax'], ['LogSoftmax', 'logSoftmax']] as const) {
  defineCpuKernel<SoftmaxParams>({
    type,
    prepare: (ctx) => {
      requireF32(ctx);
      const x = ctx.inputs[0]!;
      const y = ctx.outputs[0];
      const r = x.dims.length;
      const axis = ctx.params.axis < 0 ? ctx.params.axis + r : ctx.params.axis;
      const outer = x.dims.slice(0, axis).reduce((a, d) => a * d, 1);
      // Opset < 13 normalises over everything from `axis` on (the input seen as 2-D).
      const n = ctx.params.flatten ? x.dims.slice(axis).reduce((a, d) => a * d, 1) : x.dims[axis];
      const inner = ctx.params.flatten ? 1 : x.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
      return () => {
        if (x.size > 0) softmaxF32Ptr(ctx.rt, kind, x.ptr, y.ptr, outer, n, inner);
      };
    },
  });
}

/** y = x·s[c] + t[c] over [N, C, spatial]. */
function affinePerChannel(x: Float32Array, y: Float32Array, n: number, c: number, plane: number, s: ArrayLike<number>, t: ArrayLike<number>): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * plane;
      const sc = s[ch];
      const sh = t[ch];
      for (let i = 0; i < plane; i++) y[base + i] = x[base + i] * sc + sh;
    }
  }
}

defineCpuKernel<BatchNormParams>({
  type: 'BatchNormalization',
  prepare: (ctx) => {
    requireF32(ctx);
    const [x, scale, bias, mean, variance] = ctx.inputs.map((t) => t!);
    const y = ctx.outputs[0];
    const [n, c] = [x.dims[0], x.dims[1]];
    const plane = x.size / Math.max(1, n * c);
    const eps = ctx.params.epsilon;
    const momentum = ctx.node.float('momentum', 0.9);
    const f32 = (t: typeof x) => ctx.view(t) as Float32Array;
    if (!ctx.params.training) {
      return () => {
        const sc = f32(scale);
        const va = f32(variance);
        const mu = f32(mean);
        const b = f32(bias);
        const s = Float32Array.from(sc, (v, i) => v / Math.sqrt(va[i] + eps));
        const t = Float32Array.from(b, (v, i) => v - mu[i] * s[i]);
        affinePerChannel(f32(x), f32(y), n, c, plane, s, t);
      };
    }
    // Training mode: normalise with the batch statistics; report the updated running ones.
    return () => {
      const xs = f32(x);
      const count = n * plane;
      const bm = new Float64Array(c);
      const bv = new Float64Array(c);
      for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < plane; i++) bm[ch] += xs[(b * c + ch) * plane + i];
      for (let ch = 0; ch < c; ch++) bm[ch] /= count;
      for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < plane; i++) bv[ch] += (xs[(b * c + ch) * plane + i] - bm[ch]) ** 2;
      for (let ch = 0; ch < c; ch++) bv[ch] /= count;
      const sc = f32(scale);
      const sh = f32(bias);
      const s = Float32Array.from(sc, (v, i) => v / Math.sqrt(bv[i] + eps));
      const t = Float32Array.from(sh, (v, i) => v - bm[i] * s[i]);
      affinePerChannel(xs, f32(y), n, c, plane, s, t);
      const [rm, rv] = [ctx.outputs[1], ctx.outputs[2]];
      const mu = f32(mean);
      const va = f32(variance);
      if (rm) (ctx.view(rm) as Float32Array).set(Float32Array.from(mu, (m, i) => m * momentum + bm[i] * (1 - momentum)));
      if (rv) (ctx.view(rv) as Float32Array).set(Float32Array.from(va, (v, i) => v * momentum + bv[i] * (1 - momentum)));
    };
  },
});

defineCpuKernel<{ epsilon: number }>({
  type: 'InstanceNormalization',
  prepare: (ctx) => {
    requireF32(ctx);
    const [x, scale, bias] = ctx.inputs.map((t) => t!);
    const y = ctx.outputs[0];
    const [n, c] = [x.dims[0], x.dims[1]];
    const plane = x.size / Math.max(1, n * c);
    const eps = ctx.params.epsilon;
    return () => {
      const xs = ctx.view(x) as Float32Array;
      const ys = ctx.view(y) as Float32Array;
      const sc = ctx.view(scale) as Float32Array;
      const sh = ctx.view(bias) as Float32Array;
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const base = (b * c + ch) * plane;
          let mean = 0;
          for (let i = 0; i < plane; i++) mean += xs[base + i];
          mean /= plane;
          let v = 0;
          for (let i = 0; i < plane; i++) v += (xs[base + i] - mean) ** 2;
          v /= plane;
          const s = sc[ch] / Math.sqrt(v + eps);
          for (let i = 0; i < plane; i++) ys[base + i] = (xs[base + i] - mean) * s + sh[ch];
        }
      }
    };
  },
});

defineCpuKernel<LrnParams>({
  type: 'LRN',
  prepare: (ctx) => {
    requireF32(ctx);
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    const [n, c] = [x.dims[0], x.dims[1]];
    const plane = x.size / Math.max(1, n * c);
    const { alpha, beta, bias, size } = ctx.params;
    // ONNX: the window over channels is [c − floor((size−1)/2), c + ceil((size−1)/2)].
    const lo = Math.floor((size - 1) / 2);
    const hi = Math.ceil((size - 1) / 2);
    return () => {
      const xs = ctx.view(x) as Float32Array;
      const ys = ctx.view(y) as Float32Array;
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const from = Math.max(0, ch - lo);
          const to = Math.min(c - 1, ch + hi);
          for (let i = 0; i < plane; i++) {
            let sq = 0;
            for (let k = from; k <= to; k++) {
              const v = xs[(b * c + k) * plane + i];
              sq += v * v;
            }
            const at = (b * c + ch) * plane + i;
            ys[at] = xs[at] / Math.pow(bias + (alpha / size) * sq, beta);
          }
        }
      }
    };
  },
});
