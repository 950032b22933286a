// NetBuilder: the layers torchvision's CNNs are made of, written out as the ONNX nodes
// torch.onnx.export (PyTorch 1.13, opset 13, eval mode) emits for them, on top of GraphBuilder.
// It tracks NCHW shapes (the shuffle Reshapes need concrete sizes, as torch's traced export has)
// and counts parameters and multiply-accumulates while it builds.
//
// What the export looks like (checked against the torchvision files in
// /work/shared/models/reference-architectures by test/bench-models.test.ts):
// - Conv + BatchNorm: folded into one Conv with a bias (torch folds in eval mode), or, with
//   { batchNorm: 'separate' }, Conv without bias followed by BatchNormalization (what a training
//   mode export or another exporter gives; edgerun's foldBatchNorm pass then has work to do).
// - ReLU6: Clip with min 0 and max 6 as inputs (torch writes Constant nodes, we write
//   initializers: the same values, one fewer op type to support).
// - Conv attributes always spelled out: dilations, group, kernel_shape, pads, strides.
// - Classifier: Flatten(axis 1) + Gemm(alpha 1, beta 1, transB 1) with W as [out, in].
import type { Graph, Value } from '../../engine/graph/ir.js';
import { GraphBuilder } from '../../engine/graph/builder.js';
import { Tensor } from '../../engine/tensor.js';
import { BN_EPSILON, foldBatchNormIntoConv, SeededWeights } from './weights.js';

export type BatchNormStyle = 'folded' | 'separate';

export interface ModelOptions {
  /** Seed of the weights (default 1). */
  seed?: number;
  /** 'folded' (default): BatchNorm folded into the conv, as torch.onnx.export writes eval models. */
  batchNorm?: BatchNormStyle;
}

export interface BenchModel {
  /** torchvision's name: 'mobilenet_v2', 'resnet18', 'squeezenet1_1', 'shufflenet_v2_x1_0'. */
  name: string;
  graph: Graph;
  /** The single input, 'input', float32 [1, 3, 224, 224]. */
  inputShape: number[];
  /** Multiply-accumulates of the Conv and Gemm nodes (what torchvision's table counts). */
  macs: number;
  /** Learnable parameters as PyTorch counts them (conv/linear weights and biases, BN scale and bias), whatever the BatchNorm style. */
  params: number;
}

export interface ConvSpec {
  out: number;
  kernel: number;
  stride?: number;
  pad?: number;
  group?: number;
}

export type Activation = 'relu' | 'relu6' | 'none';

export const INPUT_SHAPE = [1, 3, 224, 224];

// One pair of scalars shared by every ReLU6 (GraphBuilder maps a Tensor to one initializer).
const RELU6_MIN = new Tensor('float32', [0], []);
const RELU6_MAX = new Tensor('float32', [6], []);

function int64s(values: number[]): Tensor {
  return new Tensor('int64', values.map(BigInt), [values.length]);
}

export class NetBuilder {
  readonly g: GraphBuilder;
  private readonly weights: SeededWeights;
  private readonly bnStyle: BatchNormStyle;
  private readonly shapes = new Map<Value, number[]>();
  private macs = 0;
  private params = 0;

  constructor(readonly name: string, opts: ModelOptions = {}) {
    this.g = new GraphBuilder(name, 13);
    this.weights = new SeededWeights(opts.seed ?? 1);
    this.bnStyle = opts.batchNorm ?? 'folded';
  }

  input(): Value {
    return this.track(this.g.input('input', 'float32', INPUT_SHAPE), INPUT_SHAPE);
  }

  shape(v: Value): number[] {
    const s = this.shapes.get(v);
    if (!s) throw new Error(`NetBuilder '${this.name}': no shape tracked for '${v.name}'`);
    return s;
  }

