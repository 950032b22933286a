// The compression tools return a Graph, as DESIGN.md's interface promises (`prune(graph, opts)`
// → Graph). What they did — masks, codebooks, scales, warnings — stays available through
// compressionReport(graph) without widening the IR.
import type { Graph } from '../graph/ir.js';

const reports = new WeakMap<Graph, unknown>();

export function attachReport<T>(graph: Graph, report: T): Graph {
  reports.set(graph, report);
  return graph;
}

/** The report of the tool that produced `graph` (prune, cluster, quantize), if any. */
export function compressionReport<T = unknown>(graph: Graph): T | undefined {
  return reports.get(graph) as T | undefined;
}
