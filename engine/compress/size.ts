// How big a model's stored numbers are. "Weights" are the tensors in weight slots — the kernels
// of Conv/ConvTranspose, B of Gemm/MatMul, W and R of LSTM/GRU/RNN, BatchNormalization's scale (a
// per-channel multiplier; quantization turns a lone BatchNorm into a depthwise Conv weight) and
// the same slots of the quantized ops — as stored: through DequantizeLinear or Cast to the
// initializer. Biases, scales, zero points and shape constants count only in `total`.
import type { Graph, Value } from '../graph/ir.js';
import { cpuEvaluator } from '../backends/cpu/evaluate.js';
import { foldConstants } from '../passes/constant-folding.js';
import { getDefaultRuntime } from '../../kernels/runtime.js';

export interface InitializerBytes {
  /** Bytes of the stored weight tensors. */
  weights: number;
  /** Every initializer. */
  total: number;
}

const WEIGHT_SLOTS: Record<string, number[]> = {
  Conv: [1], FusedConv: [1], ConvTranspose: [1], Gemm: [1], FusedGemm: [1], MatMul: [1],
  LSTM: [1, 2], GRU: [1, 2], RNN: [1, 2], BatchNormalization: [1],
  QLinearConv: [3], QLinearMatMul: [3], QConv: [3], QGemm: [3], DynamicQuantizeMatMul: [1], ConvInteger: [1], MatMulInteger: [1],
};

/** Ops between an initializer and the weight slot that leave its bytes as they are. */
const THROUGH = new Set(['DequantizeLinear', 'Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Transpose', 'Identity']);

/** The initializer a weight input is stored as (through DequantizeLinear, Cast, Unsqueeze...), or null. */
function stored(v: Value | null | undefined): Value | null {
  if (!v) return null;
  if (v.constant) return v;
  const p = v.producer;
  if (p && THROUGH.has(p.op) && p.domain === '') return stored(p.inputs[0]);
  return null;
}

/**
 * Bytes of the initializers. `fold` first folds constant subgraphs (exporters compute some
 * weights at run time: PyTorch reorders LSTM gates with Slice + Concat), so the weights of a float
 * model are found in their slots; the stored bytes are the same.
 */
export function initializerBytes(graph: Graph, opts: { fold?: boolean } = {}): InitializerBytes {
  if (opts.fold) graph = foldConstants(graph, cpuEvaluator(getDefaultRuntime()), { model: graph.name });
  let total = 0;
  for (const v of graph.constants()) total += v.constant!.byteLength;
  const weights = new Set<Value>();
  for (const n of graph.nodes) {
    for (const i of WEIGHT_SLOTS[n.op] ?? []) {
      const w = stored(n.inputs[i]);
      if (w) weights.add(w);
    }
  }
  let bytes = 0;
  for (const w of weights) bytes += w.constant!.byteLength;
  return { weights: bytes, total };
}
