// gemmlowp's fixed-point exp and reciprocal (fixedpoint.h), scalar, for the int8 softmax; the
// scalar twin of kernels/reference/int8/softmax.ts (see there for the provenance).
import { srdhmScalar as srdhm, rdbpotScalar as rdbpot } from './requant';

@inline
export function srmPot(x: i32, e: i32): i32 {
  if (e == 0) return x;
  if (e < 0) return rdbpot(x, -e);
  const threshold = (1 << (31 - e)) - 1;
  if (x > threshold) return i32.MAX_VALUE;
  if (x < -threshold) return i32.MIN_VALUE;
  return x << e;
}

@inline
function roundingHalfSum(a: i32, b: i32): i32 {
  const sum = <i64>a + <i64>b;
  return <i32>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

function expQuarter(a: i32): i32 {
  const c: i32 = 1895147668;
  const x = a + (1 << 28);
  const x2 = srdhm(x, x), x3 = srdhm(x2, x), x4 = srdhm(x2, x2);
  const poly = rdbpot(srdhm(rdbpot(x4, 2) + x3, 715827883) + x2, 1);
  return c + srdhm(c, x + poly);
}

/** exp(a) for a ≤ 0 in Q5.26, result Q0.31. */
export function expOnNegativeQ5(a: i32): i32 {
  const quarter: i32 = 1 << 24;
  const m = (a & (quarter - 1)) - quarter;
  let r = expQuarter(srmPot(m, 5));
  const rem = m - a;
  if (rem & (1 << 24)) r = srdhm(r, 1672461947);
  if (rem & (1 << 25)) r = srdhm(r, 1302514674);
  if (rem & (1 << 26)) r = srdhm(r, 790015084);
  if (rem & (1 << 27)) r = srdhm(r, 290630308);
  if (rem & (1 << 28)) r = srdhm(r, 39332535);
  if (rem & (1 << 29)) r = srdhm(r, 720401);
  if (rem & (1 << 30)) r = srdhm(r, 242);
  return a == 0 ? i32.MAX_VALUE : r;
}

/** 1/(1 + a) for a in [0, 1), Q0.31. */
export function oneOverOnePlusX(a: i32): i32 {
  const half = roundingHalfSum(a, i32.MAX_VALUE);
  let x = 1515870810 + srdhm(half, -1010580540);
  for (let i = 0; i < 3; i++) x = x + srmPot(srdhm(x, (1 << 29) - srdhm(half, x)), 2);
  return srmPot(x, 1);
}
