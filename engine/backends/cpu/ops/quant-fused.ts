// CPU kernels of edgerun's small integer operators: QLut (any unary op as a 256-entry table),
// QAdd, QAveragePool, QGlobalAveragePool, QConcat. These requantize in floating point, as
// onnxruntime's QLinearAdd / QLinearAveragePool / QLinearConcat do: the result equals the QDQ
// graph they replace (DequantizeLinear → op → QuantizeLinear) up to float rounding ties.
// QLut and same-shape QAdd run on WASM kernels (kernels/int8: lutPtr, qaddF32RqPtr), bit-exact
// with the loops here.
import { averagePoolF32Ptr, globalAveragePoolF32Ptr } from '../../../../kernels/pool.js';
import { lutPtr } from '../../../../kernels/int8/lut.js';
import { everyWindowCounts, qaddF32RqPtr, qaveragePoolF32RqPtr, qglobalAverageF32RqPtr, type QAveragePoolF32Params } from '../../../../kernels/int8/qdq.js';
import { spatialOutput } from '../../../ops/dims.js';
import { normAxis } from '../../../ops/dims.js';
import { EDGERUN_DOMAIN } from '../../../ops/fused-activation.js';
import type { QPoolParams } from '../../../ops/quant-fused-ops.js';
import { defineCpuKernel, type CpuPrepareContext, type CpuTensor } from '../kernel-def.js';
import { quantizeOne, rangeOf } from './quant-arith.js';
import { checkScales, scalarReader } from './quant-io.js';

const fr = Math.fround;

defineCpuKernel({
  type: 'QLut',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const [x, table] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const y = ctx.outputs[0];
    // table[i] is the output for input qmin + i.
    const offset = x.dtype === 'int8' ? 128 : 0;
    if (ctx.rt.wasm && table.value && x.dtype === table.dtype) {
      // The WASM kernel indexes by the input's byte (int8 −1 → 255): rotate the table once.
      const t = table.value.data as Int8Array;
      const byByte = new Int8Array(256);
      for (let i = 0; i < 256; i++) byByte[(i - offset) & 0xff] = t[i];
      const rt = ctx.rt;
      const at = ctx.keep('lut', () => {
        const p = rt.arena.alloc(256, `${ctx.node.label} table`);
        rt.arena.i8(p, 256).set(byByte);
        return p;
      }, (p) => rt.arena.free(p));
      return () => lutPtr(rt, x.size, x.ptr, at, y.ptr);
    }
    return () => {
      const t = ctx.view(table) as Int8Array;
      const xs = ctx.view(x) as Int8Array;
      const out = ctx.view(y) as Int8Array;
      for (let i = 0; i < xs.length; i++) out[i] = t[xs[i] + offset];
    };
  },
});

interface QParamReaders {
  scale: () => number;
  zp: () => number;
}

function qparams(ctx: CpuPrepareContext<unknown>, s: number, z: number, what: string): QParamReaders {
  const scale = scalarReader(ctx, ctx.inputs[s] ?? null, 1, `${what}_scale`);
  return {
    scale: () => {
      const v = scale();
      checkScales(ctx, [v], `${what}_scale`);
      return v;
    },
    zp: scalarReader(ctx, ctx.inputs[z] ?? null, 0, `${what}_zero_point`),
  };
}

/** Element offsets of a broadcast operand for every output element. */
function broadcastIndex(dims: readonly number[], out: readonly number[]): Int32Array {
  const r = out.length;
  const padded = [...new Array(r - dims.length).fill(1), ...dims];
  const total = out.reduce((a, d) => a * d, 1);
  const idx = new Int32Array(total);
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
    idx[i] = off;
  }
  return idx;
}

