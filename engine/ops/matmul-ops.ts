// Gemm, MatMul and the fused Gemm with an activation epilogue.
import type { Activation } from '../../kernels/activation.js';
import type { Dim } from '../graph/ir.js';
import { broadcast } from './dims.js';
import { FLOAT_TYPES } from './elementwise.js';
import { activationFromAttrs, EDGERUN_DOMAIN } from './fused-activation.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';

export interface GemmParams {
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  activation: Activation;
}

function gemmParams(ctx: OpContext, fused: boolean): GemmParams {
  return {
    transA: ctx.node.int('transA', 0) !== 0,
    transB: ctx.node.int('transB', 0) !== 0,
    alpha: ctx.node.float('alpha', 1),
    beta: ctx.node.float('beta', 1),
    activation: fused ? activationFromAttrs(ctx) : { kind: 'none' },
  };
}

function inferGemm(ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: GemmParams): ValueInfo[] {
  const a = ctx.input(inputs, 0, 'A');
  const b = ctx.input(inputs, 1, 'B');
  ctx.expectDType(a, FLOAT_TYPES, 'input 0');
  if (b.dtype !== a.dtype) throw ctx.error('DTypeMismatch', `B is ${b.dtype}, A is ${a.dtype}`);
  ctx.expectRank(a, 2, 'input A');
  ctx.expectRank(b, 2, 'input B');
  const [m, ka] = a.shape ? (p.transA ? [a.shape[1], a.shape[0]] : a.shape) : [null, null];
  const [kb, n] = b.shape ? (p.transB ? [b.shape[1], b.shape[0]] : b.shape) : [null, null];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    throw ctx.error('ShapeMismatch', `A ('${ctx.node.inputs[0]?.name}') ${p.transA ? 'transposed ' : ''}has K = ${ka}, B ('${ctx.node.inputs[1]?.name}') ${p.transB ? 'transposed ' : ''}has K = ${kb}`);
  }
  const c = inputs[2];
  if (c?.shape) broadcast(ctx, [c.shape, [m, n]], 'C and A·B');
  return [{ dtype: a.dtype, shape: [m, n], value: null }];
}

function gemmMacs(inputs: readonly (ValueInfo | null)[], outs: readonly ValueInfo[], p: GemmParams): number {
  const a = inputs[0]?.shape as number[] | undefined;
  const y = outs[0]?.shape as number[] | undefined;
  if (!a || !y) return 0;
  return y[0] * y[1] * (p.transA ? a[0] : a[1]);
}

defineOp<GemmParams>({ type: 'Gemm', params: (ctx) => gemmParams(ctx, false), infer: inferGemm, macs: gemmMacs });
defineOp<GemmParams>({ type: 'FusedGemm', domain: EDGERUN_DOMAIN, params: (ctx) => gemmParams(ctx, true), infer: inferGemm, macs: gemmMacs });

/** numpy.matmul shapes: 1-D operands are promoted (and the added dim dropped), batch dims broadcast. */
export function matmulShape(ctx: OpContext, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) throw ctx.error('ShapeMismatch', 'MatMul operands must have rank ≥ 1');
  const A = a.length === 1 ? [1, a[0]] : [...a];
  const B = b.length === 1 ? [b[0], 1] : [...b];
  const k1 = A[A.length - 1];
  const k2 = B[B.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw ctx.error('ShapeMismatch', `A [${a}] and B [${b}]: inner dims ${k1} and ${k2} differ`);
  }
  const batch = broadcast(ctx, [A.slice(0, -2), B.slice(0, -2)], 'batch dims of A and B');
  const out = [...batch, A[A.length - 2], B[B.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

defineOp({
  type: 'MatMul',
  params: () => null,
  infer: (ctx, inputs) => {
    const a = ctx.input(inputs, 0, 'A');
    const b = ctx.input(inputs, 1, 'B');
    ctx.expectDType(a, FLOAT_TYPES, 'input 0');
    if (b.dtype !== a.dtype) throw ctx.error('DTypeMismatch', `B is ${b.dtype}, A is ${a.dtype}`);
    return [{ dtype: a.dtype, shape: a.shape && b.shape ? matmulShape(ctx, a.shape, b.shape) : null, value: null }];
  },
  macs: (inputs, outs) => {
    const a = inputs[0]?.shape as number[] | undefined;
    const y = outs[0]?.shape as number[] | undefined;
    if (!a || !y) return 0;
    return y.reduce((s, d) => s * d, 1) * a[a.length - 1];
  },
});
