// int8/uint8 max / average / global average pooling, NCHW (TFLite MAX_POOL_2D, AVERAGE_POOL_2D;
// MEAN over H, W as a whole-plane average). Inputs and outputs share scale and zero point, as the
// TFLite spec requires, so there is no requantization: only the activation clamp.
import { EdgeRunError } from '../../engine/errors.js';
import { qpoolRef } from '../reference/int8/pool.js';
import type { Runtime } from '../runtime.js';
import { checkDType, checkDim, checkPositiveDim, checkRange, dtypeOf, newQArray, qview, windowGeometry, type QArray, type Window2D } from './common.js';
import { activationRange, dtypeRange, type QuantActivation, type QuantDType, type QuantParams } from './qparams.js';

export interface QPoolOptions extends Window2D {
  dtype?: QuantDType;
  /** Fused activation: needs the tensor's quantization (shared by input and output). */
  act?: QuantActivation;
  quant?: QuantParams;
}

function clampRange(o: QPoolOptions, dtype: QuantDType, where: string): [number, number] {
  if (!o.act || o.act === 'none') return dtypeRange(dtype);
  if (!o.quant) throw new EdgeRunError('InvalidArgument', `${where}: act '${o.act}' needs quant { scale, zeroPoint }`);
  const r = activationRange(o.act, o.quant, dtype);
  checkRange(r, dtype, `${where}: act`);
  return r;
}

/** x: N×C×H×W at xPtr → N×C×OH×OW at outPtr. Dilations are not part of TFLite pooling and are refused. */
export function qpoolPtr(rt: Runtime, kind: 'max' | 'average', N: number, C: number, H: number, W: number, xPtr: number, outPtr: number, o: QPoolOptions): void {
  const where = `q${kind}PoolPtr`;
  if (kind !== 'max' && kind !== 'average') throw new EdgeRunError('InvalidArgument', `${where}: kind must be 'max' or 'average'`);
  checkDim(N, `${where}: N`);
  checkPositiveDim(C, `${where}: C`);
  checkPositiveDim(H, `${where}: H`);
  checkPositiveDim(W, `${where}: W`);
  if (o?.dilations && (o.dilations[0] !== 1 || o.dilations[1] !== 1)) throw new EdgeRunError('InvalidArgument', `${where}: dilations are not supported`);
  const g = windowGeometry(o, H, W, where);
  const dtype = checkDType(o.dtype, `${where}: dtype`);
  const [lo, hi] = clampRange(o, dtype, where);
  const inSize = C * H * W;
  const outSize = C * g.OH * g.OW;
  if (N === 0) return;
  rt.arena.check(xPtr, N * inSize, `${where}: x`);
  rt.arena.check(outPtr, N * outSize, `${where}: out`);
  const shift = dtype === 'uint8' ? 128 : 0;
  for (let n = 0; n < N; n++) {
    if (rt.wasm) {
      rt.wasm.i8_pool(kind === 'max' ? 0 : 1, xPtr + n * inSize, C, H, W, shift ? 1 : 0, outPtr + n * outSize, g.OH, g.OW, g.kh, g.kw, g.sh, g.sw, g.padT, g.padL, lo - shift, hi - shift);
    } else {
      qpoolRef(kind, qview(rt, dtype, xPtr + n * inSize, inSize), C, g, dtypeRange(dtype)[0], lo, hi, qview(rt, dtype, outPtr + n * outSize, outSize));
    }
  }
}

/** Convenience: x is N×C×H×W; returns N×C×OH×OW. */
export function qpool(rt: Runtime, kind: 'max' | 'average', x: QArray, dims: [number, number, number, number], o: QPoolOptions): QArray {
  const where = `q${kind}Pool`;
  const dt = dtypeOf(x, `${where}: x`);
  if (dt !== (o?.dtype ?? 'int8')) throw new EdgeRunError('DTypeMismatch', `${where}: x is ${dt} but options.dtype is ${o?.dtype ?? 'int8'}`);
  const [N, C, H, W] = dims;
  if (x.length !== N * C * H * W) throw new EdgeRunError('ShapeMismatch', `${where}: x has ${x.length} elements, dims [${dims.join(', ')}] need ${N * C * H * W}`);
  const g = windowGeometry(o, H, W, where);
  const out = newQArray(dt, N * C * g.OH * g.OW);
  const xPtr = rt.arena.alloc(x.length, `${where}: x`);
  const oPtr = rt.arena.alloc(out.length, `${where}: out`);
  try {
    qview(rt, dt, xPtr, x.length).set(x);
    qpoolPtr(rt, kind, N, C, H, W, xPtr, oPtr, o);
    out.set(qview(rt, dt, oPtr, out.length));
  } finally {
    rt.arena.free(oPtr);
    rt.arena.free(xPtr);
  }
  return out;
}

/** Global average pool: the average pool whose window is the whole plane (N×C×1×1 out). */
export function qglobalAveragePool(rt: Runtime, x: QArray, dims: [number, number, number, number], o: Omit<QPoolOptions, keyof Window2D> = {}): QArray {
  return qpool(rt, 'average', x, dims, { ...o, kernel: [dims[2], dims[3]] });
}
