// An LSTM over a sequence, classifying from the last hidden state.
import { GraphBuilder, InferenceSession, Tensor } from '../index.js';

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(seed * 31 + i * 17.3) * 0.1);

export function lstmClassifier(input = 8, hidden = 16, classes = 4) {
  const g = new GraphBuilder('lstm');
  const x = g.input('sequence', 'float32', ['time', 'batch', input]);
  const W = new Tensor('float32', rand(4 * hidden * input, 1), [1, 4 * hidden, input]); // gates i, o, f, c
  const R = new Tensor('float32', rand(4 * hidden * hidden, 2), [1, 4 * hidden, hidden]);
  const B = new Tensor('float32', rand(8 * hidden, 3), [1, 8 * hidden]);
  const [, lastH] = g.lstm(x, W, R, B, hidden);
  const h = g.op('Squeeze', [lastH, new Tensor('int64', [0n], [1])]); // [batch, hidden]
  g.output(g.gemm(h, new Tensor('float32', rand(classes * hidden, 4), [classes, hidden]), undefined, { transB: 1 }), 'scores');
  return g.build();
}

export async function main() {
  const session = await InferenceSession.create(lstmClassifier());
  const { scores } = await session.run({ sequence: new Tensor('float32', new Float32Array(5 * 2 * 8).fill(0.1), [5, 2, 8]) });
  return scores.dims; // [2, 4]
}
