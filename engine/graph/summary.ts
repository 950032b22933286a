// A printable summary of a graph (`edgerun info`): per node its op, output shape, parameters,
// parameter bytes and multiply-accumulates; totals; op histogram. Symbolic dims are counted at 1
// (the numbers are per batch item).
import { formatBytes } from '../../kernels/arena.js';
import { DTYPE_BYTES } from '../tensor.js';
import { getOpDef, OpContext, paramsOf, type ValueInfo } from '../ops/registry.js';
import { formatShape, type Dim, type Graph, type Node, type Value } from './ir.js';
import { inferGraph, opsetFor } from './infer.js';

export interface NodeSummary {
  node: Node;
  outputShapes: (Dim[] | null)[];
  params: number;
  paramBytes: number;
  macs: number;
}

export interface GraphSummary {
  nodes: NodeSummary[];
  params: number;
  paramBytes: number;
  macs: number;
  ops: Map<string, number>;
}

export function summarize(graph: Graph, model = graph.name): GraphSummary {
  // Symbolic shapes for display; MACs from the same graph at batch 1.
  const symbolic = inferGraph(graph, { model });
  const concrete = new Map<Value, ValueInfo>();
  for (const v of graph.inputs) {
    const info = symbolic.get(v);
    if (info) concrete.set(v, { ...info, shape: info.shape ? info.shape.map((d) => (typeof d === 'number' ? d : 1)) : null });
  }
  let atOne: Map<Value, ValueInfo> | null = null;
  try {
    atOne = inferGraph(graph, { model, inputs: concrete });
  } catch {
    atOne = null; // a graph that only infers symbolically still gets shapes and params
  }
  const seen = new Set<Value>();
  const nodes = graph.nodes.map((node) => {
    let params = 0;
    let paramBytes = 0;
    for (const v of node.inputs) {
      if (v?.constant && !seen.has(v)) {
        seen.add(v);
        params += v.constant.size;
        paramBytes += v.constant.type === 'string' ? 0 : v.constant.size * DTYPE_BYTES[v.constant.type];
      }
    }
    let macs = 0;
    const def = getOpDef(node.op, node.domain);
    if (def?.macs && atOne) {
      const ctx = new OpContext(node, model, opsetFor(graph, node.domain));
      const ins = node.inputs.map((v) => (v ? (atOne!.get(v) ?? null) : null));
      const outs = node.outputs.map((v) => atOne!.get(v)!).filter(Boolean);
      macs = def.macs(ins, outs, paramsOf(def, ctx));
    }
    return { node, outputShapes: node.outputs.map((v) => symbolic.get(v)?.shape ?? null), params, paramBytes, macs };
  });
  const ops = new Map<string, number>();
  for (const n of graph.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  return {
    nodes,
    params: nodes.reduce((s, n) => s + n.params, 0),
    paramBytes: nodes.reduce((s, n) => s + n.paramBytes, 0),
    macs: nodes.reduce((s, n) => s + n.macs, 0),
    ops,
  };
}

export function formatSummary(graph: Graph, s: GraphSummary): string {
  const lines: string[] = [];
  const meta = graph.metadata;
  lines.push(`model '${graph.name}'  opset ${graph.opset}${meta.producerName ? `  producer ${meta.producerName} ${meta.producerVersion ?? ''}` : ''}`);
  for (const v of graph.inputs) lines.push(`  input  ${v.name}: ${v.dtype} ${formatShape(v.shape)}`);
  for (const v of graph.outputs) lines.push(`  output ${v.name}: ${v.dtype ?? '?'} ${formatShape(v.shape)}`);
  const rows = s.nodes.map((n, i) => [
    String(i),
    n.node.name,
    n.node.op,
    n.outputShapes.map(formatShape).join(' '),
    n.params ? String(n.params) : '',
    n.paramBytes ? formatBytes(n.paramBytes) : '',
    n.macs ? formatCount(n.macs) : '',
  ]);
  const head = ['#', 'node', 'op', 'output shape', 'params', 'bytes', 'MACs'];
  const widths = head.map((h, c) => Math.min(c === 1 ? 40 : 60, Math.max(h.length, ...rows.map((r) => r[c].length))));
  const fmt = (r: string[]) => r.map((x, c) => (c >= 4 || c === 0 ? x.padStart(widths[c]) : x.slice(0, widths[c]).padEnd(widths[c]))).join('  ');
  lines.push('', fmt(head), ...rows.map(fmt));
  lines.push('');
  lines.push(`total: ${graph.nodes.length} nodes, ${s.params.toLocaleString('en-US')} parameters (${formatBytes(s.paramBytes)}), ${formatCount(s.macs)} MACs per batch item`);
  lines.push(`ops: ${[...s.ops].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  return lines.join('\n');
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
