// GEMM with fp16 weights (half the weight memory) against edgerun's own fp32 GEMM on the same
// f16-rounded weights ('edgerun-dense', the ratio column) and onnxruntime-web. ORT-web's CPU EP
// has no float16 MatMul, so its run is the fp32 model on the f16-rounded weights: the same numbers.
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildOnnxModel } from '../onnx-model.js';
import { gemmF16Ptr, packGemmF16 } from '../../kernels/f16-gemm.js';
import { gemmF32Ptr, packGemmF32 } from '../../kernels/gemm.js';
import { widenHalves } from '../../kernels/reference/f16-gemm.js';
import { floatBitsToHalf } from '../../kernels/reference/f16.js';
import type { Runtime } from '../../kernels/runtime.js';

function f16GemmCase(M: number, K: number, N: number): BenchCase {
  const a = seededFloats(M * K, 1);
  const halves = Uint16Array.from(new Uint32Array(seededFloats(K * N, 2, -0.1, 0.1).buffer), floatBitsToHalf);
  const w = widenHalves(halves);
  const bias = seededFloats(N, 3, -0.5, 0.5);

  /** A and C in the arena around `run(aPtr, cPtr)`. */
  const withBuffers = (rt: Runtime, run: (aPtr: number, cPtr: number) => void, free: () => void) => {
    const aPtr = rt.arena.alloc(M * K * 4, 'bench A');
    const cPtr = rt.arena.alloc(M * N * 4, 'bench C');
    rt.arena.f32(aPtr, M * K).set(a);
    return {
      run: () => run(aPtr, cPtr),
      output: () => rt.arena.f32(cPtr, M * N).slice(),
      dispose: () => {
        rt.arena.free(cPtr);
        rt.arena.free(aPtr);
        free();
      },
    };
  };

  return {
    name: `gemm f16-weights ${M}x${K}x${N}`,
    flops: 2 * M * K * N,
    edgerun(rt) {
      const packed = packGemmF16(rt, halves, K, N, { bias });
      return withBuffers(rt, (aPtr, cPtr) => gemmF16Ptr(rt, M, aPtr, K, packed, cPtr, N), () => packed.free());
    },
    edgerunPeers: {
      'edgerun-dense': (rt) => {
        const packed = packGemmF32(rt, w, K, N, { bias });
        return withBuffers(rt, (aPtr, cPtr) => gemmF32Ptr(rt, M, aPtr, K, packed, cPtr, N), () => packed.free());
      },
    },
    onnx: () => ({
      model: buildOnnxModel({
        inputs: [{ name: 'a', dims: [M, K] }],
        outputs: [{ name: 'y', dims: [M, N] }],
        initializers: [
          { name: 'w', dims: [K, N], data: w },
          { name: 'bias', dims: [N], data: bias },
        ],
        nodes: [{ op: 'Gemm', inputs: ['a', 'w', 'bias'], outputs: ['y'] }],
      }),
      feeds: { a: { dims: [M, K], data: a } },
    }),
  };
}

export const cases: BenchCase[] = [1, 16, 256, 1024].map((M) => f16GemmCase(M, 1024, 1024));
