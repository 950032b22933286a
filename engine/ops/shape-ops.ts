// Operators that only change how the same elements are viewed (Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout at inference), and the ones that produce shapes or constants
// (Shape, Constant, ConstantOfShape).
import { Tensor, sizeOf, type DType } from '../tensor.js';
import type { Dim } from '../graph/ir.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import { normAxis, product } from './dims.js';

export function intsOf(t: Tensor): number[] {
  return t.toNumbers();
}

function passThrough(_ctx: OpContext, inputs: readonly (ValueInfo | null)[]): ValueInfo[] {
  const x = inputs[0]!;
  return [{ dtype: x.dtype, shape: x.shape, value: null }];
}

defineOp({ type: 'Identity', params: () => null, infer: (ctx, inputs) => [{ ...ctx.input(inputs, 0), value: null }] });

defineOp({
  type: 'Dropout',
  params: (ctx) => ({ outputs: ctx.node.outputs.length }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0);
    const training = inputs[2]?.value;
    if (training && training.toNumbers()[0]) throw ctx.error('UnsupportedFeature', 'training_mode=true dropout is random; only inference is supported');
    const out: ValueInfo[] = [{ dtype: x.dtype, shape: x.shape, value: null }];
    if (p.outputs > 1) out.push({ dtype: 'bool', shape: x.shape, value: null });
    return out;
  },
});

defineOp({
  type: 'Reshape',
  params: (ctx) => ({ allowZero: ctx.node.int('allowzero', 0) !== 0, shapeAttr: ctx.opset < 5 ? ctx.node.ints('shape') : null }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0, 'data');
    const target = p.shapeAttr ?? intsOf(ctx.constant(inputs, 1, 'shape'));
    return [{ dtype: x.dtype, shape: reshapeDims(ctx, x.shape, target, p.allowZero), value: null }];
  },
});

/** ONNX Reshape: 0 copies the input dim (unless allowzero), one -1 is inferred. */
export function reshapeDims(ctx: OpContext, input: Dim[] | null, target: number[], allowZero: boolean): Dim[] {
  let inferAt = -1;
  const out: Dim[] = target.map((d, i) => {
    if (d === -1) {
      if (inferAt >= 0) throw ctx.error('InvalidArgument', `shape [${target}] has more than one -1`);
      inferAt = i;
      return null;
    }
    if (d === 0 && !allowZero) {
      if (!input || i >= input.length) throw ctx.error('ShapeMismatch', `shape [${target}] copies dim ${i} (0) but the input has rank ${input?.length ?? '?'}`);
      return input[i];
    }
    if (!Number.isInteger(d) || d < 0) throw ctx.error('InvalidArgument', `shape [${target}] has an invalid dim ${d}`);
    return d;
  });
  const total = input ? product(input) : null;
  if (inferAt >= 0) {
    const rest = product(out.filter((_, i) => i !== inferAt));
    if (total !== null && rest !== null) {
      if (rest === 0 || total % rest !== 0) throw ctx.error('ShapeMismatch', `cannot reshape [${input}] (${total} elements) to [${target}]`);
      out[inferAt] = total / rest;
    } else if (input && rest !== null && rest > 0) {
      // A symbolic batch dim survives a reshape like [N, 16, 4, 4] -> [-1, 256] when the rest divides evenly.
      const known = product(input.filter((d) => typeof d === 'number'));
      const sym = input.filter((d) => typeof d !== 'number');
      if (sym.length === 1 && known !== null && known === rest) out[inferAt] = sym[0];
    }
  } else if (total !== null) {
    const n = product(out);
    if (n !== null && n !== total) throw ctx.error('ShapeMismatch', `cannot reshape [${input}] (${total} elements) to [${target}] (${n} elements)`);
  }
  return out;
}

defineOp({
  type: 'Flatten',
  params: (ctx) => ({ axis: ctx.node.int('axis', 1) }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0);
    if (!x.shape) return [{ dtype: x.dtype, shape: [null, null], value: null }];
    const r = x.shape.length;
    const axis = p.axis < 0 ? p.axis + r : p.axis;
    if (axis < 0 || axis > r) throw ctx.error('InvalidArgument', `axis ${p.axis} is out of range for rank ${r}`);
    const a = axis === 0 ? 1 : axis === 1 ? x.shape[0] : product(x.shape.slice(0, axis));
    const b = axis === r ? 1 : product(x.shape.slice(axis));
    return [{ dtype: x.dtype, shape: [a, b], value: null }];
  },
});

