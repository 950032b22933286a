// Seeded weights for the benchmark models. They are random, but scaled so a 50-layer network's
// activations keep an RMS near 1 from input to logits: a model whose activations vanish (all
// zeros after a few ReLUs) or saturate (every ReLU6 at 6) benchmarks a degenerate case and makes
// the output check vs onnxruntime meaningless.
//
// Why not PyTorch's exact default init: nn.Conv2d's default kaiming_uniform_(a=√5) gives
// Var(w) = 1/(3·fan_in), which shrinks activations by ~√6 per conv+ReLU. A trained network's
// BatchNorm undoes that with running statistics that match the data; ours are seeded, not
// measured, so the convolutions themselves must keep the scale. We use the He/Kaiming-uniform
// bound that preserves E[x²] (torch.nn.init.kaiming_uniform_ with the matching gain):
//   followed by ReLU:   bound = √(6/fan_in)  (Var = 2/fan_in)
//   linear (no ReLU):   bound = √(3/fan_in)  (Var = 1/fan_in)
import { Tensor } from '../../engine/tensor.js';
import { seededFloats } from '../data.js';

/** What follows a layer, which decides the gain of its weights. */
export type Gain = 'relu' | 'linear';

export interface BatchNormParams {
  scale: Float32Array;
  bias: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/** torch.nn.BatchNorm2d's default epsilon, which torch.onnx.export writes out. */
export const BN_EPSILON = 1e-5;

/**
 * A stream of seeded tensors. Each draw gets its own mulberry32 stream (a hash of the model seed
 * and the draw index), so the numbers depend only on (seed, position in the model).
 */
export class SeededWeights {
  private draws = 0;

  constructor(private readonly seed: number) {}

  /** Uniform in [lo, hi). */
  uniform(n: number, lo: number, hi: number): Float32Array {
    const stream = (Math.imul(this.seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(++this.draws, 0x85ebca6b)) >>> 0;
    return seededFloats(n, stream, lo, hi);
  }

  /** Kaiming-uniform weights of the given dims; fan_in = dims[1] · kernel area (OIHW or [out, in]). */
  kaiming(dims: number[], gain: Gain): Tensor {
    const fanIn = dims.slice(1).reduce((a, d) => a * d, 1);
    const bound = Math.sqrt((gain === 'relu' ? 6 : 3) / fanIn);
    const n = dims.reduce((a, d) => a * d, 1);
    return new Tensor('float32', this.uniform(n, -bound, bound), dims);
  }

  /** A small bias, as a trained layer has (zero biases would hide a dropped bias input). */
  bias(n: number): Tensor {
    return new Tensor('float32', this.uniform(n, -0.1, 0.1), [n]);
  }

  /**
   * BatchNorm parameters that look trained: every channel differs, scale/√var averages ~1 so the
   * scale of the activations survives, and mean/bias shift them a little.
   */
  batchNorm(channels: number): BatchNormParams {
    return {
      scale: this.uniform(channels, 0.7, 1.3),
      bias: this.uniform(channels, -0.1, 0.1),
      mean: this.uniform(channels, -0.1, 0.1),
      variance: this.uniform(channels, 0.7, 1.3),
    };
  }
}

/**
 * Conv + BatchNorm folded into one Conv, as torch.onnx.export does in eval mode:
 *   W'[o] = W[o] · s[o],  b'[o] = bias[o] − mean[o] · s[o],  s = scale / √(var + ε).
 */
export function foldBatchNormIntoConv(weight: Tensor, bn: BatchNormParams): { weight: Tensor; bias: Tensor } {
  const out = weight.dims[0];
  const per = weight.size / out;
  const w = weight.data as Float32Array;
  const folded = new Float32Array(w.length);
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const s = bn.scale[o] / Math.sqrt(bn.variance[o] + BN_EPSILON);
    for (let i = o * per; i < (o + 1) * per; i++) folded[i] = w[i] * s;
    bias[o] = bn.bias[o] - bn.mean[o] * s;
  }
  return { weight: new Tensor('float32', folded, [...weight.dims]), bias: new Tensor('float32', bias, [out]) };
}
