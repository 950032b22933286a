// A dense autoencoder: 64 → 16 → 4 (code) → 16 → 64, sigmoid output.
import { GraphBuilder, InferenceSession, Tensor, type Value } from '../index.js';

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 131 + i * 0.7) * 0.25);

export function autoencoder() {
  const g = new GraphBuilder('autoencoder');
  const dense = (x: Value, from: number, to: number, seed: number) =>
    g.gemm(x, new Tensor('float32', rand(to * from, seed), [to, from]), new Tensor('float32', rand(to, seed + 1), [to]), { transB: 1 });
  const x = g.input('pixels', 'float32', ['batch', 64]);
  const code = dense(g.relu(dense(x, 64, 16, 1)), 16, 4, 3);
  const y = g.sigmoid(dense(g.relu(dense(code, 4, 16, 5)), 16, 64, 7));
  g.output(code, 'code');
  g.output(y, 'reconstruction');
  return g.build();
}

export async function main() {
  const session = await InferenceSession.create(autoencoder());
  const out = await session.run({ pixels: new Tensor('float32', new Float32Array(3 * 64).fill(0.5), [3, 64]) });
  return [out.code.dims, out.reconstruction.dims]; // [[3, 4], [3, 64]]
}
