// The default optimisation pipeline run before compiling a graph.
import type { Graph } from '../graph/ir.js';
import { getDefaultRuntime, type Runtime } from '../../kernels/runtime.js';
import { cpuEvaluator } from '../backends/cpu/evaluate.js';
import { foldConstants } from './constant-folding.js';
import { removeDeadNodes } from './dead-nodes.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { fuseActivations } from './fuse-activations.js';
import { fuseQdq, type FuseQdqOptions } from './fuse-qdq.js';

export interface OptimizeOptions {
  runtime?: Runtime;
  constantFolding?: boolean;
  foldBatchNorm?: boolean;
  fuseActivations?: boolean;
  /**
   * DequantizeLinear → op → QuantizeLinear patterns into integer (and hybrid) kernels; an object
   * picks the requantization ('float' matches onnxruntime's outputs; default 'tflite').
   */
  fuseQdq?: boolean | FuseQdqOptions;
}

export function optimizeGraph(graph: Graph, opts: OptimizeOptions = {}): Graph {
  let g = removeDeadNodes(graph);
  if (opts.constantFolding !== false) g = foldConstants(g, cpuEvaluator(opts.runtime ?? getDefaultRuntime()), { model: graph.name });
  if (opts.fuseQdq !== false) g = fuseQdq(g, typeof opts.fuseQdq === 'object' ? opts.fuseQdq : {});
  if (opts.foldBatchNorm !== false) g = foldBatchNorm(g);
  if (opts.fuseActivations !== false) g = fuseActivations(g);
  return g;
}
