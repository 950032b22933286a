// Depthwise convolution (MobileNet's 3x3, stride 1 and 2) and max pooling, NCHW float32,
// beside onnxruntime-web (Conv with group = channels, MaxPool) and tfjs-wasm (NHWC).
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';
import { depthwiseConv2dF32Ptr, freePackedDepthwiseF32, packDepthwiseF32 } from '../../kernels/dwconv.js';
import { maxPoolF32Ptr } from '../../kernels/pool.js';

const outSize = (size: number, k: number, s: number, pad: number) => Math.floor((size + 2 * pad - k) / s) + 1;

/** NCHW [1, C, H, W] -> NHWC, for tfjs. */
function toNHWC(x: Float32Array, C: number, H: number, W: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) out[i * C + c] = x[c * H * W + i];
  return out;
}

function depthwiseCase(name: string, C: number, H: number, k: number, stride: number, pad: number): BenchCase {
  const OH = outSize(H, k, stride, pad);
  const x = seededFloats(C * H * H, 1);
  const w = seededFloats(C * k * k, 2);
  const b = seededFloats(C, 3);
  const opts = { strides: [stride, stride], pads: [pad, pad, pad, pad] };
  return {
    name,
    flops: 2 * k * k * C * OH * OH,
    edgerun(rt) {
      const packed = packDepthwiseF32(rt, w, [C, 1, k, k], { bias: b });
      const inPtr = rt.arena.alloc(x.length * 4, 'depthwise input');
      const outPtr = rt.arena.alloc(C * OH * OH * 4, 'depthwise output');
      rt.arena.f32(inPtr, x.length).set(x);
      return {
        run: () => void depthwiseConv2dF32Ptr(rt, inPtr, [1, C, H, H], packed, outPtr, opts),
        output: () => rt.arena.f32(outPtr, C * OH * OH).slice(),
        dispose: () => {
          rt.arena.free(outPtr);
          rt.arena.free(inPtr);
          freePackedDepthwiseF32(rt, packed);
        },
      };
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'x', dims: [1, C, H, H] }],
        outputs: [{ name: 'y', dims: [1, C, OH, OH] }],
        initializers: [{ name: 'w', dims: [C, 1, k, k], data: w }, { name: 'b', dims: [C], data: b }],
        nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { group: C, kernel_shape: [k, k], ...opts } }],
      }),
      feeds: { x: { dims: [1, C, H, H], data: x } },
    }),
    tfjs: (tf) => {
      const xt = tf.tensor4d(toNHWC(x, C, H, H), [1, H, H, C]);
      // tfjs filter layout [kH, kW, C, multiplier]: tap (ky, kx) of channel c at (ky*k + kx)*C + c.
      const wt = new Float32Array(k * k * C);
      for (let c = 0; c < C; c++) for (let t = 0; t < k * k; t++) wt[t * C + c] = w[c * k * k + t];
      const ft = tf.tensor4d(wt, [k, k, C, 1]);
      const bt = tf.tensor1d(b);
      return {
        run: () => void tf.add(tf.depthwiseConv2d(xt, ft, stride, pad), bt),
        dispose: () => tf.dispose([xt, ft, bt]),
      };
    },
  };
}

function maxPoolCase(name: string, C: number, H: number, k: number, stride: number, pad: number): BenchCase {
  const OH = outSize(H, k, stride, pad);
  const x = seededFloats(C * H * H, 4);
  const opts = { kernel: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] };
  return {
    name,
    // One max per tap, counted like a FLOP so the GFLOP/s column means "taps per ns".
    flops: k * k * C * OH * OH,
    edgerun(rt) {
      const inPtr = rt.arena.alloc(x.length * 4, 'maxpool input');
      const outPtr = rt.arena.alloc(C * OH * OH * 4, 'maxpool output');
      rt.arena.f32(inPtr, x.length).set(x);
      return {
        run: () => void maxPoolF32Ptr(rt, inPtr, [1, C, H, H], outPtr, opts),
        output: () => rt.arena.f32(outPtr, C * OH * OH).slice(),
        dispose: () => {
          rt.arena.free(outPtr);
          rt.arena.free(inPtr);
        },
      };
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'x', dims: [1, C, H, H] }],
        outputs: [{ name: 'y', dims: [1, C, OH, OH] }],
        nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: opts.kernel, strides: opts.strides, pads: opts.pads } }],
      }),
      feeds: { x: { dims: [1, C, H, H], data: x } },
    }),
    tfjs: (tf) => {
      const xt = tf.tensor4d(toNHWC(x, C, H, H), [1, H, H, C]);
      return { run: () => void tf.maxPool(xt, k, stride, pad), dispose: () => xt.dispose() };
    },
  };
}

export const cases: BenchCase[] = [
  depthwiseCase('depthwise3x3 f32 1x32x112x112', 32, 112, 3, 1, 1),
  depthwiseCase('depthwise3x3s2 f32 1x96x112x112', 96, 112, 3, 2, 1),
  maxPoolCase('maxpool3x3s2 f32 1x64x112x112', 64, 112, 3, 2, 1),
];