defineCpuKernel({
  type: 'QAdd',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const [a, b] = [ctx.inputs[0]!, ctx.inputs[3]!];
    const y = ctx.outputs[0];
    const pa = qparams(ctx, 1, 2, 'a');
    const pb = qparams(ctx, 4, 5, 'b');
    const py = qparams(ctx, 6, 7, 'y');
    const [lo, hi] = rangeOf(y.dtype);
    const fast = a.dtype === y.dtype && b.dtype === y.dtype && (a.size === y.size || b.size === y.size) && (a.size === y.size || a.size === 1) && (b.size === y.size || b.size === 1);
    if (fast) {
      // Same shapes, or one operand a single value: the SIMD kernel (b is the broadcast one).
      const [full, fp, one, op] = a.size === y.size ? [a, pa, b, pb] : [b, pb, a, pa];
      const rt = ctx.rt;
      return () => {
        const [sf, zf, so, zo, sy, zy] = [fp.scale(), fp.zp(), op.scale(), op.zp(), py.scale(), py.zp()];
        if (fr(sf) === sf && fr(so) === so && fr(sy) === sy) {
          qaddF32RqPtr(rt, y.size, full.ptr, one.ptr, one.size, y.ptr, { a: { scale: sf, zeroPoint: zf }, b: { scale: so, zeroPoint: zo }, out: { scale: sy, zeroPoint: zy }, dtype: y.dtype as 'int8' });
          return;
        }
        addLoop(ctx, a, b, y, [pa.scale(), pa.zp(), pb.scale(), pb.zp(), sy, zy], broadcastIndex(a.dims, y.dims), broadcastIndex(b.dims, y.dims), lo, hi);
      };
    }
    const ia = broadcastIndex(a.dims, y.dims);
    const ib = broadcastIndex(b.dims, y.dims);
    return () => addLoop(ctx, a, b, y, [pa.scale(), pa.zp(), pb.scale(), pb.zp(), py.scale(), py.zp()], ia, ib, lo, hi);
  },
});

/** The reference QAdd: float32 dequantize, add, quantize (any broadcast). */
function addLoop(ctx: CpuPrepareContext<unknown>, a: CpuTensor, b: CpuTensor, y: CpuTensor, params: number[], ia: Int32Array, ib: Int32Array, lo: number, hi: number): void {
  const [sa, za, sb, zb, sy, zy] = params;
  const av = ctx.view(a) as Int8Array;
  const bv = ctx.view(b) as Int8Array;
  const out = ctx.view(y) as Int8Array;
  for (let i = 0; i < out.length; i++) {
    const real = fr(fr(fr(av[ia[i]] - za) * sa) + fr(fr(bv[ib[i]] - zb) * sb));
    out[i] = quantizeOne(real, sy, zy, lo, hi);
  }
}

/** Pools x − zx in float32 (exact sums of small integers), then requantizes sx·avg. */
function preparePool(ctx: CpuPrepareContext<QPoolParams>, global: boolean): () => void {
  const x = ctx.inputs[0]!;
  const y = ctx.outputs[0];
  const px = qparams(ctx, 1, 2, 'x');
  const py = qparams(ctx, 3, 4, 'y');
  const [lo, hi] = rangeOf(y.dtype);
  const sp = ctx.params.spatial;
  const rt = ctx.rt;
  const plane = x.dims.slice(2).reduce((a, d) => a * d, 1);
  if ((global || !sp) && x.dtype === y.dtype && plane >= 1 && plane * 255 < 2 ** 24) {
    // The integer sum is exact in float32 here: the WASM kernel gives the loop below bit for bit.
    return () => {
      const [sx, zx, sy, zy] = [px.scale(), px.zp(), py.scale(), py.zp()];
      if (fr(sx) !== sx || fr(sy) !== sy) return poolLoop(ctx, global, px, py, lo, hi);
      qglobalAverageF32RqPtr(rt, x.size / plane, plane, x.ptr, y.ptr, { x: { scale: sx, zeroPoint: zx }, out: { scale: sy, zeroPoint: zy }, dtype: y.dtype as 'int8' });
    };
  }
  const windowed = sp && !global ? windowParams(ctx, x, y) : null;
  if (windowed) {
    const [, , H, W] = x.dims;
    return () => {
      const [sx, zx, sy, zy] = [px.scale(), px.zp(), py.scale(), py.zp()];
      if (fr(sx) !== sx || fr(sy) !== sy) return poolLoop(ctx, global, px, py, lo, hi);
      qaveragePoolF32RqPtr(rt, x.dims[0] * x.dims[1], H, W, x.ptr, y.ptr, { ...windowed, x: { scale: sx, zeroPoint: zx }, out: { scale: sy, zeroPoint: zy }, dtype: y.dtype as 'int8' });
    };
  }
  return () => poolLoop(ctx, global, px, py, lo, hi);
}