  /** Conv (no bias) + BatchNorm + activation: torchvision's Conv2dNormActivation and friends. */
  convBn(x: Value, name: string, spec: ConvSpec, act: Activation): Value {
    const weight = this.convWeight(x, spec, act);
    const bn = this.weights.batchNorm(spec.out);
    this.params += 2 * spec.out; // BN scale and bias; running mean/var are buffers, not parameters
    let y: Value;
    if (this.bnStyle === 'folded') {
      const folded = foldBatchNormIntoConv(weight, bn);
      y = this.convNode(x, name, spec, this.g.constant(folded.weight, `${name}.weight`), this.g.constant(folded.bias, `${name}.bias`));
    } else {
      const c = this.convNode(x, name, spec, this.g.constant(weight, `${name}.weight`), null);
      const t = (data: Float32Array, what: string) => this.g.constant(new Tensor('float32', data, [spec.out]), `${name}.bn.${what}`);
      y = this.g.op('BatchNormalization', [c, t(bn.scale, 'weight'), t(bn.bias, 'bias'), t(bn.mean, 'running_mean'), t(bn.variance, 'running_var')], { epsilon: BN_EPSILON, momentum: 0.9 }, `${name}.bn`);
      this.track(y, this.shape(c));
    }
    return this.activate(y, name, act);
  }

  /** Conv with a bias and no BatchNorm (SqueezeNet). */
  convBias(x: Value, name: string, spec: ConvSpec, act: Activation): Value {
    const weight = this.g.constant(this.convWeight(x, spec, act), `${name}.weight`);
    const bias = this.g.constant(this.weights.bias(spec.out), `${name}.bias`);
    this.params += spec.out;
    return this.activate(this.convNode(x, name, spec, weight, bias), name, act);
  }

  relu(x: Value, name: string): Value {
    return this.track(this.g.op('Relu', [x], {}, name), this.shape(x));
  }

  /** ReLU6 as torch exports it: Clip(x, 0, 6). */
  relu6(x: Value, name: string): Value {
    const bounds = [this.g.constant(RELU6_MIN, 'relu6.min'), this.g.constant(RELU6_MAX, 'relu6.max')];
    return this.track(this.g.op('Clip', [x, ...bounds], {}, name), this.shape(x));
  }

  add(a: Value, b: Value, name: string): Value {
    return this.track(this.g.op('Add', [a, b], {}, name), this.shape(a));
  }

