// A multi-layer perceptron for 8×8 digits: 64 → 32 → ReLU → 10 → softmax.
import { GraphBuilder, InferenceSession, Tensor } from '../index.js';

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 9301 + i * 49297) * 0.2);

export function mlp() {
  const g = new GraphBuilder('mlp');
  const x = g.input('input', 'float32', ['batch', 1, 8, 8]);
  let h = g.flatten(x);
  h = g.relu(g.gemm(h, new Tensor('float32', rand(32 * 64, 1), [32, 64]), new Tensor('float32', rand(32, 2), [32]), { transB: 1 }));
  const logits = g.gemm(h, new Tensor('float32', rand(10 * 32, 3), [10, 32]), new Tensor('float32', rand(10, 4), [10]), { transB: 1 });
  g.output(g.softmax(logits), 'probs');
  return g.build();
}

export async function main() {
  const session = await InferenceSession.create(mlp());
  const { probs } = await session.run({ input: new Tensor('float32', new Float32Array(2 * 64).fill(0.5), [2, 1, 8, 8]) });
  return probs.dims; // [2, 10]
}
