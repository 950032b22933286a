// Every build this process can run, so each kernel test covers both WASM flavours and the
// reference runtime. Relaxed SIMD is switched on in-process on Node 20.
import { enableRelaxedSimdInNode } from '../../engine/platform.js';
import { createRuntimeSync, type Runtime } from '../../kernels/runtime.js';

await enableRelaxedSimdInNode();

export const RUNTIMES: Runtime[] = (['relaxed', 'baseline', 'reference'] as const).map((b) => createRuntimeSync(b));
export const WASM_RUNTIMES: Runtime[] = RUNTIMES.filter((r) => r.wasm !== null);

import * as assert from 'uvu/assert';
import { EdgeRunError } from '../../engine/errors.js';

/** Asserts that fn throws an EdgeRunError with the given code whose message matches `pattern`. */
export function expectEdgeRunError(fn: () => unknown, code: string, pattern?: RegExp): EdgeRunError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof EdgeRunError)) assert.unreachable(`expected EdgeRunError ${code}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.is((e as EdgeRunError).code, code, `error code for: ${(e as Error).message}`);
    if (pattern) assert.match((e as EdgeRunError).message, pattern);
    return e as EdgeRunError;
  }
  assert.unreachable(`expected EdgeRunError ${code}, nothing was thrown`);
  throw new Error('unreachable');
}
