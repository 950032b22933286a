// Operator definitions independent of any backend: attribute parsing and checking, output
// dtype/shape inference (symbolic dims allowed), and MAC counts for summaries. Backends register
// their implementations separately (engine/backends/cpu/ops/...).
import { EdgeRunError, type EdgeRunErrorCode } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';
import type { Dim, Node } from '../graph/ir.js';

/** What is known about a value while inferring: dtype, shape, and the tensor if constant. */
export interface ValueInfo {
  dtype: DType;
  shape: Dim[] | null;
  /** Known value (an initializer, a folded constant, or a small feed used as a shape). */
  value: Tensor | null;
}

export class OpContext {
  constructor(
    readonly node: Node,
    readonly model: string,
    readonly opset: number,
  ) {}

  /** An error naming model and node. */
  error(code: EdgeRunErrorCode, message: string): EdgeRunError {
    return new EdgeRunError(code, `model '${this.model}': ${this.node.label}: ${message}`, {
      model: this.model,
      node: this.node.name,
      op: this.node.op,
    });
  }

  /** Input `i` (required): its info, or an error naming the input. */
  input(inputs: readonly (ValueInfo | null)[], i: number, what = `input ${i}`): ValueInfo {
    const v = inputs[i];
    if (!v) throw this.error('InvalidModel', `${what} is required but missing`);
    return v;
  }

  /** Input `i` must be a known constant (an initializer or derived from shapes). */
  constant(inputs: readonly (ValueInfo | null)[], i: number, what = `input ${i}`): Tensor {
    const v = this.input(inputs, i, what);
    if (!v.value) {
      throw this.error(
        'UnsupportedFeature',
        `${what} ('${this.node.inputs[i]?.name}') must be known before running (a constant, or computed from shapes); data-dependent ${what} is not supported`,
      );
    }
    return v.value;
  }

  expectDType(v: ValueInfo, allowed: readonly DType[], what: string): void {
    if (!allowed.includes(v.dtype)) {
      throw this.error('DTypeMismatch', `${what} ('${this.tensorName(what)}') has type ${v.dtype}; expected ${allowed.join(' or ')}`);
    }
  }

  expectRank(v: ValueInfo, rank: number | ((r: number) => boolean), what: string, want?: string): void {
    if (v.shape === null) return;
    const ok = typeof rank === 'number' ? v.shape.length === rank : rank(v.shape.length);
    if (!ok) {
      throw this.error('ShapeMismatch', `${what} has rank ${v.shape.length} (shape [${v.shape.join(', ')}]); expected ${want ?? `rank ${rank}`}`);
    }
  }

  private tensorName(what: string): string {
    const m = /input (\d+)/.exec(what);
    return m ? (this.node.inputs[Number(m[1])]?.name ?? '?') : what;
  }
}

export interface OpDef<P = unknown> {
  readonly type: string;
  /** '' = ai.onnx. */
  readonly domain?: string;
  /** Read and check the attributes once per node. */
  params(ctx: OpContext): P;
  /** Output infos from input infos. `value` may be filled when cheap to compute (shape ops). */
  infer(ctx: OpContext, inputs: readonly (ValueInfo | null)[], params: P): ValueInfo[];
  /** Multiply-accumulates per run, for summaries. Dims are concrete when called. */
  macs?(inputs: readonly (ValueInfo | null)[], outputs: readonly ValueInfo[], params: P): number;
}

const registry = new Map<string, OpDef<any>>();

function key(domain: string | undefined, type: string): string {
  return `${domain === 'ai.onnx' ? '' : (domain ?? '')}::${type}`;
}

export function defineOp<P>(def: OpDef<P>): OpDef<P> {
  registry.set(key(def.domain, def.type), def);
  return def;
}

export function getOpDef(type: string, domain = ''): OpDef<unknown> | undefined {
  return registry.get(key(domain, type));
}

export function registeredOps(): string[] {
  return [...registry.keys()].map((k) => k.replace(/^::/, ''));
}

/** Parsed params are cached per node: parsing happens at import, inference and planning. */
const paramCache = new WeakMap<Node, unknown>();

export function paramsOf<P>(def: OpDef<P>, ctx: OpContext): P {
  if (paramCache.has(ctx.node)) return paramCache.get(ctx.node) as P;
  const p = def.params(ctx);
  paramCache.set(ctx.node, p);
  return p;
}

/** Drop cached params after a pass rewrote a node's attributes in place. */
export function forgetParams(node: Node): void {
  paramCache.delete(node);
}
