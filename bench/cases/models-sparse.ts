// MobileNetV2 with its 1×1 convolutions pruned to 80 % (unstructured magnitude pruning),
// end to end: edgerun choosing sparse kernels per node against edgerun forced to dense kernels on
// the same pruned graph (`ratio` = dense ÷ sparse), plus onnxruntime-web on the same file.
import type { BenchCase } from '../case.js';
import { seededFloats } from '../data.js';
import { buildMobileNetV2 } from '../models/index.js';
import { InferenceSession } from '../../engine/session.js';
import { saveModel } from '../../engine/onnx/export.js';
import { Tensor } from '../../engine/tensor.js';
import { prune } from '../../engine/compress/prune.js';
import type { Graph } from '../../engine/graph/ir.js';
import type { Runtime } from '../../kernels/runtime.js';
import { setSparseKernelPolicy } from '../../engine/backends/cpu/ops/sparse-choice.js';
import { kernelChoices } from '../../engine/backends/cpu/ops/sparse-choice.js';

const SPARSITY = 0.8;

let built: { graph: Graph; macs: number } | null = null;
function prunedModel(): { graph: Graph; macs: number } {
  if (built) return built;
  const m = buildMobileNetV2();
  const pointwise = m.graph.nodes
    .filter((n) => n.op === 'Conv' && n.inputs[1]?.constant && n.inputs[1].constant.dims[2] === 1 && n.inputs[1].constant.dims[3] === 1 && n.int('group', 1) === 1)
    .map((n) => n.name);
  built = { graph: prune(m.graph, { sparsity: SPARSITY, layers: pointwise, criterion: 'magnitude' }), macs: m.macs };
  return built;
}

function input(): { dims: number[]; data: Float32Array } {
  const dims = [1, 3, 224, 224];
  return { dims, data: seededFloats(3 * 224 * 224, 1) };
}

function session(rt: Runtime, force: 'dense' | null) {
  const { graph } = prunedModel();
  const old = setSparseKernelPolicy({ force });
  try {
    const s = InferenceSession.createSync(graph, { runtime: rt });
    const { dims, data } = input();
    const feeds = { [graph.inputs[0].name]: new Tensor('float32', data, dims) };
    let last = s.runSync(feeds); // plans now, under this policy
    return {
      run: () => {
        last = s.runSync(feeds);
      },
      output: () => Float32Array.from(last[graph.outputs[0].name].data as Float32Array),
      facts: () => {
        const choices = kernelChoices(s.graph);
        return { sparseNodes: choices.filter((c) => c.kernel !== 'dense').length, choiceNodes: choices.length };
      },
      dispose: () => void s.release(),
    };
  } finally {
    setSparseKernelPolicy(old);
  }
}

export const cases: BenchCase[] = [
  {
    name: `model mobilenet_v2 f32 pointwise sparsity ${SPARSITY}`,
    get flops() {
      return 2 * prunedModel().macs;
    },
    tolerance: { rtol: 1e-4, atol: 1e-5 },
    edgerun: (rt) => session(rt, null),
    edgerunPeers: { 'edgerun-dense': (rt) => session(rt, 'dense') },
    onnx: () => ({ model: saveModel(prunedModel().graph), feeds: { input: input() } }),
  },
];
