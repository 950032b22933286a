// int8 kernels beside onnxruntime-web's integer ops, and the fp32 kernels they replace:
//  - `gemm int8 1024`: MatMulInteger (uint8 activations × int8 weights, int32 out) on the same data.
//  - `conv1x1 int8 …` / `dwconv3x3 int8 …`: QLinearConv (uint8 in/out, int8 per-channel weights),
//    MobileNetV2-like shapes; `… f32 …`: the fp32 equivalent (ORT Conv; edgerun's fp32 GEMM
//    for the 1×1 case, as an NHWC product of the same size), to read the int8 speed-up.
// The harness feeds float32 only, so the ORT models start with a Cast / QuantizeLinear of the
// float input (the same integers); its cost is measured alone in `cast f32 to uint8 …`.
import type { BenchCase } from '../case.js';
import { buildInt8OnnxModel, type Int8ModelSpec } from '../onnx-int8.js';
import { seededFloats } from '../data.js';
import { packMatMulInteger, matMulIntegerPtr } from '../../kernels/int8/gemm.js';
import { packQConv, qconvPtr } from '../../kernels/int8/conv.js';
import { packQDepthwise, qdepthwisePtr } from '../../kernels/int8/dwconv.js';
import { packGemmF32, gemmF32Ptr } from '../../kernels/gemm.js';

function ints(n: number, seed: number, lo: number, hi: number): Float32Array {
  return seededFloats(n, seed, 0, 1).map((v) => lo + Math.floor(v * (hi - lo + 1)));
}

function onnxOf(spec: Int8ModelSpec, feeds: Record<string, { dims: number[]; data: Float32Array }>) {
  return () => ({ model: buildInt8OnnxModel(spec), feeds });
}

function gemmInt8Case(n: number): BenchCase {
  const M = n, K = n, N = n;
  const aF = ints(M * K, 1, 0, 255);
  const b = Int8Array.from(ints(K * N, 2, -127, 127));
  const a = Uint8Array.from(aF);
  const za = 128;
  return {
    name: `gemm int8 ${n}`,
    flops: 2 * M * K * N,
    tolerance: { rtol: 0, atol: 0 },
    edgerun(rt) {
      const packed = packMatMulInteger(rt, b, K, N);
      const aPtr = rt.arena.alloc(M * K, 'A');
      const cPtr = rt.arena.alloc(M * N * 4, 'C');
      rt.arena.u8(aPtr, M * K).set(a);
      return {
        run: () => matMulIntegerPtr(rt, M, aPtr, K, za, 'uint8', packed, cPtr, N),
        output: () => Float32Array.from(rt.arena.i32(cPtr, M * N)),
        dispose: () => { rt.arena.free(cPtr); rt.arena.free(aPtr); packed.free(); },
      };
    },
    onnx: onnxOf({
      inputs: [{ name: 'x', dims: [M, K], type: 'float32' }],
      outputs: [{ name: 'y', dims: [M, N], type: 'int32' }],
      initializers: [
        { name: 'b', dims: [K, N], type: 'int8', data: b },
        { name: 'azp', dims: [], type: 'uint8', data: new Uint8Array([za]) },
        { name: 'bzp', dims: [], type: 'int8', data: new Int8Array([0]) },
      ],
      nodes: [
        { op: 'Cast', inputs: ['x'], outputs: ['xq'], attrs: { to: 2 /* UINT8 */ } },
        { op: 'MatMulInteger', inputs: ['xq', 'b', 'azp', 'bzp'], outputs: ['y'] },
      ],
    }, { x: { dims: [M, K], data: aF } }),
  };
}

function castCase(n: number): BenchCase {
  const xF = ints(n, 1, 0, 255);
  return {
    name: `cast f32 to uint8 ${n}`,
    edgerun() {
      const out = new Uint8Array(n);
      return { run: () => out.set(xF) };
    },
    onnx: onnxOf({
      inputs: [{ name: 'x', dims: [n], type: 'float32' }],
      outputs: [{ name: 'y', dims: [n], type: 'uint8' }],
      nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 2 } }],
    }, { x: { dims: [n], data: xF } }),
  };
}

interface ConvShape { C: number; Cout: number; H: number; W: number; k: number; stride: number; depthwise: boolean }

const X_SCALE = 0.05, X_ZP = 128, Y_SCALE = 0.2, Y_ZP = 120;

