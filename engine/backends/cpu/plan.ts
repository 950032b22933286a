// A plan: the graph at concrete input shapes. Constant subgraphs are folded, every remaining
// tensor gets an arena offset from the memory planner, and each node is prepared into a
// closure. Plans are cached per input-shape signature by the executable.
import { EdgeRunError } from '../../errors.js';
import { MAX_ARENA_BYTES, formatBytes } from '../../../kernels/arena.js';
import type { Runtime } from '../../../kernels/runtime.js';
import type { Graph, Node, Value } from '../../graph/ir.js';
import { inferGraph, opsetFor } from '../../graph/infer.js';
import { getOpDef, OpContext, paramsOf, type ValueInfo } from '../../ops/registry.js';
import { isKnown } from '../../ops/dims.js';
import { planMemory, type BufferRequest, type MemoryPlan } from '../../passes/memory-plan.js';
import { sizeOf, type Tensor } from '../../tensor.js';
import { bytesOf, viewOf, writeTensor } from './arena-tensors.js';
import { cpuEvaluator } from './evaluate.js';
import { getCpuKernel, type CpuTensor } from './kernel-def.js';

export interface PlanStep {
  node: Node;
  run: () => void;
}

export interface Plan {
  steps: PlanStep[];
  /** Arena address of every non-constant value the run touches. */
  address: Map<Value, number>;
  infos: Map<Value, ValueInfo>;
  memory: MemoryPlan;
  block: number;
  requests: BufferRequest[];
  dispose(): void;
}

/** Resources that outlive a plan (packed weights, placed constants), keyed per node. */
export class KeepStore {
  private readonly items = new Map<string, { value: unknown; free?: (v: unknown) => void }>();
  get<T>(key: string, make: () => T, free?: (t: T) => void): T {
    const hit = this.items.get(key);
    if (hit) return hit.value as T;
    const value = make();
    this.items.set(key, { value, free: free as (v: unknown) => void });
    return value;
  }
  dispose(): void {
    for (const { value, free } of this.items.values()) free?.(value);
    this.items.clear();
  }
}

export function createPlan(graph: Graph, rt: Runtime, model: string, feeds: Map<Value, ValueInfo>, keep: KeepStore, nodeIds: Map<Node, number>): Plan {
  const infos = inferGraph(graph, { model, inputs: feeds, evaluate: cpuEvaluator(rt) });
  const isConst = (v: Value) => !!infos.get(v)?.value && !feeds.has(v);
  const steps = graph.nodes.filter((n) => n.outputs.some((o) => !isConst(o)));

  // Storage roots: an aliasing output shares its input's root buffer.
  const root = new Map<Value, Value>();
  const rootOf = (v: Value): Value => root.get(v) ?? v;
  for (const node of steps) {
    const def = getOpDef(node.op, node.domain)!;
    const kernel = getCpuKernel(node.op, node.domain);
    if (!kernel) throw new EdgeRunError('UnsupportedOperator', `model '${model}': ${node.label} has no CPU kernel`);
    const params = paramsOf(def, new OpContext(node, model, opsetFor(graph, node.domain)));
    for (const [o, i] of kernel.aliases?.(params) ?? []) {
      const src = node.inputs[i];
      if (src && !isConst(src)) root.set(node.outputs[o], rootOf(src));
    }
  }

  // Lifetimes per root, in schedule steps; feeds are written before step 0, outputs read after the last.
  const life = new Map<Value, { first: number; last: number }>();
  const touch = (v: Value, step: number) => {
    if (isConst(v)) return;
    const r = rootOf(v);
    const l = life.get(r);
    if (!l) life.set(r, { first: step, last: step });
    else {
      l.first = Math.min(l.first, step);
      l.last = Math.max(l.last, step);
    }
  };
  for (const v of graph.inputs) if (feeds.has(v)) touch(v, -1);
  steps.forEach((node, s) => {
    node.inputs.forEach((v) => v && touch(v, s));
    node.outputs.forEach((v) => touch(v, s));
  });
  for (const v of graph.outputs) touch(v, steps.length);

  const roots = [...life.keys()];
  const requests: BufferRequest[] = roots.map((v, id) => {
    const info = infos.get(v);
    if (!info || !isKnown(info.shape)) {
      throw new EdgeRunError('Internal', `model '${model}': tensor '${v.name}' has no concrete shape at plan time`);
    }
    const bytes = bytesOf(info.dtype, info.shape);
    if (bytes > MAX_ARENA_BYTES) {
      throw new EdgeRunError(
        'OutOfMemory',
        `model '${model}': tensor '${v.name}'${v.producer ? ` (output of ${v.producer.label})` : ''} of shape [${info.shape.join(', ')}] needs ${formatBytes(bytes)}, more than the 4 GiB WebAssembly can address`,
        { model, tensor: v.name, node: v.producer?.name },
      );
    }
    const l = life.get(v)!;
    return { id, bytes, first: l.first, last: l.last, name: v.name };
  });
  const memory = planMemory(requests);
  const block = rt.arena.alloc(memory.peak, `activations of model '${model}' (planned peak)`);
  const address = new Map<Value, number>();
  roots.forEach((v, id) => address.set(v, block + memory.offsets.get(id)!));
  for (const v of root.keys()) address.set(v, address.get(rootOf(v))!);

  const prepared: PlanStep[] = [];
  try {
    for (const node of steps) {
      const run = prepareNode(graph, rt, model, node, infos, address, isConst, keep, nodeIds);
      if (run) prepared.push({ node, run });
    }
  } catch (e) {
    rt.arena.free(block);
    throw e;
  }
  return {
    steps: prepared,
    address,
    infos,
    memory,
    block,
    requests,
    dispose: () => rt.arena.free(block),
  };
}

