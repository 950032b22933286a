// Integer matrix products on the CPU backend: ONNX QLinearMatMul (float requantization, numpy
// batch broadcasting) and MatMulInteger (int32 sums), edgerun's fused QGemm (TFLite fixed-point
// requantization, int32 bias, activation clamp; on the int8 WASM GEMM when its parameters are
// constants) and DynamicQuantizeMatMul on the hybrid kernel
// (float activations quantized per row at run time, int8 weights, float out).
import { packHybridGemm, hybridGemmPtr } from '../../../../kernels/hybrid-gemm.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import type { QGemmParams } from '../../../ops/quant-fused-ops.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { matmulAccumulate, multiplyByQuantizedMultiplier, rangeOf, roundHalfEven, tfliteMultiplier } from './quant-arith.js';
import { checkScales, paramReader, perChannel, scalarReader, type Numbers } from './quant-io.js';
import { int8QGemm } from './quant-int8-kernels.js';

const fr = Math.fround;

/** B (K×N, or N×K when transposed) minus its per-column zero points, as K×N int32. */
function centredB(b: Numbers, zps: Numbers, K: number, N: number, transB: boolean, ctx: CpuPrepareContext<unknown>): Int32Array {
  const z = perChannel(zps, N, 'b_zero_point', ctx);
  const out = new Int32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[k * N + n] = (transB ? b[n * K + k] : b[k * N + n]) - z[n];
  return out;
}

/** Offsets (in matrices) of each output batch into an operand with batch dims `dims` (numpy broadcasting). */
function batchIndex(dims: readonly number[], out: readonly number[]): number[] {
  const r = out.length;
  const padded = [...new Array(r - dims.length).fill(1), ...dims];
  const total = out.reduce((a, d) => a * d, 1);
  const idx: number[] = [];
  for (let i = 0; i < total; i++) {
    let rem = i;
    let off = 0;
    let stride = 1;
    for (let d = r - 1; d >= 0; d--) {
      const o = rem % out[d];
      rem = Math.floor(rem / out[d]);
      if (padded[d] !== 1) off += o * stride;
      stride *= padded[d];
    }
    idx.push(off);
  }
  return idx;
}

interface MatmulShape {
  M: number;
  K: number;
  N: number;
  batch: number;
  aIndex: number[];
  bIndex: number[];
}

function matmulShape(a: CpuTensor, b: CpuTensor, y: CpuTensor): MatmulShape {
  const ad = a.dims.length === 1 ? [1, a.dims[0]] : [...a.dims];
  const bd = b.dims.length === 1 ? [b.dims[0], 1] : [...b.dims];
  const M = ad[ad.length - 2];
  const K = ad[ad.length - 1];
  const N = bd[bd.length - 1];
  const batch = y.size / Math.max(1, M * N);
  const aBatch = ad.slice(0, -2);
  const bBatch = bd.slice(0, -2);
  const r = Math.max(aBatch.length, bBatch.length);
  const outBatch: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = aBatch[aBatch.length - r + i] ?? 1;
    const z = bBatch[bBatch.length - r + i] ?? 1;
    outBatch.push(x === 1 ? z : x);
  }
  return { M, K, N, batch, aIndex: batchIndex(aBatch, outBatch), bIndex: batchIndex(bBatch, outBatch) };
}

/** int32 sums of a (numpy) batched matmul with zero points. */
function batchedSums(ctx: CpuPrepareContext<unknown>, a: CpuTensor, b: CpuTensor, azp: number, bzp: Numbers, s: MatmulShape): Int32Array {
  const { M, K, N } = s;
  const out = new Int32Array(s.batch * M * N);
  const av = ctx.view(a) as Int8Array;
  const bv = ctx.view(b) as Int8Array;
  const cache = new Map<number, Int32Array>();
  for (let i = 0; i < s.batch; i++) {
    const bo = s.bIndex[i];
    let bc = cache.get(bo);
    if (!bc) cache.set(bo, (bc = centredB(bv.subarray(bo * K * N, (bo + 1) * K * N), bzp, K, N, false, ctx)));
    matmulAccumulate(av, s.aIndex[i] * M * K, azp, bc, M, K, N, out, i * M * N);
  }
  return out;
}

defineCpuKernel({
  type: 'MatMulInteger',
  prepare: (ctx) => {
    const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const y = ctx.outputs[0];
    const s = matmulShape(a, b, y);
    const readAzp = scalarReader(ctx, ctx.inputs[2] ?? null, 0, 'a_zero_point');
    const readBzp = paramReader(ctx, ctx.inputs[3] ?? null, 0);
    return () => (ctx.view(y) as Int32Array).set(batchedSums(ctx, a, b, readAzp(), readBzp(), s));
  },
});

