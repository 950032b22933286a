// torchvision.models.shufflenet_v2_x1_0() at 1×3×224×224, exported like torch.onnx.export (see
// net.ts). Published (ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1 metadata, see index.ts):
// 2,278,604 parameters, 0.145 GMAC.
//
// Export details that differ from the other models, all as in the torchvision reference file:
// - x.chunk(2, dim=1) becomes two Slice nodes. PyTorch 1.13 computes their bounds at run time
//   (Shape → Gather → Add → Div → Mul); we write the bounds as constants, which is what any
//   runtime's constant folding turns that chain into.
// - channel_shuffle is Reshape → Transpose(0, 2, 1, 3, 4) → Reshape with concrete shapes.
// - Pooling is x.mean([2, 3]): ReduceMean(axes [2, 3], keepdims 0), then Gemm (no Flatten).
import { NetBuilder, type BenchModel, type ModelOptions } from './net.js';
import type { Value } from '../../engine/graph/ir.js';

const STAGE_REPEATS = [4, 8, 4];
const STAGE_OUT_CHANNELS = [24, 116, 232, 464, 1024]; // x1.0

export function buildShuffleNetV2(opts: ModelOptions = {}): BenchModel {
  const net = new NetBuilder('shufflenet_v2_x1_0', opts);
  let x = net.convBn(net.input(), 'conv1', { out: STAGE_OUT_CHANNELS[0], kernel: 3, stride: 2, pad: 1 }, 'relu');
  x = net.maxPool(x, 'maxpool', 3, 2, 1, false);
  let channels = STAGE_OUT_CHANNELS[0];
  STAGE_REPEATS.forEach((repeats, s) => {
    const out = STAGE_OUT_CHANNELS[s + 1];
    x = downsampleUnit(net, x, `stage${s + 2}.0`, channels, out);
    for (let i = 1; i < repeats; i++) x = basicUnit(net, x, `stage${s + 2}.${i}`, out);
    channels = out;
  });
  x = net.convBn(x, 'conv5', { out: STAGE_OUT_CHANNELS[4], kernel: 1 }, 'relu');
  return net.finish(net.linear(net.meanHW(x, 'mean'), 'fc', 1000));
}

/** Stride 1: keep half the channels, transform the other half, concatenate, shuffle. */
function basicUnit(net: NetBuilder, x: Value, name: string, channels: number): Value {
  const half = channels / 2;
  const x1 = net.sliceChannels(x, `${name}.chunk0`, 0, half);
  const x2 = net.sliceChannels(x, `${name}.chunk1`, half, channels);
  return net.channelShuffle(net.concatChannels([x1, branch2(net, x2, `${name}.branch2`, half, 1)], `${name}.cat`), `${name}.shuffle`, 2);
}

/** Stride 2: both branches see the whole input; the output has twice the channels. */
function downsampleUnit(net: NetBuilder, x: Value, name: string, inp: number, oup: number): Value {
  const half = oup / 2;
  let b1 = net.convBn(x, `${name}.branch1.0`, { out: inp, kernel: 3, stride: 2, pad: 1, group: inp }, 'none');
  b1 = net.convBn(b1, `${name}.branch1.2`, { out: half, kernel: 1 }, 'relu');
  return net.channelShuffle(net.concatChannels([b1, branch2(net, x, `${name}.branch2`, half, 2)], `${name}.cat`), `${name}.shuffle`, 2);
}

/** 1×1 conv + ReLU, 3×3 depthwise (no ReLU), 1×1 conv + ReLU. */
function branch2(net: NetBuilder, x: Value, name: string, channels: number, stride: number): Value {
  let y = net.convBn(x, `${name}.0`, { out: channels, kernel: 1 }, 'relu');
  y = net.convBn(y, `${name}.3`, { out: channels, kernel: 3, stride, pad: 1, group: channels }, 'none');
  return net.convBn(y, `${name}.5`, { out: channels, kernel: 1 }, 'relu');
}
