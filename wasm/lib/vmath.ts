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
//
// Their constants are read from a static table (`kv`) instead of written as f32x4.splat(c):
// V8 11.3 rebuilds every v128 constant at each use inside a loop with three instructions
// (movabs, vmovq, vpunpcklqdq), more than the polynomial's arithmetic; a table load is one.

const K_ONE = 0;
const K_EXP_LO = 1;      // past this exp(x) rounds to 0 ...
const K_EXP_HI = 2;      // ... and past this it is +Inf; clamping keeps 2^n buildable
const K_LOG2E = 3;
const K_MAGIC = 4;       // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
const K_LN2_HI = 5;
const K_LN2_LO = 6;
const K_EXP_P0 = 7;      // 7..11: exp polynomial, highest degree first
const K_HALF = 12;
const K_BIAS = 13;       // i32 127
const K_EXPM1_P0 = 14;   // 14..18: 1/7! .. 1/3!
const K_EXPM1_SMALL = 19;
const K_FLT_MIN = 20;
const K_2P23 = 21;
const K_I126 = 22;       // i32 126
const K_I23 = 23;        // i32 23
const K_MANT = 24;       // i32 0x007fffff
const K_HALF_BITS = 25;  // i32 0x3f000000
const K_SQRT_HALF = 26;
const K_LOG_P0 = 27;     // 27..35: log polynomial, highest degree first
const K_NEG_HALF = 36;
const K_INF = 37;
const K_NEG_INF = 38;
const K_NAN = 39;
const K_SIGN = 40;       // i32 0x80000000
const K_TANH_LO = 41;
const K_TANH_HI = 42;
const K_TANH_P = 43;     // 43..47: numerator in z = x², highest degree first
const K_TANH_Q = 48;     // 48..51: denominator, highest degree first (constant term 1)

const KTABLE: usize = memory.data<v128>([
  f32x4(1, 1, 1, 1),
  f32x4(-104, -104, -104, -104),
  f32x4(89, 89, 89, 89),
  f32x4(LOG2E, LOG2E, LOG2E, LOG2E),
  f32x4(12582912, 12582912, 12582912, 12582912),
  f32x4(LN2_HI, LN2_HI, LN2_HI, LN2_HI),
  f32x4(LN2_LO, LN2_LO, LN2_LO, LN2_LO),
  f32x4(1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4),
  f32x4(1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3),
  f32x4(8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3),
  f32x4(4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2),
  f32x4(1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1),
  f32x4(0.5, 0.5, 0.5, 0.5),
  i32x4(127, 127, 127, 127),
  f32x4(1.0 / 5040, 1.0 / 5040, 1.0 / 5040, 1.0 / 5040),
  f32x4(1.0 / 720, 1.0 / 720, 1.0 / 720, 1.0 / 720),
  f32x4(1.0 / 120, 1.0 / 120, 1.0 / 120, 1.0 / 120),
  f32x4(1.0 / 24, 1.0 / 24, 1.0 / 24, 1.0 / 24),
  f32x4(1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6),
  f32x4(0.35, 0.35, 0.35, 0.35),
  f32x4(1.17549435e-38, 1.17549435e-38, 1.17549435e-38, 1.17549435e-38),
  f32x4(8388608, 8388608, 8388608, 8388608),
  i32x4(126, 126, 126, 126),
  i32x4(23, 23, 23, 23),
  i32x4(0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff),
  i32x4(0x3f000000, 0x3f000000, 0x3f000000, 0x3f000000),
  f32x4(0.707106781186547524, 0.707106781186547524, 0.707106781186547524, 0.707106781186547524),
  f32x4(7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2, 7.0376836292e-2),
  f32x4(-1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1, -1.1514610310e-1),
  f32x4(1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1, 1.1676998740e-1),
  f32x4(-1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1, -1.2420140846e-1),
  f32x4(1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1, 1.4249322787e-1),
  f32x4(-1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1, -1.6668057665e-1),
  f32x4(2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1, 2.0000714765e-1),
  f32x4(-2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1, -2.4999993993e-1),
  f32x4(3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1, 3.3333331174e-1),
  f32x4(-0.5, -0.5, -0.5, -0.5),
  f32x4(Infinity, Infinity, Infinity, Infinity),
  f32x4(-Infinity, -Infinity, -Infinity, -Infinity),
  f32x4(NaN, NaN, NaN, NaN),
  i32x4(0x80000000, 0x80000000, 0x80000000, 0x80000000),
  f32x4(-9, -9, -9, -9),
  f32x4(9, 9, 9, 9),
  f32x4(1.3354080619087938e-08, 1.3354080619087938e-08, 1.3354080619087938e-08, 1.3354080619087938e-08),
  f32x4(2.060876394652982e-05, 2.060876394652982e-05, 2.060876394652982e-05, 2.060876394652982e-05),
  f32x4(0.003495574395618827, 0.003495574395618827, 0.003495574395618827, 0.003495574395618827),
  f32x4(0.1338101626267572, 0.1338101626267572, 0.1338101626267572, 0.1338101626267572),
  f32x4(0.9999999797126641, 0.9999999797126641, 0.9999999797126641, 0.9999999797126641),
  f32x4(7.776348114954534e-07, 7.776348114954534e-07, 7.776348114954534e-07, 7.776348114954534e-07),
  f32x4(0.0003285608182873373, 0.0003285608182873373, 0.0003285608182873373, 0.0003285608182873373),
  f32x4(0.025876936594031816, 0.025876936594031816, 0.025876936594031816, 0.025876936594031816),
  f32x4(0.46714331963067, 0.46714331963067, 0.46714331963067, 0.46714331963067),
], 16);

