// Post-training quantization: quantize(graph, options) returns a NEW graph (the input is never
// touched) in standard ONNX form, so saveModel() of it is a file onnxruntime runs as is:
//   'int8'    QDQ: int8 weights (per channel, symmetric) and int32 biases through
//             DequantizeLinear, activations (per tensor, asymmetric int8) through
//             QuantizeLinear → DequantizeLinear pairs; ranges from calibration.
//   'dynamic' int8 weights through DequantizeLinear, activations float (quantized per row at
//             run time by the hybrid kernel).
//   'float16' float16 initializers through Cast(to float).
// edgerun's fuse-qdq pass (engine/passes/fuse-qdq.ts, run when a session is created) turns the
// patterns into integer / hybrid kernels. Ops with no integer kernel stay float: they are listed
// in the report (a warning), or refused with `strict`.
import { attachReport } from './report.js';
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { inferGraph, annotate } from '../graph/infer.js';
import { validateGraph } from '../graph/validate.js';
import { getDefaultRuntime, type Runtime } from '../../kernels/runtime.js';
import { calibrate, checkMethod, type CalibrationData, type CalibrationMethod } from './calibrate.js';
import { buildInt8, type ActivationRecord, type IoMode, type IoRecord } from './int8-build.js';
import { planInt8, type FloatNode } from './int8-plan.js';
import { prepareFloatGraph } from './prepare.js';
import type { ProgressOptions } from './progress.js';
import { buildDynamic, buildFloat16, dynamicMeanRequests } from './weight-modes.js';
import type { WeightRecord } from './quant-weights.js';
import '../ops/all.js';
import '../backends/cpu/ops/all.js';

export type QuantizeMode = 'int8' | 'dynamic' | 'float16';
export const QUANTIZE_MODES: readonly QuantizeMode[] = ['int8', 'dynamic', 'float16'];

export interface QuantizeOptions extends ProgressOptions {
  mode: QuantizeMode;
  /** int8: representative samples (feed objects, or one Tensor batch split along dim 0). */
  calibration?: CalibrationData;
  /** Range selection (default 'percentile'). */
  method?: CalibrationMethod;
  /** Percentile method: the share of values kept, in % (default 99.999). */
  percentile?: number;
  /** Rows per calibration run when `calibration` is one Tensor (default 64). */
  batchSize?: number;
  /** Names of nodes to keep in float. Each must exist in the graph. */
  keepFloat?: readonly string[];
  /** int8 only: 'float' (default) keeps float inputs/outputs; 'int8' / 'uint8' make them integer end to end. */
  io?: IoMode;
  /** Throw instead of warning when an op has no integer kernel (int8 mode). */
  strict?: boolean;
  /**
   * Correct each layer's bias for the mean error its weight rounding causes, measured on the
   * calibration data (default: on whenever calibration data is given; dynamic mode then also
   * runs the float model on it).
   */
  biasCorrection?: boolean;
  /**
   * 7-bit weights ([−64, 64]) as onnxruntime's reduce_range: for x86 CPUs without VNNI, whose
   * onnxruntime int8 kernels saturate with full-range weights. Default false.
   */
  reduceRange?: boolean;
  runtime?: Runtime;
}

export interface QuantizeReport {
  mode: QuantizeMode;
  method: CalibrationMethod | null;
  io: IoMode;
  /** Nodes computing in float (with the reason): the warning list. */
  floatNodes: { name: string; op: string; reason: string }[];
  activations: ActivationRecord[];
  weights: WeightRecord[];
  /** Integer graph inputs/outputs (io 'int8'/'uint8'): how to quantize feeds and read results. */
  inputs: IoRecord[];
  outputs: IoRecord[];
  warnings: string[];
}

export interface QuantizeResult {
  graph: Graph;
  report: QuantizeReport;
}

function checkOptions(graph: Graph, opts: QuantizeOptions): { keepFloat: Set<string>; io: IoMode; method: CalibrationMethod | null } {
  if (!opts || typeof opts !== 'object') throw new EdgeRunError('InvalidArgument', 'quantize: options are required ({ mode: "int8" | "dynamic" | "float16", ... })');
  if (!QUANTIZE_MODES.includes(opts.mode)) throw new EdgeRunError('InvalidArgument', `quantize: mode '${String(opts.mode)}' is not one of ${QUANTIZE_MODES.join(', ')}`);
  const io = opts.io ?? 'float';
  if (!['float', 'int8', 'uint8'].includes(io)) throw new EdgeRunError('InvalidArgument', `quantize: io '${String(io)}' is not one of float, int8, uint8`);
  if (io !== 'float' && opts.mode !== 'int8') throw new EdgeRunError('InvalidArgument', `quantize: io '${io}' needs mode 'int8' (mode '${opts.mode}' keeps float activations)`);
  const method = opts.mode === 'int8' ? checkMethod(opts.method ?? 'percentile') : opts.method === undefined ? null : checkMethod(opts.method);
  if (opts.mode === 'int8' && opts.calibration === undefined) {
    throw new EdgeRunError('InvalidArgument', "quantize: mode 'int8' needs calibration data (options.calibration: an array of feed objects or a Tensor batch)");
  }
  const keepFloat = new Set(opts.keepFloat ?? []);
  const names = new Set(graph.nodes.map((n) => n.name));
  const missing = [...keepFloat].filter((n) => !names.has(n));
  if (missing.length) {
    throw new EdgeRunError('InvalidArgument', `quantize: keepFloat names node(s) not in model '${graph.name}': ${missing.map((n) => `'${n}'`).join(', ')}`);
  }
  return { keepFloat, io, method };
}

