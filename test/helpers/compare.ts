// Closeness checks with messages that say where and by how much two arrays differ.
import * as assert from 'uvu/assert';

export interface Tolerance {
  rtol: number;
  atol: number;
}

type Numeric = ArrayLike<number>;

/** |a - e| <= atol + rtol * |e| elementwise (numpy.isclose); NaN equals NaN. */
export function assertClose(actual: Numeric, expected: Numeric, tol: Tolerance, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let worst = -1;
  let worstErr = 0;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const err = Math.abs(a - e);
    const ok = err <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok || Number.isNaN(err)) {
      bad++;
      const rel = err / (tol.atol + tol.rtol * Math.abs(e));
      if (Number.isNaN(rel) || rel > worstErr) {
        worstErr = Number.isNaN(rel) ? Infinity : rel;
        worst = i;
      }
    }
  }
  if (bad > 0) {
    assert.unreachable(
      `${what}: ${bad}/${expected.length} elements off; worst at [${worst}]: got ${actual[worst]}, expected ${expected[worst]} (rtol ${tol.rtol}, atol ${tol.atol})`,
    );
  }
}

export function assertEqualArrays(actual: Numeric, expected: Numeric, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i] && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      assert.unreachable(`${what}: first difference at [${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}
