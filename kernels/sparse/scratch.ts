// One scratch block per arena and purpose (transposed activations, im2col panels), kept and
// grown across calls so a model's sparse layers do not allocate on every run.
import type { Arena } from '../arena.js';

const blocks = new WeakMap<Arena, Map<string, { ptr: number; bytes: number }>>();

export function scratch(arena: Arena, purpose: string, bytes: number): number {
  let byPurpose = blocks.get(arena);
  if (!byPurpose) {
    byPurpose = new Map();
    blocks.set(arena, byPurpose);
  }
  const have = byPurpose.get(purpose);
  if (have && have.bytes >= bytes) return have.ptr;
  if (have) arena.free(have.ptr);
  byPurpose.delete(purpose);
  const ptr = arena.alloc(bytes, `sparse ${purpose} scratch`);
  byPurpose.set(purpose, { ptr, bytes });
  return ptr;
}
