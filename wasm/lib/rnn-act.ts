// Activations of the recurrent cells (the ONNX list for LSTM/GRU/RNN), vectorized.
// The gates evaluate 3–5 transcendental functions per hidden unit and step, so exp here builds
// 2^n with the magic-bias trick (round and convert in one add, exponent by one shift) instead of
// nearest + trunc_sat, which V8 lowers to a long x64 sequence. Same Cephes polynomial and
// two-constant ln2 reduction as vmath's vexp, so the accuracy (~2 ulp) is the same.
import { madd } from './vmath';

const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.3365478515625;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// 1.5·2^23 + 127: adding it rounds x·log2e to an integer n held in the low mantissa bits, already
// offset by the exponent bias, so shifting the bits left by 23 yields the float 2^n.
const MAGIC_BIAS: f32 = 12583039.0;

@inline
export function fexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.splat(EXP_HI), f32x4.pmax(f32x4.splat(EXP_LO), x));
  let n = madd(x, f32x4.splat(LOG2E), f32x4.splat(MAGIC_BIAS));
  const pow2n = i32x4.shl(n, 23);
  n = f32x4.sub(n, f32x4.splat(MAGIC_BIAS));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = madd(f32x4.splat(<f32>1.9875691500e-4), r, f32x4.splat(<f32>1.3981999507e-3));
  p = madd(p, r, f32x4.splat(<f32>8.3334519073e-3));
  p = madd(p, r, f32x4.splat(<f32>4.1665795894e-2));
  p = madd(p, r, f32x4.splat(<f32>1.6666665459e-1));
  p = madd(p, r, f32x4.splat(<f32>5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  return f32x4.mul(p, pow2n);
}

@inline
export function fsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, fexp(f32x4.neg(x))));
}

// Odd polynomial near zero (where 1 - 2/(e^2x + 1) cancels), the exp form elsewhere.
@inline
export function ftanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(fexp(f32x4.add(x, x)), one)));
  const z = f32x4.mul(x, x);
  let p = madd(f32x4.splat(<f32>-5.70498872745e-3), z, f32x4.splat(<f32>2.06390887954e-2));
  p = madd(p, z, f32x4.splat(<f32>-5.37397155531e-2));
  p = madd(p, z, f32x4.splat(<f32>1.33314422036e-1));
  p = madd(p, z, f32x4.splat(<f32>-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), x, x);
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(<f32>0.625)));
}

// log(1 + u) for u in [0, 1] via 2·atanh(s), s = u / (2 + u) ≤ 1/3: the odd series to s¹¹ is
// accurate to ~1e-7 there, and s is formed from u directly, so tiny u keeps its precision.
@inline
function log1pUnit(u: v128): v128 {
  const s = f32x4.div(u, f32x4.add(f32x4.splat(2), u));
  const s2 = f32x4.mul(s, s);
  let p = madd(f32x4.splat(<f32>(1.0 / 11.0)), s2, f32x4.splat(<f32>(1.0 / 9.0)));
  p = madd(p, s2, f32x4.splat(<f32>(1.0 / 7.0)));
  p = madd(p, s2, f32x4.splat(<f32>(1.0 / 5.0)));
  p = madd(p, s2, f32x4.splat(<f32>(1.0 / 3.0)));
  p = madd(p, s2, f32x4.splat(1));
  return f32x4.mul(f32x4.add(s, s), p);
}

// Activation codes: keep in the order of RNN_ACT_CODES in kernels/rnn-common.ts.
export const SIGMOID: i32 = 0;
export const TANH: i32 = 1;
export const RELU: i32 = 2;
export const AFFINE: i32 = 3;
export const LEAKY_RELU: i32 = 4;
export const THRESHOLDED_RELU: i32 = 5;
export const SCALED_TANH: i32 = 6;
export const HARD_SIGMOID: i32 = 7;
export const ELU: i32 = 8;
export const SOFTSIGN: i32 = 9;
export const SOFTPLUS: i32 = 10;

// Callers pass compile-time constant codes for the default activations (the branches then fold
// away) and run-time codes otherwise (one predictable branch chain per vector).
@inline
export function rnnAct(x: v128, code: i32, alpha: f32, beta: f32): v128 {
  const zero = f32x4.splat(0);
  if (code == SIGMOID) return fsigmoid(x);
  if (code == TANH) return ftanh(x);
  if (code == RELU) return f32x4.pmax(zero, x);
  if (code == AFFINE) return madd(x, f32x4.splat(alpha), f32x4.splat(beta));
  if (code == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.ge(x, zero));
  if (code == THRESHOLDED_RELU) return v128.and(x, f32x4.gt(x, f32x4.splat(alpha)));
  if (code == SCALED_TANH) return f32x4.mul(f32x4.splat(alpha), ftanh(f32x4.mul(x, f32x4.splat(beta))));
  if (code == HARD_SIGMOID) {
    const y = madd(x, f32x4.splat(alpha), f32x4.splat(beta));
    return f32x4.pmin(f32x4.splat(1), f32x4.pmax(zero, y));
  }
  if (code == ELU) {
    const e = f32x4.mul(f32x4.splat(alpha), f32x4.sub(fexp(x), f32x4.splat(1)));
    return v128.bitselect(x, e, f32x4.ge(x, zero));
  }
  if (code == SOFTSIGN) return f32x4.div(x, f32x4.add(f32x4.splat(1), f32x4.abs(x)));
  // softplus(x) = max(x, 0) + log(1 + e^-|x|): no overflow for large |x|.
  return f32x4.add(f32x4.pmax(zero, x), log1pUnit(fexp(f32x4.neg(f32x4.abs(x)))));
}

/** Activation table entry n: {i32 code, f32 alpha, f32 beta}, 12 bytes each. */
@inline
export function actCode(table: usize, n: i32): i32 {
  return load<i32>(table + <usize>n * 12);
}
@inline
export function actAlpha(table: usize, n: i32): f32 {
  return load<f32>(table + <usize>n * 12, 4);
}
@inline
export function actBeta(table: usize, n: i32): f32 {
  return load<f32>(table + <usize>n * 12, 8);
}
