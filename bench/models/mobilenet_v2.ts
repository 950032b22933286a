// torchvision.models.mobilenet_v2(width_mult=1.0) at 1×3×224×224, exported like torch.onnx.export
// (see net.ts). Published (MobileNet_V2_Weights.IMAGENET1K_V1 metadata, see index.ts):
// 3,504,872 parameters, 0.301 GMAC.
import { NetBuilder, type BenchModel, type ModelOptions } from './net.js';
import type { Value } from '../../engine/graph/ir.js';

/** (expansion t, output channels c, repeats n, first stride s), torchvision's inverted_residual_setting. */
const INVERTED_RESIDUAL_SETTING: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export function buildMobileNetV2(opts: ModelOptions = {}): BenchModel {
  const net = new NetBuilder('mobilenet_v2', opts);
  let x = net.convBn(net.input(), 'features.0', { out: 32, kernel: 3, stride: 2, pad: 1 }, 'relu6');
  let channels = 32;
  let index = 1;
  for (const [t, c, n, s] of INVERTED_RESIDUAL_SETTING) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(net, x, `features.${index++}`, channels, c, i === 0 ? s : 1, t);
      channels = c;
    }
  }
  x = net.convBn(x, `features.${index}`, { out: 1280, kernel: 1 }, 'relu6');
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'classifier.1', 1000)); // classifier.0 is Dropout: gone in eval mode
}

function invertedResidual(net: NetBuilder, x: Value, name: string, inp: number, oup: number, stride: number, expand: number): Value {
  const hidden = Math.round(inp * expand);
  let y = x;
  if (expand !== 1) y = net.convBn(y, `${name}.expand`, { out: hidden, kernel: 1 }, 'relu6');
  y = net.convBn(y, `${name}.dw`, { out: hidden, kernel: 3, stride, pad: 1, group: hidden }, 'relu6');
  y = net.convBn(y, `${name}.project`, { out: oup, kernel: 1 }, 'none');
  return stride === 1 && inp === oup ? net.add(x, y, `${name}.add`) : y;
}