function axesInput(ctx: OpContext, inputs: readonly (ValueInfo | null)[], attr: number[] | null): number[] | null {
  if (attr) return attr;
  if (inputs[1]) return intsOf(ctx.constant(inputs, 1, 'axes'));
  return null;
}

defineOp({
  type: 'Squeeze',
  params: (ctx) => ({ axes: ctx.opset < 13 && ctx.node.has('axes') ? ctx.node.ints('axes') : null }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0);
    const axes = axesInput(ctx, inputs, p.axes);
    if (!x.shape) return [{ dtype: x.dtype, shape: null, value: null }];
    const r = x.shape.length;
    const drop = new Set((axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(ctx, a, r, 'axes')));
    for (const a of drop) {
      if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) throw ctx.error('ShapeMismatch', `cannot squeeze axis ${a} of size ${x.shape[a]}`);
    }
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !drop.has(i)), value: null }];
  },
});

defineOp({
  type: 'Unsqueeze',
  params: (ctx) => ({ axes: ctx.opset < 13 ? ctx.node.ints('axes') : null }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0);
    const axes = axesInput(ctx, inputs, p.axes);
    if (!axes) throw ctx.error('InvalidModel', 'axes are required');
    if (!x.shape) return [{ dtype: x.dtype, shape: null, value: null }];
    const r = x.shape.length + axes.length;
    const at = new Set(axes.map((a) => normAxis(ctx, a, r, 'axes')));
    if (at.size !== axes.length) throw ctx.error('InvalidArgument', `axes [${axes}] repeat an axis`);
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(at.has(i) ? 1 : x.shape[k++]);
    return [{ dtype: x.dtype, shape: out, value: null }];
  },
});

defineOp({
  type: 'Shape',
  params: (ctx) => ({ start: ctx.node.int('start', 0), end: ctx.node.has('end') ? ctx.node.int('end') : null }),
  infer: (ctx, inputs, p) => {
    const x = ctx.input(inputs, 0);
    if (!x.shape) return [{ dtype: 'int64', shape: [null], value: null }];
    const r = x.shape.length;
    const clampAxis = (a: number) => Math.min(r, Math.max(0, a < 0 ? a + r : a));
    const dims = x.shape.slice(clampAxis(p.start), p.end === null ? r : clampAxis(p.end));
    const known = dims.every((d) => typeof d === 'number');
    return [{ dtype: 'int64', shape: [dims.length], value: known ? new Tensor('int64', (dims as number[]).map(BigInt), [dims.length]) : null }];
  },
});

defineOp({
  type: 'Constant',
  params: (ctx) => {
    const n = ctx.node;
    if (n.has('value')) return n.tensor('value')!;
    if (n.has('value_float')) return new Tensor('float32', [n.float('value_float')], []);
    if (n.has('value_floats')) return new Tensor('float32', n.floats('value_floats'));
    if (n.has('value_int')) return new Tensor('int64', [BigInt(n.int('value_int'))], []);
    if (n.has('value_ints')) return new Tensor('int64', n.ints('value_ints').map(BigInt));
    if (n.has('value_string')) return new Tensor('string', [n.string('value_string')], []);
    if (n.has('value_strings')) return new Tensor('string', n.strings('value_strings'));
    throw ctx.error('InvalidModel', 'Constant needs one of value, value_float(s), value_int(s), value_string(s)');
  },
  infer: (_ctx, _inputs, t) => [{ dtype: t.type, shape: [...t.dims], value: t }],
});

defineOp({
  type: 'ConstantOfShape',
  params: (ctx) => ctx.node.tensor('value') ?? new Tensor('float32', [0], [1]),
  infer: (ctx, inputs, fill) => {
    const shape = intsOf(ctx.constant(inputs, 0, 'shape'));
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw ctx.error('InvalidArgument', `shape [${shape}] must be non-negative integers`);
    if (fill.size !== 1) throw ctx.error('InvalidArgument', `value must hold one element, has ${fill.size}`);
    return [{ dtype: fill.type as DType, shape, value: null }];
  },
});

export { passThrough, sizeOf };
