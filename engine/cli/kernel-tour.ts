// Runs each kernel family once on a runtime and compares it with the reference runtime: the
// demo's proof that both WASM builds load and compute.
import type { Runtime } from '../../kernels/runtime.js';
import { createRuntimeSync } from '../../kernels/runtime.js';
import { gemmF32, packGemmF32 } from '../../kernels/gemm.js';
import { conv2dF32, packConv2dF32 } from '../../kernels/conv.js';
import { depthwiseConv2dF32, packDepthwiseF32, freePackedDepthwiseF32 } from '../../kernels/dwconv.js';
import { averagePoolF32, maxPoolF32 } from '../../kernels/pool.js';
import { lstmF32, packLstmF32 } from '../../kernels/lstm.js';
import { gruF32, packGruF32 } from '../../kernels/gru.js';
import { rnnF32, packRnnF32 } from '../../kernels/rnn.js';
import { binaryF32 } from '../../kernels/eltwise.js';
import { unaryF32 } from '../../kernels/unary.js';
import { softmaxF32 } from '../../kernels/softmax.js';

function data(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

type Kernel = [string, (rt: Runtime) => Float32Array];

const KERNELS: Kernel[] = [
  ['gemm 64x96x80 + relu', (rt) => gemmF32(rt, data(64 * 96, 1), 64, packGemmF32(rt, data(96 * 80, 2), 96, 80, { bias: data(80, 3) }), { act: { kind: 'relu' } })],
  ['conv3x3 1x16x20x20 -> 24', (rt) => conv2dF32(rt, data(16 * 400, 4), [1, 16, 20, 20], packConv2dF32(rt, data(24 * 16 * 9, 5), [24, 16, 3, 3], { pads: [1, 1, 1, 1] })).data],
  ['depthwise3x3 s2 1x32x21x21', (rt) => {
    const p = packDepthwiseF32(rt, data(32 * 9, 6), [32, 1, 3, 3]);
    const r = depthwiseConv2dF32(rt, data(32 * 441, 7), [1, 32, 21, 21], p, { strides: [2, 2], pads: [1, 1, 1, 1], activation: { kind: 'clip', min: 0, max: 6 } }).data;
    freePackedDepthwiseF32(rt, p);
    return r;
  }],
  ['maxpool3x3 s2', (rt) => maxPoolF32(rt, data(8 * 225, 8), [1, 8, 15, 15], { kernel: [3, 3], strides: [2, 2] }).data],
  ['avgpool2x2', (rt) => averagePoolF32(rt, data(8 * 225, 9), [1, 8, 15, 15], { kernel: [2, 2], strides: [2, 2] }).data],
  ['lstm T5 b2 i7 h9', (rt) => lstmF32(rt, packLstmF32(rt, { W: data(36 * 7, 10), R: data(36 * 9, 11), B: data(72, 12), hiddenSize: 9 }), { X: data(70, 13), xDims: [5, 2, 7] }).Y],
  ['gru T5 b2 i7 h9', (rt) => gruF32(rt, packGruF32(rt, { W: data(27 * 7, 14), R: data(27 * 9, 15), hiddenSize: 9 }), { X: data(70, 16), xDims: [5, 2, 7] }).Y],
  ['rnn T5 b2 i7 h9', (rt) => rnnF32(rt, packRnnF32(rt, { W: data(9 * 7, 17), R: data(81, 18), hiddenSize: 9 }), { X: data(70, 19), xDims: [5, 2, 7] }).Y],
  ['add broadcast [2,3,5]+[3,1]', (rt) => binaryF32(rt, 'add', data(30, 20), [2, 3, 5], data(3, 21), [3, 1]).data],
  ['sigmoid', (rt) => unaryF32(rt, 'sigmoid', data(37, 22))],
  ['heaviside step', (rt) => unaryF32(rt, 'step', data(37, 23))],
  ['softmax [4,10]', (rt) => softmaxF32(rt, 'softmax', data(40, 24), [4, 10])],
];

export function runKernelTour(rt: Runtime): void {
  const ref = createRuntimeSync('reference');
  console.log(`[${rt.build}] each kernel once, compared with the TypeScript reference:`);
  for (const [name, run] of KERNELS) {
    const t0 = performance.now();
    const got = run(rt);
    const ms = performance.now() - t0;
    const want = run(ref);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-6 + Math.abs(want[i])));
    console.log(`  ${name.padEnd(30)} ${String(got.length).padStart(5)} values  max rel. diff ${worst.toExponential(1)}  ${ms.toFixed(2)} ms (first call, baseline tier)`);
  }
}
