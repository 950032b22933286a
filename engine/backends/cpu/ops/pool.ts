// Pooling on the CPU backend: the WASM pool kernels (1–3 spatial dims), MaxPool's Indices output
// through the convenience path (it is a copy; only conformance-style graphs ask for it).
import {
  averagePoolF32Ptr,
  globalAveragePoolF32Ptr,
  globalMaxPoolF32Ptr,
  maxPoolF32,
  maxPoolF32Ptr,
  type PoolOptions,
  poolGeometry,
} from '../../../../kernels/pool.js';
import { qpoolPtr } from '../../../../kernels/int8/pool.js';
import type { PoolParams } from '../../../ops/conv-ops.js';
import { defineCpuKernel, type CpuPrepareContext } from '../kernel-def.js';

function f32Only(ctx: CpuPrepareContext<unknown>): void {
  const x = ctx.inputs[0]!;
  if (x.dtype !== 'float32') throw ctx.error('UnsupportedFeature', `input X is ${x.dtype}; float32 pooling only on the CPU backend (int8 pooling runs in quantized graphs)`);
}

function options(p: PoolParams): PoolOptions {
  const s = p.spatial;
  return { kernel: s.kernel, strides: s.strides, pads: s.pads, dilations: s.dilations, ceilMode: s.ceilMode, autoPad: s.autoPad };
}

/**
 * MaxPool of 8-bit integers (quantized graphs keep their activations int8/uint8 here). 2-D
 * windows without dilation or ceil-mode growth run on the int8 pooling kernel; anything else
 * widens to float32 (exact for a max), pools and narrows.
 */
function maxPoolBytes(ctx: CpuPrepareContext<PoolParams>): () => void {
  const x = ctx.inputs[0]!;
  const y = ctx.outputs[0];
  const opts = options(ctx.params);
  const g = poolGeometry(x.dims, opts, `${ctx.node.label}`);
  const s = ctx.params.spatial;
  const floorDims = x.dims.length === 4 ? [0, 1].map((i) => Math.floor((x.dims[2 + i] + g.pads[i] + g.pads[2 + i] - s.kernel[i]) / g.strides[i]) + 1) : [];
  const direct = x.dims.length === 4 && g.dilations.every((d) => d === 1) && floorDims[0] === y.dims[2] && floorDims[1] === y.dims[3];
  if (direct) {
    const [N, C, H, W] = x.dims;
    const q = {
      kernel: [s.kernel[0], s.kernel[1]] as [number, number],
      strides: [g.strides[0], g.strides[1]] as [number, number],
      pads: [g.pads[0], g.pads[1], g.pads[2], g.pads[3]] as [number, number, number, number],
      dtype: x.dtype as 'int8' | 'uint8',
    };
    return () => qpoolPtr(ctx.rt, 'max', N, C, H, W, x.ptr, y.ptr, q);
  }
  return () => {
    const arena = ctx.rt.arena;
    const xi = arena.alloc(x.size * 4, `${ctx.node.label} widened input`);
    const yo = arena.alloc(y.size * 4, `${ctx.node.label} widened output`);
    try {
      arena.f32(xi, x.size).set(ctx.view(x) as Uint8Array);
      maxPoolF32Ptr(ctx.rt, xi, x.dims, yo, opts);
      (ctx.view(y) as Uint8Array).set(arena.f32(yo, y.size));
    } finally {
      arena.free(yo);
      arena.free(xi);
    }
  };
}

defineCpuKernel<PoolParams>({
  type: 'MaxPool',
  prepare: (ctx) => {
    if ((ctx.inputs[0]!.dtype === 'uint8' || ctx.inputs[0]!.dtype === 'int8') && ctx.outputs.length === 1) return maxPoolBytes(ctx);
    f32Only(ctx);
    const x = ctx.inputs[0]!;
    const [y, indices] = ctx.outputs;
    const opts = options(ctx.params);
    if (!indices) return () => void maxPoolF32Ptr(ctx.rt, x.ptr, x.dims, y.ptr, opts);
    const storageOrder = ctx.params.storageOrder as 0 | 1;
    return () => {
      const r = maxPoolF32(ctx.rt, (ctx.view(x) as Float32Array).slice(), x.dims, { ...opts, indices: true, storageOrder });
      (ctx.view(y) as Float32Array).set(r.data);
      (ctx.view(indices) as BigInt64Array).set(r.indices!);
    };
  },
});

defineCpuKernel<PoolParams>({
  type: 'AveragePool',
  prepare: (ctx) => {
    f32Only(ctx);
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    const opts = { ...options(ctx.params), countIncludePad: ctx.params.countIncludePad };
    return () => void averagePoolF32Ptr(ctx.rt, x.ptr, x.dims, y.ptr, opts);
  },
});

defineCpuKernel({
  type: 'GlobalAveragePool',
  prepare: (ctx) => {
    f32Only(ctx);
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    return () => void globalAveragePoolF32Ptr(ctx.rt, x.ptr, x.dims, y.ptr);
  },
});

defineCpuKernel({
  type: 'GlobalMaxPool',
  prepare: (ctx) => {
    f32Only(ctx);
    const x = ctx.inputs[0]!;
    const y = ctx.outputs[0];
    return () => void globalMaxPoolF32Ptr(ctx.rt, x.ptr, x.dims, y.ptr);
  },
});
