// What every kind of packed weights shares: one arena block owned by one runtime (ptr -1 when a
// reference build keeps the weights on the host), freed exactly once, and the check a kernel
// makes before it reads them.
import { EdgeRunError } from '../engine/errors.js';
import type { Runtime } from './runtime.js';

export abstract class PackedArenaWeights {
  private freed = false;
  constructor(
    readonly rt: Runtime,
    readonly ptr: number,
  ) {}
  /** How a second free() names these weights, e.g. 'packed GEMM weights'. */
  protected abstract get what(): string;
  free(): void {
    if (this.freed) throw new EdgeRunError('InvalidArgument', `${this.what} were already freed`);
    this.freed = true;
    if (this.ptr >= 0) this.rt.arena.free(this.ptr);
  }
  get isFreed(): boolean {
    return this.freed;
  }
}

/**
 * Throws unless `packed` is a live `kind` of this runtime; `packer` names the function that makes
 * one. Runs on every pointer call: the throwing part is kept apart so this stays small enough
 * for V8 to inline beside the other checks.
 */
export function checkPackedWeights<T extends PackedArenaWeights>(
  rt: Runtime,
  packed: unknown,
  kind: abstract new (...args: never[]) => T,
  packer: string,
  where: string,
): asserts packed is T {
  if (!(packed instanceof kind) || packed.rt !== rt || packed.isFreed) throwPackedWeights(rt, packed, kind, packer, where);
}

function throwPackedWeights(rt: Runtime, packed: unknown, kind: abstract new (...args: never[]) => PackedArenaWeights, packer: string, where: string): never {
  if (!(packed instanceof kind)) throw new EdgeRunError('InvalidArgument', `${where}: packed must come from ${packer}`);
  if (packed.rt !== rt) throw new EdgeRunError('InvalidArgument', `${where}: packed weights belong to another runtime (${packed.rt.build}), not this ${rt.build} runtime`);
  throw new EdgeRunError('InvalidArgument', `${where}: packed weights were freed`);
}