defineCpuKernel({
  type: 'QLinearMatMul',
  prepare: (ctx) => {
    const t = (i: number) => ctx.inputs[i] ?? null;
    const [a, b] = [t(0)!, t(3)!];
    const y = ctx.outputs[0];
    const s = matmulShape(a, b, y);
    const readAs = scalarReader(ctx, t(1), 1, 'a_scale');
    const readAzp = scalarReader(ctx, t(2), 0, 'a_zero_point');
    const readBs = paramReader(ctx, t(4), 1);
    const readBzp = paramReader(ctx, t(5), 0);
    const readYs = scalarReader(ctx, t(6), 1, 'y_scale');
    const readYzp = scalarReader(ctx, t(7), 0, 'y_zero_point');
    const [lo, hi] = rangeOf(y.dtype);
    return () => {
      const as = readAs();
      const bs = perChannel(readBs(), s.N, 'b_scale', ctx);
      const ys = readYs();
      checkScales(ctx, [as], 'a_scale');
      checkScales(ctx, bs, 'b_scale');
      checkScales(ctx, [ys], 'y_scale');
      const yzp = readYzp();
      // The ONNX reference: float32 scale products, int32 sums times them in double, rint, clip.
      const mult = Float64Array.from(bs, (x) => fr(fr(as * x) / ys));
      const sums = batchedSums(ctx, a, b, readAzp(), readBzp(), s);
      const out = ctx.view(y) as Int8Array;
      for (let i = 0; i < sums.length; i++) {
        const v = roundHalfEven(sums[i] * mult[i % s.N] + yzp);
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    };
  },
});

defineCpuKernel<QGemmParams>({
  type: 'QGemm',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const fast = int8QGemm(ctx);
    if (fast) return fast;
    const t = (i: number) => ctx.inputs[i] ?? null;
    const [a, b] = [t(0)!, t(3)!];
    const y = ctx.outputs[0];
    const transB = ctx.params.transB;
    const [K, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
    const M = a.size / Math.max(1, K);
    const readAs = scalarReader(ctx, t(1), 1, 'a_scale');
    const readAzp = scalarReader(ctx, t(2), 0, 'a_zero_point');
    const readB = paramReader(ctx, b, 0);
    const readBs = paramReader(ctx, t(4), 1);
    const readBzp = paramReader(ctx, t(5), 0);
    const readC = paramReader(ctx, t(6), 0);
    const readYs = scalarReader(ctx, t(7), 1, 'y_scale');
    const readYzp = scalarReader(ctx, t(8), 0, 'y_zero_point');
    const [qlo, qhi] = rangeOf(y.dtype);
    const [cl, ch] = ctx.params.clamp;
    const lo = Math.max(qlo, cl ?? qlo);
    const hi = Math.min(qhi, ch ?? qhi);
    const constantB = !!b.value && (!t(5) || !!t(5)!.value);
    const fixedB = constantB ? ctx.keep('centredB', () => centredB(readB(), readBzp(), K, N, transB, ctx)) : null;
    return () => {
      const as = readAs();
      const bs = perChannel(readBs(), N, 'b_scale', ctx);
      const ys = readYs();
      checkScales(ctx, [as], 'a_scale');
      checkScales(ctx, bs, 'b_scale');
      checkScales(ctx, [ys], 'y_scale');
      const yzp = readYzp();
      const bias = perChannel(t(6) ? readC() : [0], N, 'bias C', ctx);
      const float = ctx.params.requantize === 'float';
      const q = Array.from(bs, (x) => tfliteMultiplier(as, x, ys));
      const mult = Array.from(bs, (x) => fr(fr(as * x) / ys));
      const sums = new Int32Array(M * N);
      matmulAccumulate(ctx.view(a) as Int8Array, 0, readAzp(), fixedB ?? centredB(readB(), readBzp(), K, N, transB, ctx), M, K, N, sums, 0);
      const out = ctx.view(y) as Int8Array;
      for (let i = 0; i < sums.length; i++) {
        const n = i % N;
        const v = float ? roundHalfEven((sums[i] + bias[n]) * mult[n] + yzp) : multiplyByQuantizedMultiplier((sums[i] + bias[n]) | 0, q[n]) + yzp;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    };
  },
});

defineCpuKernel<{ transB: boolean }>({
  type: 'DynamicQuantizeMatMul',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const [a, b, s, z, bias] = [0, 1, 2, 3, 4].map((i) => ctx.inputs[i] ?? null);
    const y = ctx.outputs[0];
    const transB = ctx.params.transB;
    const [K, N] = transB ? [b!.dims[1], b!.dims[0]] : [b!.dims[0], b!.dims[1]];
    const M = a!.size / Math.max(1, K);
    if (!b!.value || !s!.value || (z && !z.value) || (bias && !bias.value)) {
      throw ctx.error('UnsupportedFeature', 'DynamicQuantizeMatMul needs constant weights, scales, zero points and bias');
    }
    if (z && (z.value!.data as Int8Array).some((v) => v !== 0)) throw ctx.error('UnsupportedFeature', 'DynamicQuantizeMatMul takes symmetric weights (zero points 0)');
    const rt = ctx.rt;
    const packed = ctx.keep('hybrid', () => {
      const scales = Float32Array.from(perChannel(s!.value!.data as Float32Array, N, 'b_scale', ctx));
      return packHybridGemm(rt, b!.value!.data as Int8Array, scales, K, N, { transB, bias: bias ? (bias.value!.data as Float32Array) : undefined });
    }, (p) => p.free());
    return () => hybridGemmPtr(rt, M, a!.ptr, K, packed, y.ptr, N);
  },
});
