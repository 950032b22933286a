// Feeding and reading integer models (quantize(..., { io: 'int8' | 'uint8' })): the report gives
// each integer input/output its scale and zero point; these convert float data to and from them.
import { EdgeRunError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { quantizeOne, rangeOf } from '../backends/cpu/ops/quant-arith.js';
import type { IoRecord } from './int8-build.js';

/** Float32 data → the integer tensor an io 'int8'/'uint8' input takes (QuantizeLinear's rounding). */
export function quantizeFeed(x: Tensor, io: IoRecord): Tensor {
  if (x.type !== 'float32') throw new EdgeRunError('DTypeMismatch', `quantizeFeed: '${io.name}' takes float32 data to quantize, got ${x.type}`);
  const [lo, hi] = rangeOf(io.dtype);
  const src = x.data as Float32Array;
  const out = io.dtype === 'int8' ? new Int8Array(src.length) : new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = quantizeOne(src[i], io.scale, io.zeroPoint, lo, hi);
  return new Tensor(io.dtype, out, x.dims);
}

/** An integer output → real values: scale · (q − zero point). */
export function dequantizeOutput(y: Tensor, io: IoRecord): Float32Array {
  if (y.type !== io.dtype) throw new EdgeRunError('DTypeMismatch', `dequantizeOutput: '${io.name}' is ${io.dtype}, got ${y.type}`);
  const q = y.data as Int8Array;
  return Float32Array.from(q, (v) => Math.fround(io.scale * (v - io.zeroPoint)));
}
