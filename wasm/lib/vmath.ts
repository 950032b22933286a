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

// ---- Full-range variants (appended for the elementwise kernels) ----------------------------
// vexp above clamps its input, so exp(+Inf) is FLT_MAX, exp(-100) is FLT_MIN and exp(NaN) is
// FLT_MIN: fine inside softmax-like expressions, wrong for an Exp operator. The functions below
// keep IEEE behaviour at the edges: overflow to +Inf, gradual underflow to 0, NaN in → NaN out.

// Past these the result is +Inf resp. rounds to 0; clamping here keeps 2^n buildable.
const EXPF_CLAMP_HI: f32 = 89.0;
const EXPF_CLAMP_LO: f32 = -104.0;

/** e^x over the whole float range (denormal results included). Max error ~2 ulp. */
@inline
export function vexpFull(x: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x, so a NaN lane passes through both clamps.
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXPF_CLAMP_LO)), f32x4.splat(EXPF_CLAMP_HI));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(<f32>1.9875691500e-4);
  p = madd(p, r, f32x4.splat(<f32>1.3981999507e-3));
  p = madd(p, r, f32x4.splat(<f32>8.3334519073e-3));
  p = madd(p, r, f32x4.splat(<f32>4.1665795894e-2));
  p = madd(p, r, f32x4.splat(<f32>1.6666665459e-1));
  p = madd(p, r, f32x4.splat(<f32>5.0000001201e-1));
  p = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  // n is in [-150, 129]: 2^n does not fit one normal float, so scale by 2^(n/2) twice. The first
  // product is exact; the second rounds once, into a denormal or to Inf where it must.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^x - 1 without the cancellation near 0 (ELU, SELU). */
@inline
export function vexpm1(x: v128): v128 {
  // |x| < 0.35: Taylor series to x^7 (truncation < 2e-8 relative); elsewhere exp(x) - 1 loses
  // less than an ulp of the result.
  let p = f32x4.splat(<f32>(1.0 / 5040.0));
  p = madd(p, x, f32x4.splat(<f32>(1.0 / 720.0)));
  p = madd(p, x, f32x4.splat(<f32>(1.0 / 120.0)));
  p = madd(p, x, f32x4.splat(<f32>(1.0 / 24.0)));
  p = madd(p, x, f32x4.splat(<f32>(1.0 / 6.0)));
  p = madd(p, x, f32x4.splat(<f32>0.5));
  const small = madd(f32x4.mul(x, x), p, x);
  const big = f32x4.sub(vexpFull(x), f32x4.splat(1));
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(<f32>0.35)));
}

const SQRT_HALF: f32 = 0.707106781186547524;

/** Natural log, Cephes logf style: log(x) = e·ln2 + log1p(f), f in [sqrt(.5)-1, sqrt(2)-1). */
@inline
export function vlog(x: v128): v128 {
  // Denormals: scale into the normal range first so the exponent field is the whole exponent.
  const tiny = f32x4.lt(x, f32x4.splat(<f32>1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(<f32>8388608.0)), x, tiny);
  let e = i32x4.sub(i32x4.shr_u(xs, 23), i32x4.splat(126));
  e = i32x4.sub(e, v128.and(tiny, i32x4.splat(23)));
  const m = v128.or(v128.and(xs, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const below = f32x4.lt(m, f32x4.splat(SQRT_HALF));
  e = i32x4.add(e, below); // mask lanes are -1
  const f = f32x4.sub(f32x4.add(m, v128.and(m, below)), f32x4.splat(1));
  const z = f32x4.mul(f, f);
  let p = f32x4.splat(<f32>7.0376836292e-2);
  p = madd(p, f, f32x4.splat(<f32>-1.1514610310e-1));
  p = madd(p, f, f32x4.splat(<f32>1.1676998740e-1));
  p = madd(p, f, f32x4.splat(<f32>-1.2420140846e-1));
  p = madd(p, f, f32x4.splat(<f32>1.4249322787e-1));
  p = madd(p, f, f32x4.splat(<f32>-1.6668057665e-1));
  p = madd(p, f, f32x4.splat(<f32>2.0000714765e-1));
  p = madd(p, f, f32x4.splat(<f32>-2.4999993993e-1));
  p = madd(p, f, f32x4.splat(<f32>3.3333331174e-1));
  const fe = f32x4.convert_i32x4_s(e);
  let y = f32x4.mul(f32x4.mul(p, f), z);
  y = madd(fe, f32x4.splat(LN2_LO), y);
  y = madd(z, f32x4.splat(<f32>-0.5), y);
  let r = f32x4.add(f, y);
  r = madd(fe, f32x4.splat(LN2_HI), r);
  // log(±0) = -Inf, log(x < 0) = NaN, log(+Inf) = +Inf, log(NaN) = NaN.
  r = v128.bitselect(f32x4.splat(<f32>-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  r = v128.bitselect(f32x4.splat(<f32>NaN), r, f32x4.lt(x, f32x4.splat(0)));
  return v128.bitselect(x, r, v128.or(f32x4.ne(x, x), f32x4.eq(x, f32x4.splat(<f32>Infinity))));
}

/** log(1 + t), accurate for tiny t: log(u)·t/(u-1) with u = 1+t cancels u's rounding error. */
@inline
export function vlog1p(t: v128): v128 {
  const u = f32x4.add(t, f32x4.splat(1));
  const d = f32x4.sub(u, f32x4.splat(1));
  const r = f32x4.mul(vlog(u), f32x4.div(t, d));
  // d == 0: 1+t rounded to 1, log1p(t) = t. t = +Inf: Inf/Inf would be NaN.
  const exact = v128.or(f32x4.eq(d, f32x4.splat(0)), f32x4.eq(t, f32x4.splat(<f32>Infinity)));
  return v128.bitselect(t, r, exact);
}

/** NaN lanes of x pass through to the result (for approximations that lose them). */
@inline
export function keepNaN(x: v128, y: v128): v128 {
  return v128.bitselect(x, y, f32x4.ne(x, x));
}
