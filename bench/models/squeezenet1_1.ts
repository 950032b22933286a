// torchvision.models.squeezenet1_1() at 1×3×224×224, exported like torch.onnx.export (see net.ts).
// Published (SqueezeNet1_1_Weights.IMAGENET1K_V1 metadata, see index.ts): 1,235,496
// parameters, 0.349 GMAC.
// No BatchNorm: convs carry biases. No reference export was available: the test checks the
// published numbers.
import { NetBuilder, type BenchModel, type ModelOptions } from './net.js';
import type { Value } from '../../engine/graph/ir.js';

/** (squeeze, expand1x1 = expand3x3) per Fire module; 'pool' marks MaxPool(3, 2, ceil_mode=True). */
const FEATURES: ([number, number] | 'pool')[] = ['pool', [16, 64], [16, 64], 'pool', [32, 128], [32, 128], 'pool', [48, 192], [48, 192], [64, 256], [64, 256]];

export function buildSqueezeNet11(opts: ModelOptions = {}): BenchModel {
  const net = new NetBuilder('squeezenet1_1', opts);
  let x = net.convBias(net.input(), 'features.0', { out: 64, kernel: 3, stride: 2 }, 'relu');
  FEATURES.forEach((layer, i) => {
    const name = `features.${i + 2}`; // features.0 and .1 are the first conv and its ReLU
    x = layer === 'pool' ? net.maxPool(x, name, 3, 2, 0, true) : fire(net, x, name, layer[0], layer[1]);
  });
  // classifier: Dropout (gone in eval mode), final 1×1 conv, ReLU, AdaptiveAvgPool2d((1, 1)); then torch.flatten(x, 1).
  x = net.convBias(x, 'classifier.1', { out: 1000, kernel: 1 }, 'relu');
  return net.finish(net.flatten(net.globalAveragePool(x, 'classifier.3'), 'flatten'));
}

function fire(net: NetBuilder, x: Value, name: string, squeeze: number, expand: number): Value {
  const s = net.convBias(x, `${name}.squeeze`, { out: squeeze, kernel: 1 }, 'relu');
  const e1 = net.convBias(s, `${name}.expand1x1`, { out: expand, kernel: 1 }, 'relu');
  const e3 = net.convBias(s, `${name}.expand3x3`, { out: expand, kernel: 3, pad: 1 }, 'relu');
  return net.concatChannels([e1, e3], `${name}.cat`);
}
