// End-to-end models: torchvision's MobileNetV2, ResNet18, SqueezeNet 1.1 and ShuffleNetV2 x1.0
// at batch 1, 3×224×224, seeded weights (bench/models/). edgerun runs the Graph; onnxruntime-web
// runs saveModel(graph): the same model, the same numbers. The harness checks edgerun's logits
// against onnxruntime-web's before it trusts a timing.
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { BENCH_MODELS, type BenchModel, type ModelEntry } from '../models/index.js';
import { InferenceSession } from '../../engine/session.js';
import { saveModel } from '../../engine/onnx/export.js';
import { Tensor } from '../../engine/tensor.js';
import '../../engine/ops/all.js';
import '../../engine/backends/cpu/ops/all.js';

/** Seed of the input image (uniform in [-1, 1), about what a normalised photo spans). */
const INPUT_SEED = 1;

/**
 * Fifty-odd layers summed in another order. onnxruntime-node against onnxruntime-web on these
 * models measured at most 7e-7 of the largest logit (4e-6 absolute, logits up to ~17); 1e-4
 * leaves room for kernels that block their sums differently or fuse multiply-adds, and still
 * catches a wrong pad or a dropped bias (those move logits by whole units).
 */
const MODEL_TOLERANCE = { rtol: 1e-4, atol: 1e-6 };

export function modelCase(entry: ModelEntry): BenchCase {
  // Built on first use and kept: both builds and onnxruntime-web must see the same weights,
  // and building ResNet18 (11.7M seeded weights) takes a moment.
  let built: BenchModel | null = null;
  const model = () => (built ??= entry.build());
  const input = () => {
    const dims = model().inputShape;
    return { dims, data: seededFloats(dims.reduce((a, d) => a * d, 1), INPUT_SEED) };
  };
  return {
    name: `model ${entry.name} f32`,
    get flops() {
      return 2 * model().macs;
    },
    tolerance: MODEL_TOLERANCE,
    edgerun(rt) {
      const { graph } = model();
      const session = InferenceSession.createSync(graph, { runtime: rt });
      const { dims, data } = input();
      const feeds = { [graph.inputs[0].name]: new Tensor('float32', data, dims) };
      const logits = graph.outputs[0].name;
      let last: Record<string, Tensor> | null = null;
      return {
        run: () => {
          last = session.runSync(feeds);
        },
        output: () => {
          if (!last) throw new Error(`${entry.name}: output() before run()`);
          return Float32Array.from(last[logits].data as Float32Array);
        },
        facts: () => ({ arenaPeak: session.memory!.peak, arenaLowerBound: session.memory!.lowerBound }),
        dispose: () => void session.release(),
      };
    },
    onnx: () => ({ model: saveModel(model().graph), feeds: { [model().graph.inputs[0].name]: input() } }),
  };
}

export const cases: BenchCase[] = BENCH_MODELS.map(modelCase);