/** Table constant `slot` (one load; see above). */
@inline
export function kv(slot: i32): v128 {
  return v128.load(KTABLE + (<usize>slot << 4));
}

/** splat(1.0) from the table. */
@inline
export function vone(): v128 {
  return kv(K_ONE);
}

/** e^x over the whole float range (denormal results included). Max error ~2 ulp. */
@inline
export function vexpFull(x: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x, so a NaN lane passes through both clamps.
  const xc = f32x4.pmin(f32x4.pmax(x, kv(K_EXP_LO)), kv(K_EXP_HI));
  // n = round(x·log2 e), as a float and as an int32, in three cheap ops (nearest + trunc_sat
  // lower to ~10 x86 instructions).
  const magic = kv(K_MAGIC);
  const t = madd(xc, kv(K_LOG2E), magic);
  const n = f32x4.sub(t, magic);
  const ni = i32x4.sub(t, magic);
  let r = f32x4.sub(xc, f32x4.mul(n, kv(K_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, kv(K_LN2_LO)));
  let p = madd(kv(K_EXP_P0), r, kv(K_EXP_P0 + 1));
  p = madd(p, r, kv(K_EXP_P0 + 2));
  p = madd(p, r, kv(K_EXP_P0 + 3));
  p = madd(p, r, kv(K_EXP_P0 + 4));
  p = madd(p, r, kv(K_HALF));
  p = f32x4.add(madd(p, f32x4.mul(r, r), r), kv(K_ONE));
  // n is in [-150, 129]: 2^n does not fit one normal float, so scale by 2^(n/2) twice. The first
  // product is exact; the second rounds once, into a denormal or to Inf where it must.
  const bias = kv(K_BIAS);
  const n1 = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, n1), bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/**
 * Logistic sigmoid with full relative accuracy: e = exp(-|x|) never overflows; 1/(1+e) for
 * x >= 0 and e/(1+e) below, which stays accurate down to the denormal results of x < -87.
 */
@inline
export function vsigmoidFull(x: v128): v128 {
  const one = kv(K_ONE);
  const e = vexpFull(v128.or(x, kv(K_SIGN)));
  const r = f32x4.div(one, f32x4.add(one, e));
  // The sign bit selects e·r; NaN lanes come out NaN either way (e is NaN).
  return v128.bitselect(f32x4.mul(e, r), r, i32x4.shr_s(x, 31));
}

/**
 * tanh as x·P(x²)/Q(x²) on x clamped to [-9, 9] (beyond, tanh rounds to ±1): a degree-(4,4)
 * rational fitted for relative error (2e-8 in exact arithmetic; ~3.6e-7 after float32 rounding),
 * one division and no exp. NaN propagates; tanh(±0) = ±0.
 */
@inline
export function vtanhFull(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, kv(K_TANH_LO)), kv(K_TANH_HI));
  const z = f32x4.mul(xc, xc);
  let p = madd(kv(K_TANH_P), z, kv(K_TANH_P + 1));
  p = madd(p, z, kv(K_TANH_P + 2));
  p = madd(p, z, kv(K_TANH_P + 3));
  p = madd(p, z, kv(K_TANH_P + 4));
  let q = madd(kv(K_TANH_Q), z, kv(K_TANH_Q + 1));
  q = madd(q, z, kv(K_TANH_Q + 2));
  q = madd(q, z, kv(K_TANH_Q + 3));
  q = madd(q, z, kv(K_ONE));
  return f32x4.div(f32x4.mul(xc, p), q);
}

