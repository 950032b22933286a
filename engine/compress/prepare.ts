// What the quantizer starts from (onnxruntime's quant_pre_process does the same): a clone of the
// float graph with dead nodes removed, constants folded (Clip bounds fed by Constant nodes become
// initializers) and BatchNorm folded into the Conv/Gemm before it. A BatchNormalization left over
// (one after an activation, as in DS-CNN) becomes a depthwise 1×1 Conv — y = s·x + b per channel —
// which has an integer kernel instead of a float island, and whose one weight per channel int8
// represents exactly (q = ±127).
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { Tensor } from '../tensor.js';
import { cpuEvaluator } from '../backends/cpu/evaluate.js';
import { foldConstants } from '../passes/constant-folding.js';
import { removeDeadNodes } from '../passes/dead-nodes.js';
import { foldBatchNorm } from '../passes/fold-batchnorm.js';
import type { Runtime } from '../../kernels/runtime.js';
import { inferGraph, annotate } from '../graph/infer.js';
import { Surgery } from './graph-surgery.js';

const QDQ_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger']);

export function prepareFloatGraph(graph: Graph, rt: Runtime, opts: { batchNormAsConv: boolean }): Graph {
  const already = graph.nodes.find((n) => QDQ_OPS.has(n.op) || n.domain === 'ai.edgerun');
  if (already) throw new EdgeRunError('InvalidArgument', `model '${graph.name}' is already quantized or optimized (${already.label}); quantize the float model`);
  if (graph.opset < 10) throw new EdgeRunError('UnsupportedFeature', `model '${graph.name}' is opset ${graph.opset}; QuantizeLinear/DequantizeLinear need opset ≥ 10`);
  let g = removeDeadNodes(graph);
  g = foldConstants(g, cpuEvaluator(rt), { model: graph.name });
  g = foldBatchNorm(g);
  annotate(g, inferGraph(g, { model: graph.name, partial: true }));
  if (opts.batchNormAsConv) batchNormAsDepthwise(g);
  return g;
}

function batchNormAsDepthwise(g: Graph): void {
  const s = new Surgery(g);
  for (const bn of [...g.nodes]) {
    if (bn.op !== 'BatchNormalization' || bn.domain !== '' || bn.int('training_mode', 0) !== 0) continue;
    if (bn.outputs.length > 1 && bn.outputs.slice(1).some((o) => !o.name.startsWith('__unused_'))) continue;
    const x = bn.inputs[0];
    const [scale, bias, mean, variance] = bn.inputs.slice(1).map((v) => v?.constant ?? null);
    if (!x || !x.shape || x.shape.length !== 4 || typeof x.shape[1] !== 'number' || !scale || !bias || !mean || !variance) continue;
    const c = x.shape[1];
    const eps = bn.float('epsilon', 1e-5);
    const [sc, sh, mu, va] = [scale, bias, mean, variance].map((t) => t.toNumbers());
    if (sc.length !== c) continue;
    const w = new Float32Array(c);
    const b = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      w[i] = sc[i] / Math.sqrt(va[i] + eps);
      b[i] = sh[i] - mu[i] * w[i];
    }
    const conv = s.node('Conv', bn.name, [x, s.constant(`${bn.name}_W`, new Tensor('float32', w, [c, 1, 1, 1])), s.constant(`${bn.name}_B`, new Tensor('float32', b, [c]))], [bn.outputs[0]], {
      group: { type: 'int', value: c },
      kernel_shape: { type: 'ints', value: [1, 1] },
    });
    conv.name = bn.name; // the BatchNorm is gone: keepFloat and reports keep naming it
    g.nodes[g.nodes.indexOf(bn)] = conv;
  }
}
