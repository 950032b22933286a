// Vector transcendental functions shared by activations, softmax and the recurrent cells.
// exp follows Cephes expf: range reduction by ln2 (split in two constants so the reduction is
// exact), a degree-5 minimax polynomial, and 2^n built in the exponent bits. Max error ~2 ulp.

const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.3365478515625; // smallest x with a normal result; below it we return exp(EXP_LO)
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

@inline
export function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.splat(EXP_HI), f32x4.pmax(f32x4.splat(EXP_LO), x));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(<f32>1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
  // 2^n: n is in [-126, 127] after the clamp, so the biased exponent stays normal.
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2n);
}

@inline
export function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

// tanh: odd polynomial near zero (where 1 - 2/(e^2x + 1) cancels), exp formula elsewhere.
@inline
export function vtanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(x, x)), one)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(<f32>-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(<f32>-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(<f32>0.625)));
}

// a*b + c: one fused instruction in the relaxed build, mul+add in the baseline build.
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
