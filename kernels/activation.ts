// Activations that kernels fuse into their epilogue. The numeric codes match
// wasm/lib/activation.ts; keep both lists in the same order.
import { EdgeRunError } from '../engine/errors.js';

export type Activation =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'clip'; min: number; max: number }
  | { kind: 'leakyRelu'; alpha: number }
  | { kind: 'sigmoid' }
  | { kind: 'tanh' }
  | { kind: 'hardSwish' }
  | { kind: 'hardSigmoid'; alpha: number; beta: number }
  | { kind: 'elu'; alpha: number };

export type ActivationKind = Activation['kind'];

export const ACT_CODES: Record<ActivationKind, number> = {
  none: 0,
  relu: 1,
  clip: 2,
  leakyRelu: 3,
  sigmoid: 4,
  tanh: 5,
  hardSwish: 6,
  hardSigmoid: 7,
  elu: 8,
};

export const NO_ACTIVATION: Activation = { kind: 'none' };
export const RELU6: Activation = { kind: 'clip', min: 0, max: 6 };

/** [code, p0, p1] as the WASM epilogues take them. */
export function encodeActivation(act: Activation | undefined, where: string): [number, number, number] {
  const a = act ?? NO_ACTIVATION;
  const code = ACT_CODES[a.kind];
  if (code === undefined) throw new EdgeRunError('InvalidArgument', `${where}: unknown activation '${String((a as { kind: unknown }).kind)}'`);
  switch (a.kind) {
    case 'clip':
      if (!(a.min <= a.max)) throw new EdgeRunError('InvalidArgument', `${where}: clip min ${a.min} is above max ${a.max}`);
      return [code, a.min, a.max];
    case 'leakyRelu':
    case 'elu':
      if (!Number.isFinite(a.alpha)) throw new EdgeRunError('InvalidArgument', `${where}: ${a.kind} alpha must be finite, got ${a.alpha}`);
      return [code, a.alpha, 0];
    case 'hardSigmoid':
      if (!Number.isFinite(a.alpha) || !Number.isFinite(a.beta)) {
        throw new EdgeRunError('InvalidArgument', `${where}: hardSigmoid alpha/beta must be finite`);
      }
      return [code, a.alpha, a.beta];
    default:
      return [code, 0, 0];
  }
}
