// LSTM benchmark: one forward LSTM layer at batch 1, the shape of a small speech or keyword
// model (T=32 steps, 128 inputs, 256 hidden units), beside onnxruntime-web's LSTM operator.
import type { BenchCase, FloatFeed } from '../case.js';
import { buildOnnxModel } from '../onnx-model.js';
import { lstmF32Ptr, packLstmF32 } from '../../kernels/lstm.js';
import type { Runtime } from '../../kernels/runtime.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function uniform(n: number, scale: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * scale;
  return out;
}

function lstmCase(T: number, B: number, I: number, H: number): BenchCase {
  const rand = lcg(T * 7 + I * 13 + H);
  const W = uniform(4 * H * I, 1 / Math.sqrt(I), rand);
  const R = uniform(4 * H * H, 1 / Math.sqrt(H), rand);
  const bias = uniform(8 * H, 0.1, rand);
  const X = uniform(T * B * I, 1, rand);
  return {
    name: `lstm f32 T${T} b${B} i${I} h${H}`,
    // Input projection plus recurrent product; the gate math is O(T·H) and not counted.
    flops: 2 * T * B * 4 * H * (I + H),
    edgerun(rt: Runtime) {
      const packed = packLstmF32(rt, { W: { data: W, dims: [1, 4 * H, I] }, R, B: bias, hiddenSize: H });
      const arena = rt.arena;
      const xPtr = arena.alloc(X.length * 4, 'bench X');
      arena.f32(xPtr, X.length).set(X);
      const yPtr = arena.alloc(T * B * H * 4, 'bench Y');
      const yhPtr = arena.alloc(B * H * 4, 'bench Y_h');
      const ycPtr = arena.alloc(B * H * 4, 'bench Y_c');
      const args = { xPtr, xDims: [T, B, I], yPtr, yhPtr, ycPtr };
      return {
        run: () => lstmF32Ptr(rt, packed, args),
        dispose: () => {
          for (const p of [ycPtr, yhPtr, yPtr, xPtr]) arena.free(p);
          packed.free();
        },
      };
    },
    onnx() {
      const model = buildOnnxModel({
        inputs: [{ name: 'X', dims: [T, B, I] }],
        outputs: [
          { name: 'Y', dims: [T, 1, B, H] },
          { name: 'Y_h', dims: [1, B, H] },
          { name: 'Y_c', dims: [1, B, H] },
        ],
        initializers: [
          { name: 'W', dims: [1, 4 * H, I], data: W },
          { name: 'R', dims: [1, 4 * H, H], data: R },
          { name: 'B', dims: [1, 8 * H], data: bias },
        ],
        nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R', 'B'], outputs: ['Y', 'Y_h', 'Y_c'], attrs: { hidden_size: H } }],
      });
      const feeds: Record<string, FloatFeed> = { X: { dims: [T, B, I], data: X } };
      return { model, feeds };
    },
  };
}

export const cases: BenchCase[] = [lstmCase(32, 1, 128, 256), lstmCase(32, 4, 128, 256)];