/** e^x - 1 without the cancellation near 0 (ELU, SELU). */
@inline
export function vexpm1(x: v128): v128 {
  // |x| < 0.35: Taylor series to x^7 (truncation < 2e-8 relative); elsewhere exp(x) - 1 loses
  // less than an ulp of the result.
  let p = madd(kv(K_EXPM1_P0), x, kv(K_EXPM1_P0 + 1));
  p = madd(p, x, kv(K_EXPM1_P0 + 2));
  p = madd(p, x, kv(K_EXPM1_P0 + 3));
  p = madd(p, x, kv(K_EXPM1_P0 + 4));
  p = madd(p, x, kv(K_HALF));
  const small = madd(f32x4.mul(x, x), p, x);
  const big = f32x4.sub(vexpFull(x), kv(K_ONE));
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), kv(K_EXPM1_SMALL)));
}

/** Natural log, Cephes logf style: log(x) = e·ln2 + log1p(f), f in [sqrt(.5)-1, sqrt(2)-1). */
@inline
export function vlog(x: v128): v128 {
  // Denormals: scale into the normal range first so the exponent field is the whole exponent.
  const tiny = f32x4.lt(x, kv(K_FLT_MIN));
  const xs = v128.bitselect(f32x4.mul(x, kv(K_2P23)), x, tiny);
  let e = i32x4.sub(i32x4.shr_u(xs, 23), kv(K_I126));
  e = i32x4.sub(e, v128.and(tiny, kv(K_I23)));
  const m = v128.or(v128.and(xs, kv(K_MANT)), kv(K_HALF_BITS)); // [0.5, 1)
  const below = f32x4.lt(m, kv(K_SQRT_HALF));
  e = i32x4.add(e, below); // mask lanes are -1
  const one = kv(K_ONE);
  const f = f32x4.sub(f32x4.add(m, v128.and(m, below)), one);
  const z = f32x4.mul(f, f);
  let p = madd(kv(K_LOG_P0), f, kv(K_LOG_P0 + 1));
  p = madd(p, f, kv(K_LOG_P0 + 2));
  p = madd(p, f, kv(K_LOG_P0 + 3));
  p = madd(p, f, kv(K_LOG_P0 + 4));
  p = madd(p, f, kv(K_LOG_P0 + 5));
  p = madd(p, f, kv(K_LOG_P0 + 6));
  p = madd(p, f, kv(K_LOG_P0 + 7));
  p = madd(p, f, kv(K_LOG_P0 + 8));
  const fe = f32x4.convert_i32x4_s(e);
  let y = f32x4.mul(f32x4.mul(p, f), z);
  y = madd(fe, kv(K_LN2_LO), y);
  y = madd(z, kv(K_NEG_HALF), y);
  let r = f32x4.add(f, y);
  r = madd(fe, kv(K_LN2_HI), r);
  // log(±0) = -Inf, log(x < 0) = NaN, log(+Inf) = +Inf, log(NaN) = NaN.
  const zero = f32x4.splat(0);
  r = v128.bitselect(kv(K_NEG_INF), r, f32x4.eq(x, zero));
  r = v128.bitselect(kv(K_NAN), r, f32x4.lt(x, zero));
  return v128.bitselect(x, r, v128.or(f32x4.ne(x, x), f32x4.eq(x, kv(K_INF))));
}

/** log(1 + t), accurate for tiny t: log(u)·t/(u-1) with u = 1+t cancels u's rounding error. */
@inline
export function vlog1p(t: v128): v128 {
  const one = kv(K_ONE);
  const u = f32x4.add(t, one);
  const d = f32x4.sub(u, one);
  const r = f32x4.mul(vlog(u), f32x4.div(t, d));
  // d == 0: 1+t rounded to 1, log1p(t) = t. t = +Inf: Inf/Inf would be NaN.
  const exact = v128.or(f32x4.eq(d, f32x4.splat(0)), f32x4.eq(t, kv(K_INF)));
  return v128.bitselect(t, r, exact);
}

/** NaN lanes of x pass through to the result (for approximations that lose them). */
@inline
export function keepNaN(x: v128, y: v128): v128 {
  return v128.bitselect(x, y, f32x4.ne(x, x));
}
