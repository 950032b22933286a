// Recognizing the pieces of QDQ patterns for fuse-qdq.ts: a value that is DequantizeLinear of a
// quantized tensor (with constant per-tensor parameters), a constant weight behind
// DequantizeLinear (per tensor or per channel), the QuantizeLinear that alone reads a value, and
// constants as real numbers whether stored in float or quantized.
import type { Graph, Node, Value } from '../graph/ir.js';
import { Tensor, type TypedData } from '../tensor.js';
import { numbersOf } from '../backends/cpu/ops/cast-ops.js';
import { soleConsumer } from './graph-edit.js';

const fr = Math.fround;

export interface QTensor {
  /** The integer tensor (int8/uint8). */
  q: Value;
  scale: Value;
  /** null: zero point 0 (omitted). */
  zp: Value | null;
  scaleValue: number;
  zpValue: number;
}

const QTYPES = new Set(['int8', 'uint8']);

function constNumbers(v: Value | null | undefined): number[] | null {
  if (!v?.constant) return null;
  return Array.from(numbersOf(v.constant.type, v.constant.data as TypedData));
}

/**
 * The element type of a quantized value, also where inference could not reach it (after a node
 * whose shapes only a run can tell): a QuantizeLinear writes its zero point's type.
 */
export function qtype(v: Value): string | null {
  if (v.dtype) return v.dtype;
  if (v.constant) return v.constant.type;
  const p = v.producer;
  if (p?.op === 'QuantizeLinear' && p.domain === '') {
    const zp = p.inputs[2];
    if (zp) return zp.dtype ?? zp.constant?.type ?? null;
    return p.has('output_dtype') ? null : 'uint8';
  }
  return null;
}

/** `v` = DequantizeLinear(q, scale, zp) with one constant scale and zero point, q int8/uint8. */
export function dequantized(v: Value | null | undefined): (QTensor & { node: Node }) | null {
  const n = v?.producer;
  if (!n || n.op !== 'DequantizeLinear' || n.domain !== '') return null;
  const [q, scale, zp] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2] ?? null];
  const t = qtype(q);
  if (!t || !QTYPES.has(t)) return null;
  q.dtype ??= t as 'int8';
  const s = constNumbers(scale);
  const z = zp ? constNumbers(zp) : [0];
  if (!s || s.length !== 1 || !z || z.length !== 1 || !(s[0] > 0)) return null;
  return { q, scale, zp, scaleValue: s[0], zpValue: z[0], node: n };
}

/** The QuantizeLinear that alone reads `v`, with constant per-tensor parameters. */
export function quantizedBy(g: Graph, consumers: Map<Value, Node[]>, v: Value): (QTensor & { node: Node }) | null {
  const n = soleConsumer(g, consumers, v);
  if (!n || n.op !== 'QuantizeLinear' || n.domain !== '' || n.inputs[0] !== v) return null;
  const [scale, zp] = [n.inputs[1]!, n.inputs[2] ?? null];
  const s = constNumbers(scale);
  const z = zp ? constNumbers(zp) : [0];
  const out = n.outputs[0];
  const t = qtype(out);
  if (!s || s.length !== 1 || !z || z.length !== 1 || !(s[0] > 0) || !t || !QTYPES.has(t)) return null;
  out.dtype ??= t as 'int8';
  return { q: out, scale, zp, scaleValue: s[0], zpValue: z[0], node: n };
}

export interface QWeight {
  q: Value;
  /** Per output channel (length 1 when per tensor). */
  scales: Float32Array;
  zps: number[];
  scale: Value;
  zp: Value | null;
}

/** A constant int8/uint8 weight behind DequantizeLinear, per tensor or per channel along `axis`. */
export function dequantizedWeight(v: Value | null | undefined, axis: number): QWeight | null {
  const n = v?.producer;
  if (!n || n.op !== 'DequantizeLinear' || n.domain !== '') return null;
  const [q, scale, zp] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2] ?? null];
  if (!q.constant || !QTYPES.has(q.constant.type)) return null;
  const s = constNumbers(scale);
  const z = zp ? constNumbers(zp) : [0];
  if (!s || !z || s.some((x) => !(x > 0))) return null;
  if (s.length > 1) {
    const rank = q.constant.dims.length;
    const a = n.int('axis', 1);
    if ((a < 0 ? a + rank : a) !== axis || s.length !== q.constant.dims[axis]) return null;
  }
  return { q, scales: Float32Array.from(s), zps: z, scale, zp };
}

/** The real values of a constant: a float32 initializer, or DequantizeLinear of constants. */
export function realConstant(v: Value | null | undefined): Float32Array | null {
  if (!v) return null;
  if (v.constant) return v.constant.type === 'float32' ? (v.constant.data as Float32Array) : null;
  const n = v.producer;
  if (!n || n.op !== 'DequantizeLinear' || !n.inputs[0]?.constant) return null;
  const x = constNumbers(n.inputs[0]);
  const s = constNumbers(n.inputs[1]);
  const z = n.inputs[2] ? constNumbers(n.inputs[2]) : [0];
  if (!x || !s || !z) return null;
  if (s.length === 1) return Float32Array.from(x, (q) => fr(fr(q - z[0]) * s[0]));
  // Per axis: bias vectors (1-D) only.
  if (n.inputs[0].constant.dims.length !== 1 || s.length !== x.length) return null;
  return Float32Array.from(x, (q, i) => fr(fr(q - z[z.length === 1 ? 0 : i]) * s[i]));
}

/** int32 bias at scale xs · ws[c] for real bias values `b` (exact when they came quantized at that scale). */
export function requantizedBias(b: Float32Array, n: number, xs: number, ws: Float32Array): Int32Array | null {
  if (b.length !== n && b.length !== 1) return null;
  const out = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const s = fr(xs * ws[ws.length === 1 ? 0 : c]);
    const q = Math.round(b[b.length === 1 ? 0 : c] / s);
    if (!Number.isFinite(q) || Math.abs(q) > 2 ** 31 - 1) return null;
    out[c] = q;
  }
  return out;
}

export function tensorOf(type: 'int8' | 'uint8' | 'int32' | 'float32', data: ArrayLike<number>, dims: number[]): Tensor {
  return new Tensor(type, Array.from(data), dims);
}
