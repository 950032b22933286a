// How big a model's stored numbers are. "Weights" are the initializers of rank ≥ 2 (matrices and
// kernels, float or quantized); biases, scales, zero points and shape constants are the rest.
import type { Graph } from '../graph/ir.js';

export interface InitializerBytes {
  /** Rank ≥ 2 initializers (weight matrices, conv kernels, recurrent weights). */
  weights: number;
  /** Every initializer. */
  total: number;
}

export function initializerBytes(graph: Graph): InitializerBytes {
  let weights = 0;
  let total = 0;
  for (const v of graph.constants()) {
    const t = v.constant!;
    total += t.byteLength;
    if (t.dims.length >= 2) weights += t.byteLength;
  }
  return { weights, total };
}
