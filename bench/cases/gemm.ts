// Square fp32 GEMM, C = A·B with B a constant (packed once, as a model's weights are):
// ONNX MatMul with B as an initializer; tfjs matMul.
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';
import { gemmF32Ptr, packGemmF32 } from '../../kernels/gemm.js';

export function gemmCase(n: number): BenchCase {
  const a = seededFloats(n * n, 11);
  const b = seededFloats(n * n, 12);
  return {
    name: `gemm f32 ${n}`,
    flops: 2 * n * n * n,
    // Sums of n products of numbers in [-1, 1], accumulated in a different order than MLAS.
    tolerance: { rtol: 1e-5, atol: 1e-6 * n },
    edgerun(rt) {
      const packed = packGemmF32(rt, b, n, n);
      const aPtr = rt.arena.alloc(n * n * 4, 'gemm A');
      const cPtr = rt.arena.alloc(n * n * 4, 'gemm C');
      rt.arena.f32(aPtr, n * n).set(a);
      return {
        run: () => gemmF32Ptr(rt, n, aPtr, n, packed, cPtr, n),
        output: () => rt.arena.f32(cPtr, n * n).slice(),
        dispose: () => {
          rt.arena.free(cPtr);
          rt.arena.free(aPtr);
          packed.free();
        },
      };
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'A', dims: [n, n] }],
        outputs: [{ name: 'C', dims: [n, n] }],
        initializers: [{ name: 'B', dims: [n, n], data: b }],
        nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
      }),
      feeds: { A: { dims: [n, n], data: a } },
    }),
    tfjs: (tf) => {
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      return {
        run: () => tf.matMul(ta, tb).dispose(),
        dispose: () => {
          ta.dispose();
          tb.dispose();
        },
      };
    },
  };
}

export const cases: BenchCase[] = [gemmCase(256), gemmCase(512), gemmCase(1024)];
