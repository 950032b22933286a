// Gemm, FusedGemm and MatMul on the packed fp32 GEMM. Constant weights are packed once per node
// (with alpha and a per-column bias folded in); weights computed at run time are packed per run.
// Constant weights that are sparse or clustered may run on a sparse or codebook kernel instead,
// chosen at plan time from measured speedups (sparse-gemm.ts, sparse-choice.ts).
import { gemmF32Ptr, packGemmF32, type PackedGemmF32 } from '../../../../kernels/gemm.js';
import type { Activation } from '../../../../kernels/activation.js';
import type { GemmParams } from '../../../ops/matmul-ops.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import { alternativeGemm } from './sparse-gemm.js';

function f32(ctx: CpuPrepareContext<unknown>, t: CpuTensor, what: string): void {
  if (t.dtype !== 'float32') throw ctx.error('DTypeMismatch', `${what} is ${t.dtype}; the CPU backend runs Gemm/MatMul in float32`);
}

/** Bias per output column when C is constant and the same for every row; null otherwise. */
function columnBias(c: CpuTensor | null, n: number, beta: number): Float32Array | null | undefined {
  if (!c) return undefined;
  if (!c.value) return null;
  const d = c.value.data as Float32Array;
  if (c.size === 1) return new Float32Array(n).fill(d[0] * beta);
  const rowsOne = c.dims.length === 1 || (c.dims.length === 2 && c.dims[0] === 1);
  if (rowsOne && c.size === n) return Float32Array.from(d, (x) => x * beta);
  return null;
}

function prepareGemm(ctx: CpuPrepareContext<GemmParams>): () => void {
  const p = ctx.params;
  const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const c = ctx.inputs[2] ?? null;
  const y = ctx.outputs[0];
  f32(ctx, a, 'A');
  f32(ctx, b, 'B');
  const [M, K] = p.transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
  const N = y.dims[1];
  const bias = columnBias(c, N, p.beta);
  const act: Activation = p.activation;
  const rt = ctx.rt;
  // The sparse and codebook kernels take a per-column bias only (no beta·C written into Y first).
  const alternative = b.value && bias !== null ? alternativeGemm(ctx, { w: b.value.data as Float32Array, K, N, transB: p.transB }, M, { alpha: p.alpha, bias: bias ?? undefined, act }) : null;
  const pack = (bData: Float32Array) => packGemmF32(rt, bData, K, N, { transB: p.transB, alpha: p.alpha, bias: bias ?? undefined });
  const constantB = b.value && !alternative ? ctx.keep('packedB', () => pack(b.value!.data as Float32Array), (w) => w.free()) : null;
  const addC = bias === null; // C varies by row or is computed at run time: write beta·C into Y first
  return () => {
    const arena = rt.arena;
    let aPtr = a.ptr;
    let scratch = 0;
    if (p.transA) {
      scratch = arena.alloc(M * K * 4, `${ctx.node.label} transposed A`);
      const src = arena.f32(a.ptr, M * K);
      const dst = arena.f32(scratch, M * K);
      for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) dst[m * K + k] = src[k * M + m];
      aPtr = scratch;
    }
    if (alternative) {
      try {
        alternative.run(M, aPtr, y.ptr);
      } finally {
        if (scratch) arena.free(scratch);
      }
      return;
    }
    const packed: PackedGemmF32 = constantB ?? pack(ctx.view(b) as Float32Array);
    try {
      if (addC) broadcastInto(ctx.view(c!) as Float32Array, c!.dims, ctx.view(y) as Float32Array, M, N, p.beta);
      gemmF32Ptr(rt, M, aPtr, K, packed, y.ptr, N, { act, accumulate: addC });
    } finally {
      if (!constantB) packed.free();
      if (scratch) arena.free(scratch);
    }
  };
}

