// The input projection of a recurrent cell: G[rows × N] = X[rows × I]·Wᵀ + bias over all time
// steps at once, from W packed in panels.
import type { Runtime } from './runtime.js';
import type { PackedPanels } from './rnn-pack.js';

export function projectInputs(rt: Runtime, w: PackedPanels, I: number, xPtr: number, rows: number, gPtr: number): void {
  const gemv = rt.wasm!.rnn_gemv;
  const panels = w.N / 8;
  for (let r = 0; r < rows; r++) gemv(I, xPtr + r * I * 4, w.ptr, panels, 0, gPtr + r * w.N * 4);
}
