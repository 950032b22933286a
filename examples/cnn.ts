// A small CNN: conv 3×3 → BatchNorm → ReLU → max pool → conv → global average pool → dense.
import { GraphBuilder, InferenceSession, Tensor } from '../index.js';

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 104729) * 0.3);
const t = (dims: number[], seed: number) => new Tensor('float32', rand(dims.reduce((a, b) => a * b, 1), seed), dims);

export function cnn() {
  const g = new GraphBuilder('cnn');
  const x = g.input('image', 'float32', ['batch', 3, 32, 32]);
  let h = g.conv(x, t([16, 3, 3, 3], 1), t([16], 2), { pads: [1, 1, 1, 1] });
  h = g.relu(g.batchNorm(h, t([16], 3), t([16], 4), t([16], 5), new Tensor('float32', new Float32Array(16).fill(1), [16])));
  h = g.maxPool(h, [2, 2], { strides: [2, 2] });
  h = g.relu(g.conv(h, t([32, 16, 3, 3], 6), t([32], 7), { pads: [1, 1, 1, 1], strides: [2, 2] }));
  h = g.flatten(g.globalAveragePool(h));
  g.output(g.gemm(h, t([10, 32], 8), t([10], 9), { transB: 1 }), 'logits');
  return g.build();
}

export async function main() {
  const session = await InferenceSession.create(cnn()); // BatchNorm folds into the conv, ReLUs fuse
  const { logits } = await session.run({ image: new Tensor('float32', new Float32Array(3 * 32 * 32).fill(1), [1, 3, 32, 32]) });
  return logits.dims; // [1, 10]
}