function qconvCase(s: ConvShape): BenchCase {
  const { C, Cout, H, W, k, stride, depthwise } = s;
  const pad = (k - 1) >> 1;
  const OH = Math.floor((H + 2 * pad - k) / stride) + 1, OW = Math.floor((W + 2 * pad - k) / stride) + 1;
  const cinG = depthwise ? 1 : C;
  const wq = Int8Array.from(ints(Cout * cinG * k * k, 3, -127, 127));
  const wScales = Float32Array.from(seededFloats(Cout, 4, 0.002, 0.01));
  const bias = Int32Array.from(ints(Cout, 5, -2000, 2000));
  const xq = ints(C * H * W, 6, 0, 255);
  const xF = xq.map((v) => (v - X_ZP) * X_SCALE);
  const kind = depthwise ? `dwconv${k}x${k}` : `conv${k}x${k}`;
  const window = { kernel: [k, k] as [number, number], strides: [stride, stride] as [number, number], pads: [pad, pad, pad, pad] as [number, number, number, number] };
  const quant = {
    bias, weightScales: wScales, inputScale: X_SCALE, inputZeroPoint: X_ZP, inputDType: 'uint8' as const,
    outputScale: Y_SCALE, outputZeroPoint: Y_ZP, outputDType: 'uint8' as const,
  };
  return {
    name: `${kind} int8 1x${C}x${H}x${W}${depthwise ? '' : ` to ${Cout}`}${stride > 1 ? ` s${stride}` : ''}`,
    flops: 2 * Cout * OH * OW * cinG * k * k,
    // TFLite's double rounding vs onnxruntime's float requantization: 1 LSB apart at most.
    tolerance: { rtol: 0, atol: 1 },
    edgerun(rt) {
      const packed = depthwise
        ? packQDepthwise(rt, wq, { channels: C, ...window, ...quant })
        : packQConv(rt, wq, { inChannels: C, outChannels: Cout, ...window, ...quant });
      const xPtr = rt.arena.alloc(C * H * W, 'x');
      const yPtr = rt.arena.alloc(Cout * OH * OW, 'y');
      rt.arena.u8(xPtr, C * H * W).set(xq);
      return {
        run: depthwise
          ? () => qdepthwisePtr(rt, 1, H, W, xPtr, packed as ReturnType<typeof packQDepthwise>, yPtr)
          : () => qconvPtr(rt, 1, H, W, xPtr, packed as ReturnType<typeof packQConv>, yPtr),
        output: () => Float32Array.from(rt.arena.u8(yPtr, Cout * OH * OW)),
        dispose: () => { rt.arena.free(yPtr); rt.arena.free(xPtr); packed.free(); },
      };
    },
    onnx: onnxOf({
      inputs: [{ name: 'x', dims: [1, C, H, W], type: 'float32' }],
      outputs: [{ name: 'y', dims: [1, Cout, OH, OW], type: 'uint8' }],
      initializers: [
        { name: 'xs', dims: [], type: 'float32', data: new Float32Array([X_SCALE]) },
        { name: 'xz', dims: [], type: 'uint8', data: new Uint8Array([X_ZP]) },
        { name: 'w', dims: [Cout, cinG, k, k], type: 'int8', data: wq },
        { name: 'ws', dims: [Cout], type: 'float32', data: wScales },
        { name: 'wz', dims: [Cout], type: 'int8', data: new Int8Array(Cout) },
        { name: 'ys', dims: [], type: 'float32', data: new Float32Array([Y_SCALE]) },
        { name: 'yz', dims: [], type: 'uint8', data: new Uint8Array([Y_ZP]) },
        { name: 'b', dims: [Cout], type: 'int32', data: bias },
      ],
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
        {
          op: 'QLinearConv', inputs: ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['y'],
          attrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: depthwise ? C : 1 },
        },
      ],
    }, { x: { dims: [1, C, H, W], data: xF } }),
  };
}

/**
 * The fp32 twin of a 1×1 conv case: ORT Conv, and edgerun's fp32 GEMM as the NHWC product of the
 * same size (this branch has no fp32 conv kernel). No fp32 depthwise twin here: read ORT's int8
 * depthwise case beside ORT's fp32 depthwise in the report instead.
 */
function f32ConvCase(s: ConvShape): BenchCase {
  const { C, Cout, H, W, k, stride, depthwise } = s;
  const pad = (k - 1) >> 1;
  const OH = Math.floor((H + 2 * pad - k) / stride) + 1, OW = Math.floor((W + 2 * pad - k) / stride) + 1;
  const cinG = depthwise ? 1 : C;
  const w = seededFloats(Cout * cinG * k * k, 7);
  const x = seededFloats(C * H * W, 8);
  const bias = seededFloats(Cout, 9);
  const kind = depthwise ? `dwconv${k}x${k}` : `conv${k}x${k}`;
  const c: BenchCase = {
    name: `${kind} f32 1x${C}x${H}x${W} to ${Cout} (edgerun: NHWC gemm)`,
    flops: 2 * Cout * OH * OW * cinG * k * k,
    edgerun(rt) {
      if (depthwise || k !== 1 || stride !== 1) throw new Error('the fp32 twin covers 1×1 stride-1 convolutions only');
      // Weights [Cout][C] = B^T of an (HW × C)·(C × Cout) product.
      const packed = packGemmF32(rt, w, C, Cout, { bias, transB: true });
      const aPtr = rt.arena.alloc(H * W * C * 4, 'x');
      const cPtr = rt.arena.alloc(H * W * Cout * 4, 'y');
      rt.arena.f32(aPtr, H * W * C).set(x);
      return {
        run: () => gemmF32Ptr(rt, H * W, aPtr, C, packed, cPtr, Cout),
        dispose: () => { rt.arena.free(cPtr); rt.arena.free(aPtr); packed.free(); },
      };
    },
    onnx: onnxOf({
      inputs: [{ name: 'x', dims: [1, C, H, W], type: 'float32' }],
      outputs: [{ name: 'y', dims: [1, Cout, OH, OW], type: 'float32' }],
      initializers: [
        { name: 'w', dims: [Cout, cinG, k, k], type: 'float32', data: w },
        { name: 'b', dims: [Cout], type: 'float32', data: bias },
      ],
      nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group: depthwise ? C : 1 } }],
    }, { x: { dims: [1, C, H, W], data: x } }),
  };
  return c;
}

const SHAPES: ConvShape[] = [
  { C: 96, Cout: 24, H: 56, W: 56, k: 1, stride: 1, depthwise: false },
  { C: 24, Cout: 144, H: 56, W: 56, k: 1, stride: 1, depthwise: false },
  { C: 144, Cout: 144, H: 56, W: 56, k: 3, stride: 1, depthwise: true },
  { C: 144, Cout: 144, H: 56, W: 56, k: 3, stride: 2, depthwise: true },
];

export const cases: BenchCase[] = [
  gemmInt8Case(1024),
  castCase(1 << 20),
  ...SHAPES.flatMap((s) => (s.depthwise ? [qconvCase(s)] : [qconvCase(s), f32ConvCase(s)])),
];
