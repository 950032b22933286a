// torchvision.models.resnet18() at 1×3×224×224, exported like torch.onnx.export (see net.ts).
// Published (ResNet18_Weights.IMAGENET1K_V1 metadata, see index.ts): 11,689,512 parameters,
// 1.814 GMAC.
// No reference export was available: the test checks the published numbers.
import { NetBuilder, type BenchModel, type ModelOptions } from './net.js';
import type { Value } from '../../engine/graph/ir.js';

export function buildResNet18(opts: ModelOptions = {}): BenchModel {
  const net = new NetBuilder('resnet18', opts);
  let x = net.convBn(net.input(), 'conv1', { out: 64, kernel: 7, stride: 2, pad: 3 }, 'relu');
  x = net.maxPool(x, 'maxpool', 3, 2, 1, false);
  let channels = 64;
  const stages: [number, number][] = [[64, 1], [128, 2], [256, 2], [512, 2]]; // (planes, first stride), 2 BasicBlocks each
  stages.forEach(([planes, stride], i) => {
    x = basicBlock(net, x, `layer${i + 1}.0`, channels, planes, stride);
    x = basicBlock(net, x, `layer${i + 1}.1`, planes, planes, 1);
    channels = planes;
  });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'fc', 1000));
}

/** relu(bn2(conv2(relu(bn1(conv1(x))))) + identity), identity = downsample(x) when the shape changes. */
function basicBlock(net: NetBuilder, x: Value, name: string, inplanes: number, planes: number, stride: number): Value {
  let y = net.convBn(x, `${name}.conv1`, { out: planes, kernel: 3, stride, pad: 1 }, 'relu');
  y = net.convBn(y, `${name}.conv2`, { out: planes, kernel: 3, pad: 1 }, 'none');
  // forward() runs the downsample after bn2, so the exported graph has it there too.
  const identity = stride !== 1 || inplanes !== planes ? net.convBn(x, `${name}.downsample`, { out: planes, kernel: 1, stride }, 'none') : x;
  return net.relu(net.add(y, identity, `${name}.add`), `${name}.relu`);
}
