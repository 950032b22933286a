// Scalar activations: the oracle for every fused epilogue.
import type { Activation } from '../activation.js';

export function activate(x: number, act: Activation | undefined): number {
  if (!act) return x;
  switch (act.kind) {
    case 'none':
      return x;
    case 'relu':
      return x < 0 ? 0 : x;
    case 'clip':
      return x < act.min ? act.min : x > act.max ? act.max : x;
    case 'leakyRelu':
      return x < 0 ? x * act.alpha : x;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'hardSwish':
      return x * Math.min(1, Math.max(0, x / 6 + 0.5));
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, act.alpha * x + act.beta));
    case 'elu':
      return x < 0 ? act.alpha * (Math.exp(x) - 1) : x;
  }
}

/** Apply in place, rounding each result to float32 like the kernels do. */
export function activateArray(data: Float32Array, act: Activation | undefined): void {
  if (!act || act.kind === 'none') return;
  for (let i = 0; i < data.length; i++) data[i] = activate(data[i], act);
}