/** y[M×N] = beta · C broadcast (C of rank ≤ 2). */
function broadcastInto(c: Float32Array, dims: readonly number[], y: Float32Array, M: number, N: number, beta: number): void {
  const rows = dims.length === 2 ? dims[0] : 1;
  const cols = dims.length === 0 ? 1 : dims[dims.length - 1];
  for (let m = 0; m < M; m++) {
    const r = rows === 1 ? 0 : m;
    for (let n = 0; n < N; n++) y[m * N + n] = beta * c[r * cols + (cols === 1 ? 0 : n)];
  }
}

defineCpuKernel<GemmParams>({ type: 'Gemm', prepare: prepareGemm });
defineCpuKernel<GemmParams>({ type: 'FusedGemm', domain: EDGERUN_DOMAIN, prepare: prepareGemm });

defineCpuKernel({
  type: 'MatMul',
  prepare: (ctx) => {
    const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const y = ctx.outputs[0];
    f32(ctx, a, 'A');
    f32(ctx, b, 'B');
    const rt = ctx.rt;
    // numpy.matmul: promote 1-D operands, broadcast batch dims.
    const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
    const bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
    const M = ad[ad.length - 2];
    const K = ad[ad.length - 1];
    const N = bd[bd.length - 1];
    if (bd.length === 2) {
      // One GEMM over every row of A: the batch dims of A just add rows.
      const rows = a.size / K;
      const alternative = b.value ? alternativeGemm(ctx, { w: b.value.data as Float32Array, K, N, transB: false }, rows, {}) : null;
      if (alternative) return () => alternative.run(rows, a.ptr, y.ptr);
      const packed = b.value
        ? ctx.keep('packedB', () => packGemmF32(rt, b.value!.data as Float32Array, K, N), (w) => w.free())
        : null;
      return () => {
        const w = packed ?? packGemmF32(rt, ctx.view(b) as Float32Array, K, N);
        try {
          gemmF32Ptr(rt, rows, a.ptr, K, w, y.ptr, N);
        } finally {
          if (!packed) w.free();
        }
      };
    }
    const batch = y.size / (M * N);
    const yBatchDims = broadcastBatch(ad.slice(0, -2), bd.slice(0, -2));
    const aOffsets = batchOffsets(ad.slice(0, -2), yBatchDims, M * K);
    const bOffsets = batchOffsets(bd.slice(0, -2), yBatchDims, K * N);
    const constPacks = b.value
      ? ctx.keep('packedBatches', () => {
          const data = b.value!.data as Float32Array;
          const uniq = new Map<number, PackedGemmF32>();
          for (const off of bOffsets) if (!uniq.has(off)) uniq.set(off, packGemmF32(rt, data.subarray(off, off + K * N), K, N));
          return uniq;
        }, (m) => m.forEach((w) => w.free()))
      : null;
    return () => {
      const bData = constPacks ? null : (ctx.view(b) as Float32Array).slice();
      for (let i = 0; i < batch; i++) {
        const w = constPacks ? constPacks.get(bOffsets[i])! : packGemmF32(rt, bData!.subarray(bOffsets[i], bOffsets[i] + K * N), K, N);
        try {
          gemmF32Ptr(rt, M, a.ptr + aOffsets[i] * 4, K, w, y.ptr + i * M * N * 4, N);
        } finally {
          if (!constPacks) w.free();
        }
      }
    };
  },
});

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element offset of each output batch's matrix inside an operand with batch dims `dims`. */
function batchOffsets(dims: readonly number[], out: readonly number[], matrix: number): number[] {
  const r = out.length;
  const padded = [...new Array(r - dims.length).fill(1), ...dims];
  const strides = new Array(r).fill(0);
  let s = matrix;
  for (let i = r - 1; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : s;
    s *= padded[i];
  }
  const total = out.reduce((x, d) => x * d, 1);
  const offsets: number[] = [];
  for (let idx = 0; idx < total; idx++) {
    let rem = idx;
    let off = 0;
    for (let i = r - 1; i >= 0; i--) {
      off += (rem % out[i]) * strides[i];
      rem = Math.floor(rem / out[i]);
    }
    offsets.push(off);
  }
  return offsets;
}
