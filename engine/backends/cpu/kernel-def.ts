// How an operator runs on the CPU backend. At plan time (shapes concrete, arena addresses
// fixed) `prepare` packs weights and returns a closure that runs the node; the run loop then
// only calls closures. Every tensor lives in the runtime's arena.
import type { EdgeRunError, EdgeRunErrorCode } from '../../errors.js';
import type { DType, Tensor, TypedData } from '../../tensor.js';
import type { Node } from '../../graph/ir.js';
import type { Runtime } from '../../../kernels/runtime.js';
import type { OpContext } from '../../ops/registry.js';

export interface CpuTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Element count. */
  readonly size: number;
  /** Arena address. For a constant input the constant is placed in the arena on first access. */
  readonly ptr: number;
  /** The tensor's value when it is a constant (weights, folded shapes). */
  readonly value: Tensor | null;
}

export interface CpuPrepareContext<P> {
  readonly rt: Runtime;
  readonly node: Node;
  readonly params: P;
  readonly op: OpContext;
  /** null marks an omitted optional input. */
  readonly inputs: readonly (CpuTensor | null)[];
  readonly outputs: readonly CpuTensor[];
  /**
   * A resource that outlives this plan (packed weights): made once per node and executable,
   * reused by later plans (other batch sizes), freed when the session is released.
   */
  keep<T>(key: string, make: () => T, free?: (t: T) => void): T;
  /** A typed view of an arena tensor. Make it inside the run closure: memory growth detaches views. */
  view(t: CpuTensor): TypedData;
  error(code: EdgeRunErrorCode, message: string): EdgeRunError;
}

export interface CpuKernelDef<P = any> {
  readonly type: string;
  readonly domain?: string;
  /**
   * Outputs that are the same bytes as an input (Reshape, Flatten, Squeeze, Identity...):
   * [output index, input index] pairs. No closure runs for them when every output aliases.
   */
  aliases?(params: P): readonly [number, number][];
  prepare(ctx: CpuPrepareContext<P>): () => void;
}

const kernels = new Map<string, CpuKernelDef>();

function key(domain: string | undefined, type: string): string {
  return `${domain === 'ai.onnx' ? '' : (domain ?? '')}::${type}`;
}

export function defineCpuKernel<P>(def: CpuKernelDef<P>): CpuKernelDef<P> {
  kernels.set(key(def.domain, def.type), def);
  return def;
}

export function getCpuKernel(type: string, domain = ''): CpuKernelDef | undefined {
  return kernels.get(key(domain, type));
}

export function cpuKernelTypes(): string[] {
  return [...kernels.keys()].map((k) => k.replace(/^::/, ''));
}
