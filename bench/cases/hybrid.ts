// Dynamic (hybrid) int8 GEMM against edgerun's own fp32 GEMM on the dequantized weights
// ('edgerun-dense', the ratio column) and onnxruntime-web running the standard ONNX spelling of
// dynamic quantization: DynamicQuantizeLinear -> MatMulInteger (uint8 x int8) -> Cast -> Mul by
// (x_scale * w_scale[N]) -> Add bias, which ORT's optimizer may fuse (DynamicQuantizeMatMul /
// MatMulIntegerToFloat). ORT quantizes A per tensor, edgerun per row, so the outputs agree only
// to the quantization noise: the tolerance is loose on purpose.
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { encodeModelProto, onnx } from '../../engine/onnx/proto.js';
import { gemmF32Ptr, packGemmF32 } from '../../kernels/gemm.js';
import { hybridGemmPtr, packHybridGemm, quantizeWeightsPerChannel } from '../../kernels/hybrid-gemm.js';
import type { Runtime } from '../../kernels/runtime.js';

const { DataType } = onnx.TensorProto;

function bytesOf(x: Float32Array | Int8Array): Uint8Array {
  return new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
}

function dynamicQuantMatMulModel(M: number, K: number, N: number, w: Int8Array, scales: Float32Array, bias: Float32Array): Uint8Array {
  const tensor = (name: string, dims: number[], dataType: number, data: Float32Array | Int8Array) => ({ name, dims, dataType, rawData: bytesOf(data) });
  const value = (name: string, dims: number[]) => ({
    name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return encodeModelProto({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'dynamic_quant_matmul',
      input: [value('x', [M, K])],
      output: [value('y', [M, N])],
      initializer: [
        tensor('w', [K, N], DataType.INT8, w),
        tensor('w_scale', [N], DataType.FLOAT, scales),
        tensor('bias', [N], DataType.FLOAT, bias),
      ],
      node: [
        { opType: 'DynamicQuantizeLinear', input: ['x'], output: ['xq', 'x_scale', 'x_zero'] },
        { opType: 'MatMulInteger', input: ['xq', 'w', 'x_zero'], output: ['acc'] },
        { opType: 'Cast', input: ['acc'], output: ['accf'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }] },
        { opType: 'Mul', input: ['x_scale', 'w_scale'], output: ['scale'] },
        { opType: 'Mul', input: ['accf', 'scale'], output: ['prod'] },
        { opType: 'Add', input: ['prod', 'bias'], output: ['y'] },
      ],
    },
  });
}

function hybridCase(M: number, K: number, N: number): BenchCase {
  const a = seededFloats(M * K, 1);
  const { w, scales } = quantizeWeightsPerChannel(seededFloats(K * N, 2, -0.1, 0.1), K, N);
  const dequantized = Float32Array.from(w, (q, i) => q * scales[i % N]);
  const bias = seededFloats(N, 3, -0.5, 0.5);

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
    name: `gemm dynamic-int8 ${M}x${K}x${N}`,
    flops: 2 * M * K * N,
    edgerun(rt) {
      const packed = packHybridGemm(rt, w, scales, K, N, { bias });
      return withBuffers(rt, (aPtr, cPtr) => hybridGemmPtr(rt, M, aPtr, K, packed, cPtr, N), () => packed.free());
    },
    edgerunPeers: {
      'edgerun-dense': (rt) => {
        const packed = packGemmF32(rt, dequantized, K, N, { bias });
        return withBuffers(rt, (aPtr, cPtr) => gemmF32Ptr(rt, M, aPtr, K, packed, cPtr, N), () => packed.free());
      },
    },
    onnx: () => ({ model: dynamicQuantMatMulModel(M, K, N, w, scales, bias), feeds: { x: { dims: [M, K], data: a } } }),
    // Per-row (edgerun) vs per-tensor (ORT) activation quantization: both within ~1% of the float result.
    tolerance: { rtol: 1e-2, atol: 1e-3 },
  };
}

export const cases: BenchCase[] = [1, 16, 256, 1024].map((M) => hybridCase(M, 1024, 1024));
