// The CPU backend's executable: checks feeds, picks (or makes) the plan for their shapes,
// copies feeds into the arena, runs the prepared closures, copies the outputs out.
import { EdgeRunError } from '../../errors.js';
import type { Runtime } from '../../../kernels/runtime.js';
import type { Graph, Node, Value } from '../../graph/ir.js';
import { validateGraph } from '../../graph/validate.js';
import { unsupportedError } from '../../graph/infer.js';
import { getOpDef, type ValueInfo } from '../../ops/registry.js';
import { DTYPE_BYTES, Tensor, sizeOf } from '../../tensor.js';
import { MAX_ARENA_BYTES, formatBytes } from '../../../kernels/arena.js';
import { readTensor, writeTensor } from './arena-tensors.js';
import { getCpuKernel } from './kernel-def.js';
import { createPlan, KeepStore, type Plan } from './plan.js';

/** Integer feeds this small are treated as values at plan time (shapes, axes, pads fed as inputs). */
const SHAPE_FEED_MAX = 64;
const MAX_PLANS = 4;

export interface NodeTiming {
  node: Node;
  ms: number;
}

export class CpuExecutable {
  readonly graph: Graph;
  readonly rt: Runtime;
  readonly model: string;
  private readonly keep = new KeepStore();
  private readonly plans = new Map<string, Plan>();
  private readonly nodeIds: Map<Node, number>;
  private disposed = false;

  constructor(graph: Graph, rt: Runtime, model: string) {
    validateGraph(graph, model);
    const missing = graph.nodes.filter((n) => !getOpDef(n.op, n.domain) || !getCpuKernel(n.op, n.domain));
    if (missing.length) throw unsupportedError(graph, missing, model);
    this.graph = graph;
    this.rt = rt;
    this.model = model;
    this.nodeIds = new Map(graph.nodes.map((n, i) => [n, i]));
  }

  /** The plan used for the most recent run (memory figures, schedule). */
  lastPlan: Plan | null = null;

  run(feeds: Record<string, Tensor>, fetch?: readonly string[], timings?: NodeTiming[]): Record<string, Tensor> {
    if (this.disposed) throw new EdgeRunError('InvalidArgument', `model '${this.model}': the session was released`);
    const bound = this.bindFeeds(feeds);
    const plan = this.planFor(bound);
    const arena = this.rt.arena;
    for (const [v, t] of bound) {
      const ptr = plan.address.get(v);
      if (ptr !== undefined) writeTensor(arena, t, ptr);
    }
    if (timings) {
      for (const s of plan.steps) {
        const t0 = performance.now();
        this.runStep(s.node, s.run);
        timings.push({ node: s.node, ms: performance.now() - t0 });
      }
    } else {
      for (const s of plan.steps) this.runStep(s.node, s.run);
    }
    const wanted = fetch ?? this.graph.outputs.map((v) => v.name);
    const out: Record<string, Tensor> = {};
    for (const name of wanted) {
      const v = this.graph.outputs.find((o) => o.name === name);
      if (!v) throw new EdgeRunError('InvalidFeed', `model '${this.model}': no output named '${name}' (outputs: ${this.graph.outputs.map((o) => o.name).join(', ')})`);
      const info = plan.infos.get(v)!;
      const fed = bound.get(v);
      if (fed) out[name] = fed;
      else if (info.value && !plan.address.has(v)) out[name] = info.value;
      else out[name] = readTensor(arena, info.dtype, info.shape as number[], plan.address.get(v)!);
    }
    return out;
  }

  private runStep(node: Node, run: () => void): void {
    try {
      run();
    } catch (e) {
      if (e instanceof EdgeRunError) {
        if (e.message.includes(`model '${this.model}'`)) throw e;
        throw new EdgeRunError(e.code, `model '${this.model}': ${node.label}: ${e.message.replace(/^\w+: /, '')}`, { ...e.where, node: node.name });
      }
      throw new EdgeRunError('Internal', `model '${this.model}': ${node.label} failed: ${(e as Error).message}`, { node: node.name });
    }
  }

