// Activation fusion: Conv/Gemm followed by an activation (Relu, Clip with constant bounds,
// LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu) becomes one ai.edgerun FusedConv /
// FusedGemm whose kernel applies the activation in its epilogue, while the output tile is
// still in registers: one pass over memory instead of two.
import type { Graph, Node } from '../graph/ir.js';
import { activationOfNode, activationToAttrs, EDGERUN_DOMAIN } from '../ops/fused-activation.js';
import { soleConsumer } from './graph-edit.js';

const FUSABLE: Record<string, string> = { Conv: 'FusedConv', Gemm: 'FusedGemm' };

export function fuseActivations(graph: Graph): Graph {
  const g = graph.clone();
  const consumers = g.consumers();
  const removed = new Set<Node>();
  for (const node of g.nodes) {
    const fused = node.domain === '' ? FUSABLE[node.op] : undefined;
    if (!fused || removed.has(node)) continue;
    const act = soleConsumer(g, consumers, node.outputs[0]);
    if (!act || act.domain !== '' || act.inputs[0] !== node.outputs[0]) continue;
    const activation = activationOfNode(act.op, act, clipBounds(act, g.opset));
    if (!activation) continue;
    node.op = fused;
    node.domain = EDGERUN_DOMAIN;
    const attrs = activationToAttrs(activation);
    node.attrs.set('activation', { type: 'string', value: attrs.activation });
    node.attrs.set('activation_params', { type: 'floats', value: attrs.activation_params });
    node.outputs = [act.outputs[0]];
    act.outputs[0].producer = node;
    removed.add(act);
  }
  if (removed.size && !g.opsets.some((o) => o.domain === EDGERUN_DOMAIN)) g.opsets.push({ domain: EDGERUN_DOMAIN, version: 1 });
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  return g;
}

/** Clip's bounds when they are known constants (attributes before opset 11, inputs after). */
function clipBounds(node: Node, opset: number): [number, number] | undefined {
  if (node.op !== 'Clip') return undefined;
  if (opset < 11) return [node.float('min', -Infinity), node.float('max', Infinity)];
  const min = node.inputs[1];
  const max = node.inputs[2];
  if ((min && !min.constant) || (max && !max.constant)) return undefined;
  return [min ? min.constant!.toNumbers()[0] : -Infinity, max ? max.constant!.toNumbers()[0] : Infinity];
}
