// Elementwise ReLU over 1M floats on the WASM unary kernel.
import type { BenchCase } from '../case.js';
import { unaryF32Ptr } from '../../kernels/unary.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';

export function reluCase(n: number): BenchCase {
  const input = seededFloats(n, 1);
  return {
    name: `relu f32 ${n >= 1 << 20 && n % (1 << 20) === 0 ? `${n >> 20}M` : n}`,
    edgerun(rt) {
      const x = rt.arena.alloc(n * 4, 'relu x');
      const y = rt.arena.alloc(n * 4, 'relu y');
      rt.arena.f32(x, n).set(input);
      return {
        run: () => unaryF32Ptr(rt, 'relu', undefined, x, y, n),
        output: () => rt.arena.f32(y, n).slice(),
        dispose: () => {
          rt.arena.free(y);
          rt.arena.free(x);
        },
      };
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'x', dims: [n] }],
        outputs: [{ name: 'y', dims: [n] }],
        nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      }),
      feeds: { x: { dims: [n], data: input } },
    }),
    tfjs: (tf) => {
      const x = tf.tensor1d(input);
      return { run: () => void tf.relu(x), dispose: () => x.dispose() };
    },
  };
}

export const cases: BenchCase[] = [reluCase(1 << 20)];
