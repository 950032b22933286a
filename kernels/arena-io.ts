// The copy-in / copy-out frame of the convenience APIs: typed arrays into fresh arena blocks, a
// pointer-API call on them, the result back out, the blocks freed whatever happens.
import type { Runtime } from './runtime.js';

/**
 * Copies `input` into a new arena block and allocates another of out.length floats (holding
 * `out`'s values first when `preload`), runs `run(inPtr, outPtr)`, then copies that block into
 * `out`. Both blocks are freed, also when an allocation or `run` throws.
 */
export function withArenaBuffers(
  rt: Runtime,
  input: Float32Array,
  inLabel: string,
  out: Float32Array,
  outLabel: string,
  preload: boolean,
  run: (inPtr: number, outPtr: number) => void,
): void {
  const arena = rt.arena;
  const inPtr = arena.alloc(input.length * 4, inLabel);
  let outPtr = -1;
  try {
    outPtr = arena.alloc(out.length * 4, outLabel);
    arena.f32(inPtr, input.length).set(input);
    if (preload) arena.f32(outPtr, out.length).set(out);
    run(inPtr, outPtr);
    out.set(arena.f32(outPtr, out.length));
  } finally {
    if (outPtr >= 0) arena.free(outPtr);
    arena.free(inPtr);
  }
}
