// The fp16-weight GEMM oracle: the fp32 GEMM oracle on the weights widened from halves. "fp16
// weights" means exactly this: the result of the float GEMM on the f16-rounded weights.
import { gemmRef, type GemmRefOptions } from './gemm.js';
import { halfToFloatBits } from './f16.js';

/** Half bits -> Float32Array (exact). */
export function widenHalves(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) bits[i] = halfToFloatBits(h[i]);
  return out;
}

/** C[M×N] = act((accumulate ? C : 0) + alpha·A·B + bias) with B given as half bits (K×N, or N×K with transB). */
export function gemmF16Ref(a: Float32Array, bHalves: Uint16Array, M: number, K: number, N: number, opts: GemmRefOptions = {}): Float32Array {
  return gemmRef(a, widenHalves(bHalves), M, K, N, opts);
}
