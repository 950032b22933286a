// The end-to-end benchmark models, by torchvision name, with the numbers torchvision publishes
// for them: the `num_params` and `_ops` fields of each model's Weights metadata in torchvision's
// source (torchvision/models/{mobilenetv2,resnet,squeezenet,shufflenetv2}.py), shown as "Params"
// and "GFLOPS" on https://pytorch.org/vision/stable/models.html. Despite the column name, `_ops`
// counts multiply-accumulates (of convolutions and linear layers, at 224×224).
import type { BenchModel, ModelOptions } from './net.js';
import { buildMobileNetV2 } from './mobilenet_v2.js';
import { buildResNet18 } from './resnet18.js';
import { buildShuffleNetV2 } from './shufflenet_v2.js';
import { buildSqueezeNet11 } from './squeezenet1_1.js';

export type { BenchModel, BatchNormStyle, ModelOptions } from './net.js';
export { buildMobileNetV2, buildResNet18, buildShuffleNetV2, buildSqueezeNet11 };

export interface ModelEntry {
  /** Short name used in benchmark case names. */
  name: 'mobilenet_v2' | 'resnet18' | 'squeezenet1_1' | 'shufflenet_v2';
  build: (opts?: ModelOptions) => BenchModel;
  /** torchvision's num_params and _ops (GMACs, three decimals). */
  published: { params: number; gmacs: number };
}

export const BENCH_MODELS: readonly ModelEntry[] = [
  { name: 'mobilenet_v2', build: buildMobileNetV2, published: { params: 3_504_872, gmacs: 0.301 } },
  { name: 'resnet18', build: buildResNet18, published: { params: 11_689_512, gmacs: 1.814 } },
  { name: 'squeezenet1_1', build: buildSqueezeNet11, published: { params: 1_235_496, gmacs: 0.349 } },
  { name: 'shufflenet_v2', build: buildShuffleNetV2, published: { params: 2_278_604, gmacs: 0.145 } },
];
