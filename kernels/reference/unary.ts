// Scalar twin of the unary kernels: the ONNX definitions in double precision, stored to float32.
// p0/p1 are the op's parameters already rounded to float32 (see kernels/unary.ts), as the
// kernels see them.
import type { UnaryOp } from '../unary.js';

export function unaryScalar(op: UnaryOp, x: number, p0: number, p1: number): number {
  switch (op) {
    case 'relu':
      return x < 0 ? 0 : x;
    case 'leakyRelu':
      return x < 0 ? p0 * x : x;
    case 'clip': {
      const lo = x < p0 ? p0 : x; // min > max gives max everywhere (ONNX Clip)
      return lo > p1 ? p1 : lo;
    }
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, p0 * x + p1));
    case 'hardSwish':
      return x * Math.min(1, Math.max(0, x / 6 + 0.5));
    case 'tanh':
      return Math.tanh(x);
    case 'elu':
      return x < 0 ? p0 * Math.expm1(x) : x;
    case 'selu':
      return x > 0 ? p1 * x : p1 * p0 * Math.expm1(x);
    case 'thresholdedRelu':
      return x > p0 ? x : 0;
    case 'softplus':
      // log(1 + e^x), written so that e^x never overflows.
      return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'abs':
      return Math.abs(x);
    case 'neg':
      return -x;
    case 'sqrt':
      return Math.sqrt(x);
    case 'reciprocal':
      return 1 / x;
    case 'step':
      // Heaviside step with step(0) = 1 (the perceptron fires at w·x + b >= 0); NaN stays NaN.
      return Number.isNaN(x) ? NaN : x >= 0 ? 1 : 0;
  }
}

/** dst[i] = op(src[i]); dst may be src. */
export function unaryRef(op: UnaryOp, p0: number, p1: number, src: Float32Array, dst: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = unaryScalar(op, src[i], p0, p1);
}