/** quantize() plus the report: float nodes, per-tensor ranges and scales, weight scales. */
export async function quantizeWithReport(graph: Graph, options: QuantizeOptions): Promise<QuantizeResult> {
  const { keepFloat, io, method } = checkOptions(graph, options);
  const rt = options.runtime ?? getDefaultRuntime();
  const qmax = options.reduceRange ? 64 : 127;
  const g = prepareFloatGraph(graph, rt, { batchNormAsConv: options.mode !== 'float16' });
  // Per-axis DequantizeLinear needs opset 13; older models get per-tensor weights.
  const perChannel = g.opset >= 13;
  const report: QuantizeReport = { mode: options.mode, method, io, floatNodes: [], activations: [], weights: [], inputs: [], outputs: [], warnings: [] };
  if (!perChannel) report.warnings.push(`opset ${g.opset} < 13: weights are quantized per tensor (per-channel DequantizeLinear needs opset 13)`);
  const listFloat = (nodes: FloatNode[]) => nodes.map(({ node, reason }) => ({ name: node.name, op: node.op, reason }));

  if (options.mode === 'int8') {
    const plan = planInt8(g, { keepFloat, io });
    const unsupported = plan.floatNodes.filter((f) => !keepFloat.has(f.node.name));
    if (options.strict && unsupported.length) {
      throw new EdgeRunError('UnsupportedOperator', `quantize (strict): ${unsupported.length} node(s) have no integer kernel: ${unsupported.map((f) => `${f.node.label} (${f.reason})`).join('; ')}`, {
        nodes: unsupported.map((f) => f.node.name),
      });
    }
    const names = [...plan.tensors].filter(([, src]) => src.kind === 'calibrate').map(([v]) => v.name);
    const meanRequests = options.biasCorrection === false ? [] : [...plan.compute].filter(([, c]) => c.kind === 'conv' || c.kind === 'gemm').map(([n, c]) => ({ name: n.inputs[0]!.name, axis: c.kind === 'conv' ? 1 : -1 }));
    const { ranges, means } = await calibrate(g, names, options.calibration!, { ...options, method: method!, runtime: rt }, meanRequests);
    const built = buildInt8(g, plan, ranges, { io, perChannel, means, qmax });
    Object.assign(report, { floatNodes: listFloat(plan.floatNodes), activations: built.activations, weights: built.weights, inputs: built.inputs, outputs: built.outputs });
    report.warnings.push(...built.warnings);
  } else {
    let means = new Map<string, Float64Array>();
    if (options.mode === 'dynamic' && options.calibration !== undefined && options.biasCorrection !== false) {
      means = (await calibrate(g, [], options.calibration, { ...options, method: 'minmax', runtime: rt }, dynamicMeanRequests(g, keepFloat))).means;
    }
    const built = options.mode === 'dynamic' ? buildDynamic(g, keepFloat, perChannel, means, qmax) : buildFloat16(g, keepFloat);
    Object.assign(report, { floatNodes: listFloat(built.floatNodes), weights: built.weights });
    report.warnings.push(...built.warnings);
  }
  if (report.floatNodes.some((f) => !keepFloat.has(f.name)) && options.mode === 'int8') {
    report.warnings.push(`${report.floatNodes.filter((f) => !keepFloat.has(f.name)).length} node(s) stay float: ${report.floatNodes.filter((f) => !keepFloat.has(f.name)).map((f) => `${f.op} '${f.name}'`).join(', ')}`);
  }
  validateGraph(g, graph.name);
  annotate(g, inferGraph(g, { model: graph.name, partial: true }));
  return { graph: g, report };
}

/** A new, quantized graph (see quantizeWithReport for the report). */
export async function quantize(graph: Graph, options: QuantizeOptions): Promise<Graph> {
  const r = await quantizeWithReport(graph, options);
  return attachReport(r.graph, r.report);
}