  private bindFeeds(feeds: Record<string, Tensor>): Map<Value, Tensor> {
    if (feeds === null || typeof feeds !== 'object') throw new EdgeRunError('InvalidFeed', `model '${this.model}': feeds must be an object of name → Tensor`);
    const inputs = this.graph.inputs;
    const expected = inputs.map((v) => v.name);
    for (const name of Object.keys(feeds)) {
      if (!expected.includes(name)) {
        throw new EdgeRunError('InvalidFeed', `model '${this.model}': feed '${name}' is not an input of the model (inputs: ${expected.join(', ')})`);
      }
    }
    const symbols = new Map<string, { value: number; by: string }>();
    const bound = new Map<Value, Tensor>();
    for (const v of inputs) {
      const t = feeds[v.name];
      if (t === undefined) throw new EdgeRunError('InvalidFeed', `model '${this.model}': input '${v.name}' was not fed`);
      if (!(t instanceof Tensor)) throw new EdgeRunError('InvalidFeed', `model '${this.model}': feed '${v.name}' is not an edgerun Tensor`);
      if (v.dtype && t.type !== v.dtype) {
        throw new EdgeRunError('InvalidFeed', `model '${this.model}': input '${v.name}' expects ${v.dtype}, got ${t.type}`, { tensor: v.name });
      }
      if (v.shape) {
        if (t.dims.length !== v.shape.length) {
          throw new EdgeRunError('InvalidFeed', `model '${this.model}': input '${v.name}' expects rank ${v.shape.length} [${v.shape.join(', ')}], got [${t.dims.join(', ')}]`, { tensor: v.name });
        }
        v.shape.forEach((d, i) => {
          const got = t.dims[i];
          if (typeof d === 'number' && d !== got) {
            throw new EdgeRunError('InvalidFeed', `model '${this.model}': input '${v.name}' dim ${i} must be ${d}, got ${got} (shape [${t.dims.join(', ')}])`, { tensor: v.name });
          }
          if (typeof d === 'string') {
            const prev = symbols.get(d);
            if (prev && prev.value !== got) {
              throw new EdgeRunError('InvalidFeed', `model '${this.model}': dim '${d}' is ${prev.value} in '${prev.by}' but ${got} in '${v.name}'`, { tensor: v.name });
            }
            symbols.set(d, { value: got, by: v.name });
          }
        });
      }
      if (t.type !== 'string' && sizeOf(t.dims) * DTYPE_BYTES[t.type] > MAX_ARENA_BYTES) {
        throw new EdgeRunError('OutOfMemory', `model '${this.model}': input '${v.name}' needs ${formatBytes(sizeOf(t.dims) * DTYPE_BYTES[t.type])}`);
      }
      bound.set(v, t);
    }
    return bound;
  }

  private planFor(bound: Map<Value, Tensor>): Plan {
    const infos = new Map<Value, ValueInfo>();
    const keyParts: string[] = [];
    for (const [v, t] of bound) {
      const asValue = isShapeLike(t);
      infos.set(v, { dtype: t.type, shape: [...t.dims], value: asValue ? t : null });
      keyParts.push(`${v.name}:${t.type}[${t.dims.join(',')}]${asValue ? `=${Array.from(t.data as ArrayLike<unknown>).join(',')}` : ''}`);
    }
    const key = keyParts.join(';');
    let plan = this.plans.get(key);
    if (!plan) {
      if (this.plans.size >= MAX_PLANS) {
        const [oldKey, old] = this.plans.entries().next().value as [string, Plan];
        old.dispose();
        this.plans.delete(oldKey);
      }
      plan = createPlan(this.graph, this.rt, this.model, infos, this.keep, this.nodeIds);
      this.plans.set(key, plan);
    } else {
      // Most recently used last, so eviction drops the oldest.
      this.plans.delete(key);
      this.plans.set(key, plan);
    }
    this.lastPlan = plan;
    return plan;
  }

  dispose(): void {
    for (const p of this.plans.values()) p.dispose();
    this.plans.clear();
    this.keep.dispose();
    this.disposed = true;
  }
}

function isShapeLike(t: Tensor): boolean {
  return (t.type === 'int64' || t.type === 'int32') && t.size <= SHAPE_FEED_MAX;
}
