// The activation a fused node (ai.edgerun FusedConv / FusedGemm) applies in its epilogue, kept as
// attributes so fused graphs print, save and load like any other.
import type { Activation } from '../../kernels/activation.js';
import type { Node } from '../graph/ir.js';
import type { OpContext } from './registry.js';

export const EDGERUN_DOMAIN = 'ai.edgerun';

/** ONNX op → kernel activation, for the ops the fusion pass may absorb. */
export function activationOfNode(op: string, node: Node, clipBounds?: [number, number]): Activation | null {
  switch (op) {
    case 'Relu':
      return { kind: 'relu' };
    case 'Sigmoid':
      return { kind: 'sigmoid' };
    case 'Tanh':
      return { kind: 'tanh' };
    case 'HardSwish':
      return { kind: 'hardSwish' };
    case 'LeakyRelu':
      return { kind: 'leakyRelu', alpha: node.float('alpha', 0.01) };
    case 'HardSigmoid':
      return { kind: 'hardSigmoid', alpha: node.float('alpha', 0.2), beta: node.float('beta', 0.5) };
    case 'Elu':
      return { kind: 'elu', alpha: node.float('alpha', 1) };
    case 'Clip':
      return clipBounds ? { kind: 'clip', min: clipBounds[0], max: clipBounds[1] } : null;
    default:
      return null;
  }
}

export function activationToAttrs(a: Activation): { activation: string; activation_params: number[] } {
  switch (a.kind) {
    case 'clip':
      return { activation: 'Clip', activation_params: [a.min, a.max] };
    case 'leakyRelu':
      return { activation: 'LeakyRelu', activation_params: [a.alpha] };
    case 'hardSigmoid':
      return { activation: 'HardSigmoid', activation_params: [a.alpha, a.beta] };
    case 'elu':
      return { activation: 'Elu', activation_params: [a.alpha] };
    case 'none':
      return { activation: 'None', activation_params: [] };
    default: {
      const names: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', hardSwish: 'HardSwish' };
      return { activation: names[a.kind], activation_params: [] };
    }
  }
}

export function activationFromAttrs(ctx: OpContext): Activation {
  const name = ctx.node.string('activation', 'None');
  const p = ctx.node.floats('activation_params', []);
  const need = (n: number) => {
    if (p.length < n) throw ctx.error('InvalidModel', `activation ${name} needs ${n} activation_params, got ${p.length}`);
  };
  switch (name) {
    case 'None':
      return { kind: 'none' };
    case 'Relu':
      return { kind: 'relu' };
    case 'Sigmoid':
      return { kind: 'sigmoid' };
    case 'Tanh':
      return { kind: 'tanh' };
    case 'HardSwish':
      return { kind: 'hardSwish' };
    case 'Clip':
      need(2);
      return { kind: 'clip', min: p[0], max: p[1] };
    case 'LeakyRelu':
      need(1);
      return { kind: 'leakyRelu', alpha: p[0] };
    case 'HardSigmoid':
      need(2);
      return { kind: 'hardSigmoid', alpha: p[0], beta: p[1] };
    case 'Elu':
      need(1);
      return { kind: 'elu', alpha: p[0] };
    default:
      throw ctx.error('InvalidModel', `unknown fused activation '${name}'`);
  }
}
