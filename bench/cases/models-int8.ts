// Quantized MobileNetV2 end to end: bench/models' MobileNetV2 (seeded weights, batch 1,
// 3×224×224) quantized by edgerun's own quantizer (int8 QDQ, per-channel weights, percentile
// calibration on CALIBRATION_IMAGES seeded random images). edgerun runs the quantized Graph
// (fuse-qdq turns it into integer kernels); onnxruntime-web runs saveModel() of the SAME graph,
// the standard QDQ file. Two rows, because the harness lists edgerun peers before
// onnxruntime-web and the first peer decides `ratio`:
//   `model mobilenet_v2 int8`           peer onnxruntime-web (the same QDQ file): ratio vs ORT,
//                                       output checked against ORT's within OUTPUT_LSBS
//   `model mobilenet_v2 int8 vs f32`    peer edgerun-f32 (edgerun's float32 MobileNetV2 on the
//                                       same build, same input): ratio = the int8 speed-up
// Then the digits models, int8 against their float originals on the 360-image test split
// (see digitsCases below).
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildMobileNetV2, type BenchModel } from '../models/index.js';
import { InferenceSession } from '../../engine/session.js';
import { saveModel } from '../../engine/onnx/export.js';
import { Tensor } from '../../engine/tensor.js';
import type { Graph } from '../../engine/graph/ir.js';
import { quantizeWithReport } from '../../engine/compress/quantize.js';
import { loadModel } from '../../engine/onnx/import.js';
import { tensorFromBytes } from '../../engine/onnx/tensor-proto.js';
import { readFileSync } from 'node:fs';
import '../../engine/ops/all.js';
import '../../engine/backends/cpu/ops/all.js';

/** Seed of the input image, as bench/cases/models.ts (uniform in [-1, 1)). */
const INPUT_SEED = 1;
/** Calibration: this many seeded random images (seeds 100, 101, …), disjoint from the input's seed. */
export const CALIBRATION_IMAGES = 4;
/**
 * edgerun requantizes the TFLite way (fixed-point multiplier, ties away from zero), onnxruntime
 * in float (ties to even) with its own fusions: each of MobileNetV2's 50-odd layers may round a
 * value 1 LSB apart, and those differences propagate. Measured on this input: 4 LSB of the
 * logits' quantization scale (and 3 LSB for edgerun running the unfused QDQ graph in float), so
 * OUTPUT_LSBS = 6 leaves a margin and still catches a wrong layer (tens of LSB).
 * The digits models (3 to 5 layers) agree within 1 LSB; DIGITS_LSBS = 2.
 */
export const OUTPUT_LSBS = 6;
export const DIGITS_LSBS = 2;

export interface QuantizedModel {
  float: BenchModel;
  int8: Graph;
  /** Scale of the quantized logits (one LSB of the output). */
  outputScale: number;
}

function inputOf(model: BenchModel): { dims: number[]; data: Float32Array } {
  const dims = model.inputShape;
  return { dims, data: seededFloats(dims.reduce((a, d) => a * d, 1), INPUT_SEED) };
}

export async function quantizeMobileNetV2(): Promise<QuantizedModel> {
  const float = buildMobileNetV2();
  const { dims } = inputOf(float);
  const size = dims.reduce((a, d) => a * d, 1);
  const calibration = Array.from({ length: CALIBRATION_IMAGES }, (_, i) => ({ [float.graph.inputs[0].name]: new Tensor('float32', seededFloats(size, 100 + i), dims) }));
  const { graph, report } = await quantizeWithReport(float.graph, { mode: 'int8', calibration, progressBar: false });
  const logits = float.graph.outputs[0].name;
  const rec = report.activations.find((a) => a.tensor === logits);
  if (!rec) throw new Error(`quantized MobileNetV2: no parameters for the output '${logits}'`);
  return { float, int8: graph, outputScale: rec.scale };
}