  maxPool(x: Value, name: string, kernel: number, stride: number, pad: number, ceil: boolean): Value {
    const [n, c, h, w] = this.shape(x);
    const out = (d: number) => (ceil ? Math.ceil : Math.floor)((d + 2 * pad - kernel) / stride) + 1;
    const attrs = { ceil_mode: ceil ? 1 : 0, kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad], strides: [stride, stride] };
    return this.track(this.g.op('MaxPool', [x], attrs, name), [n, c, out(h), out(w)]);
  }

  /** nn.AdaptiveAvgPool2d((1, 1)) exports as GlobalAveragePool. */
  globalAveragePool(x: Value, name: string): Value {
    const [n, c] = this.shape(x);
    return this.track(this.g.op('GlobalAveragePool', [x], {}, name), [n, c, 1, 1]);
  }

  /** torch.flatten(x, 1). */
  flatten(x: Value, name: string): Value {
    const [n, ...rest] = this.shape(x);
    return this.track(this.g.op('Flatten', [x], { axis: 1 }, name), [n, rest.reduce((a, d) => a * d, 1)]);
  }

  /** x.mean([2, 3]) (ShuffleNetV2's pooling): ReduceMean with axes as an attribute (opset 13). */
  meanHW(x: Value, name: string): Value {
    const [n, c] = this.shape(x);
    return this.track(this.g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 }, name), [n, c]);
  }

  /** nn.Linear: Gemm(x, W[out, in], b, transB = 1). */
  linear(x: Value, name: string, out: number): Value {
    const [n, inFeatures] = this.shape(x);
    const w = this.g.constant(this.weights.kaiming([out, inFeatures], 'linear'), `${name}.weight`);
    const b = this.g.constant(this.weights.bias(out), `${name}.bias`);
    this.params += out * inFeatures + out;
    this.macs += n * out * inFeatures;
    const y = this.g.op('Gemm', [x, w, b], { alpha: 1, beta: 1, transB: 1 }, name);
    return this.track(y, [n, out]);
  }

  /** torch.cat(xs, 1). */
  concatChannels(xs: Value[], name: string): Value {
    const shapes = xs.map((x) => this.shape(x));
    const [n, , h, w] = shapes[0];
    return this.track(this.g.op('Concat', xs, { axis: 1 }, name), [n, shapes.reduce((a, s) => a + s[1], 0), h, w]);
  }

  /** ShuffleNet's channel_shuffle: view(n, g, c/g, h, w) → transpose(1, 2) → view(n, -1, h, w). */
  channelShuffle(x: Value, name: string, groups: number): Value {
    const [n, c, h, w] = this.shape(x);
    const shape = (dims: number[], what: string) => this.g.constant(int64s(dims), `${name}.${what}.shape`);
    const grouped = this.g.op('Reshape', [x, shape([n, groups, c / groups, h, w], 'view')], {}, `${name}.view`);
    const swapped = this.g.op('Transpose', [grouped], { perm: [0, 2, 1, 3, 4] }, `${name}.transpose`);
    return this.track(this.g.op('Reshape', [swapped, shape([n, -1, h, w], 'flatten')], {}, `${name}.flatten`), [n, c, h, w]);
  }

  /** x[:, start:end] as torch exports chunk(): Slice(x, starts, ends, axes) with int64 inputs. */
  sliceChannels(x: Value, name: string, start: number, end: number): Value {
    const [n, , h, w] = this.shape(x);
    const bound = (v: number, what: string) => this.g.constant(int64s([v]), `${name}.${what}`);
    const y = this.g.op('Slice', [x, bound(start, 'starts'), bound(end, 'ends'), bound(1, 'axes')], {}, name);
    return this.track(y, [n, end - start, h, w]);
  }

  /** Names the logits and builds the graph. */
  finish(logits: Value): BenchModel {
    logits.dtype = 'float32';
    logits.shape = [...this.shape(logits)];
    this.g.output(logits, 'logits');
    return { name: this.name, graph: this.g.build(), inputShape: [...INPUT_SHAPE], macs: this.macs, params: this.params };
  }

  private convWeight(x: Value, spec: ConvSpec, act: Activation): Tensor {
    const cin = this.shape(x)[1];
    const group = spec.group ?? 1;
    const dims = [spec.out, cin / group, spec.kernel, spec.kernel];
    this.params += dims.reduce((a, d) => a * d, 1);
    return this.weights.kaiming(dims, act === 'none' ? 'linear' : 'relu');
  }

  private convNode(x: Value, name: string, spec: ConvSpec, weight: Value, bias: Value | null): Value {
    const [n, cin, h, w] = this.shape(x);
    const { kernel: k, stride: s = 1, pad: p = 0, group = 1 } = spec;
    const oh = Math.floor((h + 2 * p - k) / s) + 1;
    const ow = Math.floor((w + 2 * p - k) / s) + 1;
    this.macs += n * spec.out * oh * ow * (cin / group) * k * k;
    const y = this.g.op('Conv', bias ? [x, weight, bias] : [x, weight], { dilations: [1, 1], group, kernel_shape: [k, k], pads: [p, p, p, p], strides: [s, s] }, name);
    return this.track(y, [n, spec.out, oh, ow]);
  }

  private activate(x: Value, name: string, act: Activation): Value {
    if (act === 'relu') return this.relu(x, `${name}.relu`);
    if (act === 'relu6') return this.relu6(x, `${name}.relu6`);
    return x;
  }

  private track(v: Value, shape: number[]): Value {
    this.shapes.set(v, shape);
    return v;
  }
}
