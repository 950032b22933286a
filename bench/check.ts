// A benchmark of a wrong result is worthless: the harness compares edgerun's output with
// onnxruntime-web's once per case and build before it reports a ratio.

export interface Tolerance {
  rtol: number;
  atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-6 };

/**
 * null when max |actual - expected| <= atol + rtol * max |expected| (a norm-wise bound: long
 * reductions summed in another order differ by a fraction of the largest magnitude, not of
 * each element), else a one-line description of the worst difference.
 */
export function compareOutputs(actual: Float32Array, expected: Float32Array, tol: Tolerance = DEFAULT_TOLERANCE): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != onnxruntime's ${expected.length}`;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const m = Math.abs(expected[i]);
    if (m > scale) scale = m; // skips NaN
  }
  const bound = tol.atol + tol.rtol * scale;
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN on one side only counts as infinitely wrong; NaN on both sides agrees.
    const diff = Number.isNaN(d) ? (Number.isNaN(actual[i]) && Number.isNaN(expected[i]) ? 0 : Infinity) : d;
    if (diff > worstDiff) {
      worstDiff = diff;
      worst = i;
    }
  }
  if (worstDiff <= bound) return null;
  return `max |diff| ${worstDiff.toPrecision(3)} at [${worst}] (got ${actual[worst]}, ort ${expected[worst]}; bound ${bound.toPrecision(3)})`;
}