/** The window of a 2-D QAveragePool the WASM kernel takes (every window counts a tap), or null. */
function windowParams(ctx: CpuPrepareContext<QPoolParams>, x: CpuTensor, y: CpuTensor): Omit<QAveragePoolF32Params, 'x' | 'out' | 'dtype'> | null {
  const sp = ctx.params.spatial!;
  if (x.dims.length !== 4 || x.dtype !== y.dtype || sp.kernel[0] * sp.kernel[1] * 255 >= 2 ** 24) return null;
  const pads = spatialOutput(ctx.op, x.dims.slice(2), sp).pads!;
  const p = {
    kernel: [sp.kernel[0], sp.kernel[1]] as [number, number], strides: [sp.strides[0], sp.strides[1]] as [number, number],
    dilations: [sp.dilations[0], sp.dilations[1]] as [number, number], pads: [pads[0], pads[1], pads[2], pads[3]] as [number, number, number, number],
    outSize: [y.dims[2], y.dims[3]] as [number, number], countIncludePad: ctx.params.countIncludePad,
  };
  return everyWindowCounts(x.dims[2], x.dims[3], p) ? p : null;
}

/** The reference pooling: x − zx widened to float32, the float pool kernel, then quantized. */
function poolLoop(ctx: CpuPrepareContext<QPoolParams>, global: boolean, px: QParamReaders, py: QParamReaders, lo: number, hi: number): void {
  const x = ctx.inputs[0]!;
  const y = ctx.outputs[0];
  const sp = ctx.params.spatial;
  const rt = ctx.rt;
  const [sx, zx, sy, zy] = [px.scale(), px.zp(), py.scale(), py.zp()];
  const arena = rt.arena;
  const xi = arena.alloc(x.size * 4, `${ctx.node.label} widened input`);
  const yo = arena.alloc(y.size * 4, `${ctx.node.label} pooled sums`);
  try {
    const wide = arena.f32(xi, x.size);
    const xs = ctx.view(x) as Int8Array;
    for (let i = 0; i < xs.length; i++) wide[i] = xs[i] - zx;
    if (global || !sp) globalAveragePoolF32Ptr(rt, xi, x.dims, yo);
    else {
      averagePoolF32Ptr(rt, xi, x.dims, yo, {
        kernel: sp.kernel, strides: sp.strides, pads: sp.pads, dilations: sp.dilations, ceilMode: sp.ceilMode, autoPad: sp.autoPad,
        countIncludePad: ctx.params.countIncludePad,
      });
    }
    const avg = arena.f32(yo, y.size);
    const out = ctx.view(y) as Int8Array;
    for (let i = 0; i < out.length; i++) out[i] = quantizeOne(fr(avg[i] * sx), sy, zy, lo, hi);
  } finally {
    arena.free(yo);
    arena.free(xi);
  }
}

defineCpuKernel<QPoolParams>({ type: 'QAveragePool', domain: EDGERUN_DOMAIN, prepare: (ctx) => preparePool(ctx, false) });
defineCpuKernel<QPoolParams>({ type: 'QGlobalAveragePool', domain: EDGERUN_DOMAIN, prepare: (ctx) => preparePool(ctx, true) });

defineCpuKernel<{ axis: number }>({
  type: 'QConcat',
  domain: EDGERUN_DOMAIN,
  prepare: (ctx) => {
    const y = ctx.outputs[0];
    const py = qparams(ctx, 0, 1, 'y');
    const parts: { x: CpuTensor; p: QParamReaders }[] = [];
    for (let i = 2; i < ctx.inputs.length; i += 3) parts.push({ x: ctx.inputs[i]!, p: qparams(ctx, i + 1, i + 2, `input ${i}`) });
    const axis = normAxis(ctx.op, ctx.params.axis, y.dims.length);
    const outer = y.dims.slice(0, axis).reduce((a, d) => a * d, 1);
    const inner = y.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
    const [lo, hi] = rangeOf(y.dtype);
    return () => {
      const [sy, zy] = [py.scale(), py.zp()];
      const out = ctx.view(y) as Int8Array;
      const rowOut = y.dims[axis] * inner;
      let at = 0;
      for (const { x, p } of parts) {
        const [sx, zx] = [p.scale(), p.zp()];
        const xs = ctx.view(x) as Int8Array;
        const chunk = x.dims[axis] * inner;
        const same = sx === sy && zx === zy;
        for (let o = 0; o < outer; o++) {
          for (let k = 0; k < chunk; k++) {
            const v = xs[o * chunk + k];
            out[o * rowOut + at + k] = same ? v : quantizeOne(fr(fr(v - zx) * sx), sy, zy, lo, hi);
          }
        }
        at += chunk;
      }
    };
  },
});