function prepareNode(
  graph: Graph,
  rt: Runtime,
  model: string,
  node: Node,
  infos: Map<Value, ValueInfo>,
  address: Map<Value, number>,
  isConst: (v: Value) => boolean,
  keep: KeepStore,
  nodeIds: Map<Node, number>,
): (() => void) | null {
  const def = getOpDef(node.op, node.domain)!;
  const kernel = getCpuKernel(node.op, node.domain)!;
  const op = new OpContext(node, model, opsetFor(graph, node.domain));
  const params = paramsOf(def, op);
  const id = nodeIds.get(node) ?? -1;
  const tensorOf = (v: Value, slot: string): CpuTensor => {
    const info = infos.get(v)!;
    const dims = info.shape as number[];
    const size = sizeOf(dims);
    if (isConst(v)) {
      const value = info.value as Tensor;
      return {
        dtype: info.dtype,
        dims,
        size,
        value,
        // Constants reach the arena only when a kernel asks for their address.
        get ptr() {
          return keep.get(`${id}:${slot}:const`, () => {
            const p = rt.arena.alloc(bytesOf(value.type, value.dims), `constant '${v.name}'`);
            writeTensor(rt.arena, value, p);
            return p;
          }, (p) => rt.arena.free(p));
        },
      };
    }
    return { dtype: info.dtype, dims, size, value: null, ptr: address.get(v)! };
  };
  const inputs = node.inputs.map((v, i) => (v ? tensorOf(v, `in${i}`) : null));
  const outputs = node.outputs.map((v, i) => tensorOf(v, `out${i}`));
  const aliased = kernel.aliases?.(params) ?? [];
  if (aliased.length === outputs.length && aliased.every(([o, i]) => !isConst(node.inputs[i]!) || isConst(node.outputs[o]))) {
    const allRooted = aliased.every(([o, i]) => address.get(node.outputs[o]) === address.get(node.inputs[i]!));
    if (allRooted) return null;
  }
  return withNodeContext(op, () => kernel.prepare({
    rt,
    node,
    params,
    op,
    inputs,
    outputs,
    keep: (k, make, free) => keep.get(`${id}:${k}`, make, free),
    view: (t) => viewOf(rt.arena, t.dtype, t.ptr, t.size),
    error: (code, msg) => op.error(code, msg),
  }));
}

/**
 * Kernels name their own arguments ("LSTM: hidden_size ..."); errors reaching the user also name
 * the model and node. Errors that already do pass through unchanged; so do their codes.
 */
export function withNodeContext<T>(op: OpContext, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EdgeRunError && !e.message.includes(`model '${op.model}'`)) {
      const wrapped = op.error(e.code, e.message.replace(/^\w+: /, ''));
      throw wrapped;
    }
    throw e;
  }
}
