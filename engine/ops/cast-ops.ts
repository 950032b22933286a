// Cast and CastLike: element type conversion. The numeric rules live with the CPU kernel
// (engine/backends/cpu/ops/cast.ts); strings cannot be cast (edgerun computes on numbers only).
import { ONNX_TO_DTYPE } from '../onnx/tensor-proto.js';
import type { DType } from '../tensor.js';
import { defineOp, type OpContext } from './registry.js';
import { inputName } from './tensor-ops.js';

function checkCastable(ctx: OpContext, from: DType, to: DType): void {
  if (from === 'string' || to === 'string') {
    throw ctx.error('UnsupportedFeature', `casting ${inputName(ctx, 0)} from ${from} to ${to} is not supported: edgerun does not convert strings`);
  }
}

defineOp({
  type: 'Cast',
  params: (ctx) => {
    const code = ctx.node.int('to');
    const to = ONNX_TO_DTYPE[code];
    if (!to) throw ctx.error('UnsupportedFeature', `'to' = ${code} names an element type edgerun does not support`);
    return { to };
  },
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'input');
    checkCastable(ctx, x.dtype, p.to);
    return [{ dtype: p.to, shape: x.shape, value: null }];
  },
});

defineOp({
  type: 'CastLike',
  params: () => null,
  infer: (ctx, inputs) => {
    const x = ctx.input(inputs, 0, 'input');
    const like = ctx.input(inputs, 1, 'target_type');
    checkCastable(ctx, x.dtype, like.dtype);
    return [{ dtype: like.dtype, shape: x.shape, value: null }];
  },
});
