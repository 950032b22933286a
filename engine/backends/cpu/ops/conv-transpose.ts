// ConvTranspose as GEMM + col2im: per image and group, cols[P × (Mg·K)] = Xᵀ[P × Cg] · W[Cg × (Mg·K)]
// (P input positions, K kernel taps), then each column is scattered into the output positions it
// touches. Works for 1–3 spatial dims; weights packed once per node.
import { gemmF32Ptr, packGemmF32, type PackedGemmF32 } from '../../../../kernels/gemm.js';
import { convSpatial, convTransposeGeometry, type ConvTransposeParams } from '../../../ops/conv-ops.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';

defineCpuKernel<ConvTransposeParams>({
  type: 'ConvTranspose',
  prepare: (ctx: CpuPrepareContext<ConvTransposeParams>) => {
    const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const b = ctx.inputs[2] ?? null;
    const y = ctx.outputs[0];
    if (x.dtype !== 'float32') throw ctx.error('UnsupportedFeature', `input X is ${x.dtype}; ConvTranspose runs in float32`);
    const p = ctx.params;
    const sp = convSpatial(ctx.op, p, { dtype: w.dtype, shape: [...w.dims], value: w.value });
    const { pads } = convTransposeGeometry(ctx.op, x.dims.slice(2), sp, p);
    const r = x.dims.length - 2;
    const [N, C] = x.dims;
    const inSp = x.dims.slice(2);
    const outSp = y.dims.slice(2);
    const kSp = w.dims.slice(2);
    const P = inSp.reduce((a, d) => a * d, 1);
    const Q = outSp.reduce((a, d) => a * d, 1);
    const K = kSp.reduce((a, d) => a * d, 1);
    const group = p.group;
    const Cg = C / group;
    const Mg = w.dims[1];
    const M = Mg * group;
    const rt = ctx.rt;
    // For every input position and tap, the output position it lands on (-1: outside).
    const target = new Int32Array(P * K);
    const idx = new Array(r).fill(0);
    for (let pi = 0; pi < P; pi++) {
      let rem = pi;
      for (let d = r - 1; d >= 0; d--) {
        idx[d] = rem % inSp[d];
        rem = Math.floor(rem / inSp[d]);
      }
      for (let k = 0; k < K; k++) {
        let kr = k;
        let q = 0;
        let inside = true;
        const ks: number[] = new Array(r);
        for (let d = r - 1; d >= 0; d--) {
          ks[d] = kr % kSp[d];
          kr = Math.floor(kr / kSp[d]);
        }
        for (let d = 0; d < r; d++) {
          const o = idx[d] * sp.strides[d] - pads[d] + ks[d] * sp.dilations[d];
          if (o < 0 || o >= outSp[d]) inside = false;
          q = q * outSp[d] + o;
        }
        target[pi * K + k] = inside ? q : -1;
      }
    }
    const packGroups = (wd: Float32Array): PackedGemmF32[] =>
      Array.from({ length: group }, (_, g) => packGemmF32(rt, wd.subarray(g * Cg * Mg * K, (g + 1) * Cg * Mg * K), Cg, Mg * K));
    const constant = w.value ? ctx.keep('packed', () => packGroups(w.value!.data as Float32Array), (ps) => ps.forEach((q) => q.free())) : null;
    return () => {
      const packs = constant ?? packGroups((ctx.view(w) as Float32Array).slice());
      const arena = rt.arena;
      const xt = arena.alloc(P * Cg * 4, `${ctx.node.label} transposed input`);
      const cols = arena.alloc(P * Mg * K * 4, `${ctx.node.label} columns`);
      try {
        const bias = b ? (ctx.view(b) as Float32Array).slice() : null;
        for (let n = 0; n < N; n++) {
          for (let g = 0; g < group; g++) {
            const xs = ctx.view(x) as Float32Array;
            const t = arena.f32(xt, P * Cg);
            for (let c = 0; c < Cg; c++) {
              const base = (n * C + g * Cg + c) * P;
              for (let pi = 0; pi < P; pi++) t[pi * Cg + c] = xs[base + pi];
            }
            gemmF32Ptr(rt, P, xt, Cg, packs[g], cols, Mg * K);
            const cv = arena.f32(cols, P * Mg * K);
            const o = ctx.view(y) as Float32Array;
            for (let m = 0; m < Mg; m++) {
              const plane = (n * M + g * Mg + m) * Q;
              o.fill(bias ? bias[g * Mg + m] : 0, plane, plane + Q);
              for (let pi = 0; pi < P; pi++) {
                const row = pi * Mg * K + m * K;
                for (let k = 0; k < K; k++) {
                  const q = target[pi * K + k];
                  if (q >= 0) o[plane + q] += cv[row + k];
                }
              }
            }
          }
        }
      } finally {
        arena.free(cols);
        arena.free(xt);
        if (!constant) packs.forEach((q) => q.free());
      }
    };
  },
});
