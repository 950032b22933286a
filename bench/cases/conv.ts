// 3x3 convolution, 64 → 64 channels on 56x56, pad 1 (a ResNet stage-1 layer): ONNX Conv;
// tfjs conv2d (NHWC there: the same op in its native layout).
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';
import { conv2dF32Ptr, conv2dPackedOutputDims, packConv2dF32 } from '../../kernels/conv.js';

export function conv3x3Case(C: number, H: number, W: number, M: number): BenchCase {
  const inputDims = [1, C, H, W];
  const weightDims = [M, C, 3, 3];
  const input = seededFloats(C * H * W, 21);
  const weight = seededFloats(M * C * 9, 22, -0.1, 0.1);
  const bias = seededFloats(M, 23);
  const outDims = [1, M, H, W];
  const outLen = M * H * W;
  return {
    name: `conv3x3 f32 1x${C}x${H}x${W}`,
    flops: 2 * M * H * W * C * 9,
    edgerun(rt) {
      const packed = packConv2dF32(rt, weight, weightDims, { bias, pads: [1, 1, 1, 1] });
      const dims = conv2dPackedOutputDims(inputDims, packed);
      const inPtr = rt.arena.alloc(input.length * 4, 'conv input');
      const outPtr = rt.arena.alloc(outLen * 4, 'conv output');
      rt.arena.f32(inPtr, input.length).set(input);
      if (dims.join() !== outDims.join()) throw new Error(`conv bench: unexpected output dims ${dims}`);
      return {
        run: () => conv2dF32Ptr(rt, inPtr, inputDims, packed, outPtr),
        output: () => rt.arena.f32(outPtr, outLen).slice(),
        dispose: () => {
          rt.arena.free(outPtr);
          rt.arena.free(inPtr);
          packed.free();
        },
      };
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'X', dims: inputDims }],
        outputs: [{ name: 'Y', dims: outDims }],
        initializers: [
          { name: 'W', dims: weightDims, data: weight },
          { name: 'B', dims: [M], data: bias },
        ],
        nodes: [{ op: 'Conv', inputs: ['X', 'W', 'B'], outputs: ['Y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
      }),
      feeds: { X: { dims: inputDims, data: input } },
    }),
    tfjs: (tf) => {
      // NHWC input and HWIO filter with the same numbers.
      const x = tf.transpose(tf.tensor4d(input, [1, C, H, W]), [0, 2, 3, 1]);
      const f = tf.transpose(tf.tensor4d(weight, [M, C, 3, 3]), [2, 3, 1, 0]);
      const b = tf.tensor1d(bias);
      return {
        run: () => tf.add(tf.conv2d(x as never, f as never, 1, 'same'), b).dispose(),
        dispose: () => {
          x.dispose();
          f.dispose();
          b.dispose();
        },
      };
    },
  };
}

export const cases: BenchCase[] = [conv3x3Case(64, 56, 56, 64)];