/** edgerun on `graph`, float in and out. */
function sessionRun(graph: Graph, model: BenchModel, rt: Parameters<BenchCase['edgerun']>[0]) {
  const session = InferenceSession.createSync(graph, { runtime: rt });
  const { dims, data } = inputOf(model);
  const feeds = { [graph.inputs[0].name]: new Tensor('float32', data, dims) };
  const out = graph.outputs[0].name;
  let last: Record<string, Tensor> | null = null;
  return {
    run: () => {
      last = session.runSync(feeds);
    },
    output: () => {
      if (!last) throw new Error('output() before run()');
      return Float32Array.from(last[out].data as Float32Array);
    },
    dispose: () => void session.release(),
  };
}

function mobileNetV2Int8Cases(q: QuantizedModel): BenchCase[] {
  const name = 'model mobilenet_v2 int8';
  return [
    {
      name,
      flops: 2 * q.float.macs,
      tolerance: { rtol: 0, atol: OUTPUT_LSBS * q.outputScale * 1.0001 },
      edgerun: (rt) => sessionRun(q.int8, q.float, rt),
      onnx: () => ({ model: saveModel(q.int8), feeds: { [q.int8.inputs[0].name]: inputOf(q.float) } }),
    },
    {
      name: `${name} vs f32`,
      flops: 2 * q.float.macs,
      edgerun: (rt) => sessionRun(q.int8, q.float, rt),
      edgerunPeers: { 'edgerun-f32': (rt) => sessionRun(q.float.graph, q.float, rt) },
    },
  ];
}

// ---- The digits models (test/fixtures/digits): the 360-image test split as one batch ----

const DIGITS = ['digits_lenet', 'digits_dscnn', 'digits_mlp'] as const;
const digitsFile = (f: string) => new URL(`../../test/fixtures/digits/${f}`, import.meta.url);
const digitsTensor = (f: string) => tensorFromBytes(new Uint8Array(readFileSync(digitsFile(f))), f);

/**
 * `model <digits model> int8 vs f32`: the model quantized (int8 QDQ, calibrated on the 256
 * training images of digits_calib_x.pb) against its float32 original, both on edgerun and the
 * same build (ratio = the int8 speed-up); onnxruntime-web runs the QDQ file beside them and the
 * logits are checked against its within DIGITS_LSBS.
 */
async function digitsCases(): Promise<BenchCase[]> {
  const x = digitsTensor('digits_test_x.pb');
  const calibration = digitsTensor('digits_calib_x.pb');
  const out: BenchCase[] = [];
  for (const name of DIGITS) {
    const float = await loadModel(new Uint8Array(readFileSync(digitsFile(`${name}.onnx`))), name);
    const { graph, report } = await quantizeWithReport(float, { mode: 'int8', calibration, progressBar: false });
    const logits = float.outputs[0].name;
    const scale = report.activations.find((a) => a.tensor === logits)?.scale;
    if (scale === undefined) throw new Error(`${name}: no quantization parameters for the output '${logits}'`);
    const run = (g: Graph, rt: Parameters<BenchCase['edgerun']>[0]) => {
      const session = InferenceSession.createSync(g, { runtime: rt });
      const feeds = { [g.inputs[0].name]: x };
      let last: Record<string, Tensor> | null = null;
      return {
        run: () => {
          last = session.runSync(feeds);
        },
        output: () => Float32Array.from(last![g.outputs[0].name].data as Float32Array),
        dispose: () => void session.release(),
      };
    };
    out.push({
      name: `model ${name} int8 vs f32 (${x.dims[0]} images)`,
      tolerance: { rtol: 0, atol: DIGITS_LSBS * scale * 1.0001 },
      edgerun: (rt) => run(graph, rt),
      edgerunPeers: { 'edgerun-f32': (rt) => run(float, rt) },
      onnx: () => ({ model: saveModel(graph), feeds: { [graph.inputs[0].name]: { dims: [...x.dims], data: x.data as Float32Array } } }),
    });
  }
  return out;
}

export const cases: BenchCase[] = [...mobileNetV2Int8Cases(await quantizeMobileNetV2()), ...(await digitsCases())];
