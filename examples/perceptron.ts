// The classic perceptron: y = step(w·x + b), here the logical AND of two inputs.
import { GraphBuilder, InferenceSession, Tensor } from '../index.js';

export function perceptron() {
  const g = new GraphBuilder('perceptron');
  const x = g.input('x', 'float32', ['batch', 2]);
  const w = new Tensor('float32', [1, 1], [2, 1]);
  const b = new Tensor('float32', [-1.5], [1]);
  const sum = g.add(g.matmul(x, w), b);
  g.output(g.node('Heaviside', [sum], {}, { domain: 'ai.edgerun' })[0], 'y');
  return g.build();
}

export async function main() {
  const session = await InferenceSession.create(perceptron());
  const x = new Tensor('float32', [0, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
  const { y } = await session.run({ x });
  return Array.from(y.data as Float32Array); // [0, 0, 0, 1]
}
