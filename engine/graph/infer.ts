// Type and shape inference over a whole graph, with constant propagation: when every input of a
// node has a known value, `evaluate` (supplied by a backend) computes its outputs, so the
// Shape → Gather → Unsqueeze → Concat chains exporters emit become constants.
import { EdgeRunError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { getOpDef, OpContext, paramsOf, type ValueInfo } from '../ops/registry.js';
import type { Graph, Node, Value } from './ir.js';

export type NodeEvaluator = (node: Node, inputs: (Tensor | null)[], ctx: OpContext) => Tensor[];

export interface InferOptions {
  model?: string;
  /** Overrides for graph inputs (concrete shapes at plan time; values of small integer feeds). */
  inputs?: Map<Value, ValueInfo>;
  /** Computes constant nodes. Without it only what `infer` itself fills in is known. */
  evaluate?: NodeEvaluator;
  /** Largest output (elements) worth evaluating at inference time. Default: unlimited. */
  maxFoldElements?: number;
  /**
   * Leave a node's outputs unknown instead of throwing when it needs what only a run can tell
   * (an input of unknown type, or a value such as a Reshape shape fed as a graph input). For
   * load-time folding; the plan-time inference, with the feeds known, still reports real errors.
   */
  partial?: boolean;
}

export function unsupportedNodes(graph: Graph, extraCheck?: (n: Node) => boolean): Node[] {
  return graph.nodes.filter((n) => !getOpDef(n.op, n.domain) || (extraCheck !== undefined && !extraCheck(n)));
}

export function unsupportedError(graph: Graph, nodes: Node[], model: string, backend = 'cpu'): EdgeRunError {
  const byOp = new Map<string, string[]>();
  for (const n of nodes) {
    const k = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op}` : n.op;
    byOp.set(k, [...(byOp.get(k) ?? []), n.name]);
  }
  const list = [...byOp].map(([op, names]) => `${op} (${names.map((s) => `'${s}'`).join(', ')})`).join('; ');
  return new EdgeRunError('UnsupportedOperator', `model '${model}': ${nodes.length} node(s) use operators the ${backend} backend does not support: ${list}`, {
    model,
    ops: [...byOp.keys()],
    nodes: nodes.map((n) => n.name),
  });
}

/** Notes when an operator asked for a value only a run will know (partial inference skips the node then). */
class PartialContext extends OpContext {
  wantedUnknownValue = false;
  override constant(inputs: readonly (ValueInfo | null)[], i: number, what?: string): Tensor {
    if (inputs[i] && !inputs[i]!.value) this.wantedUnknownValue = true;
    return super.constant(inputs, i, what);
  }
}

/** Infers every value's info. Throws on the first node whose inputs do not fit its operator. */
export function inferGraph(graph: Graph, opts: InferOptions = {}): Map<Value, ValueInfo> {
  const model = opts.model ?? graph.name;
  const infos = new Map<Value, ValueInfo>();
  for (const v of graph.inputs) {
    const given = opts.inputs?.get(v);
    if (given) infos.set(v, given);
    else if (v.dtype) infos.set(v, { dtype: v.dtype, shape: v.shape, value: v.constant });
  }
  const infoOf = (v: Value): ValueInfo | null => {
    const known = infos.get(v);
    if (known) return known;
    if (v.constant) {
      const info: ValueInfo = { dtype: v.constant.type, shape: [...v.constant.dims], value: v.constant };
      infos.set(v, info);
      return info;
    }
    return null;
  };
  const unsupported = unsupportedNodes(graph);
  if (unsupported.length) throw unsupportedError(graph, unsupported, model);

  for (const node of graph.nodes) {
    const def = getOpDef(node.op, node.domain)!;
    const ctx = opts.partial ? new PartialContext(node, model, opsetFor(graph, node.domain)) : new OpContext(node, model, opsetFor(graph, node.domain));
    if (opts.partial && node.inputs.some((v) => v && !infoOf(v))) continue;
    const inputs = node.inputs.map((v, i) => {
      if (!v) return null;
      const info = infoOf(v);
      if (!info) throw ctx.error('InvalidModel', `input ${i} '${v.name}' has no known type (a graph input without a type?)`);
      return info;
    });
    const params = paramsOf(def, ctx);
    let outs: ValueInfo[];
    try {
      outs = def.infer(ctx, inputs, params);
    } catch (e) {
      if (ctx instanceof PartialContext && ctx.wantedUnknownValue) continue;
      throw e;
    }
    if (opts.evaluate && outs.some((o) => !o.value) && inputs.every((i) => i === null || i.value)) {
      const size = outs.reduce((s, o) => s + (o.shape?.reduce<number>((a, d) => a * (typeof d === 'number' ? d : Infinity), 1) ?? Infinity), 0);
      if (size <= (opts.maxFoldElements ?? Infinity)) {
        const values = opts.evaluate(node, inputs.map((i) => i?.value ?? null), ctx);
        values.forEach((t, k) => {
          if (outs[k]) outs[k] = { dtype: t.type, shape: [...t.dims], value: t };
        });
      }
    }
    node.outputs.forEach((v, k) => {
      const o = outs[k];
      if (o) infos.set(v, o);
    });
  }
  // A graph output folded to a constant is read by no node: give it its info too.
  for (const v of graph.outputs) infoOf(v);
  return infos;
}

export function opsetFor(graph: Graph, domain: string): number {
  const d = domain === 'ai.onnx' ? '' : domain;
  return graph.opsets.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version ?? (d === '' ? graph.opset : 1);
}

/** Write inferred dtypes and shapes back onto the values (for printing and export). */
export function annotate(graph: Graph, infos: Map<Value, ValueInfo>): void {
  for (const [v, info] of infos) {
    if (!v.dtype) v.dtype = info.dtype;
    if (!v.shape || v.shape.some((d) => d === null)) v.shape = info.shape ? [...info.shape] : v.shape;
  }
}
