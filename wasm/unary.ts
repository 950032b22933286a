// Elementwise unary ops over a contiguous run (activations and plain math). One export takes the
// op code and calls that op's own loop (see the end of the file). in == out is allowed: every
// element is read before it is written. Codes are shared with kernels/unary.ts; keep both lists
// in the same order.
import { keepNaN, madd, vexpFull, vexpm1, vlog, vlog1p, vone, vsigmoidFull, vtanhFull } from './lib/vmath';

const RELU: i32 = 0;
const LEAKY_RELU: i32 = 1;      // p0 = alpha
const CLIP: i32 = 2;            // p0 = min, p1 = max
const SIGMOID: i32 = 3;
const HARD_SIGMOID: i32 = 4;    // p0 = alpha, p1 = beta
const HARD_SWISH: i32 = 5;
const TANH: i32 = 6;
const ELU: i32 = 7;             // p0 = alpha
const SELU: i32 = 8;            // p0 = alpha, p1 = gamma
const THRESHOLDED_RELU: i32 = 9; // p0 = alpha
const SOFTPLUS: i32 = 10;
const SOFTSIGN: i32 = 11;
const EXP: i32 = 12;
const LOG: i32 = 13;
const ABS: i32 = 14;
const NEG: i32 = 15;
const SQRT: i32 = 16;
const RECIPROCAL: i32 = 17;
const STEP: i32 = 18;           // Heaviside: x >= 0 ? 1 : 0 (step(±0) = 1), NaN stays NaN

// Clamps are written pmax(x, lo) / pmin(x, hi): one maxps/minps on x86, and a NaN in x passes
// through (pmax(a, b) = a < b ? b : a), as it does in the ONNX reference implementation.
@inline
function unaryOp(op: i32, x: v128, p0: f32, p1: f32): v128 {
  const zero = f32x4.splat(0); // xorps: free, unlike other constants (see vmath's table)
  if (op == RELU) return f32x4.pmax(x, zero);
  if (op == LEAKY_RELU) return v128.bitselect(f32x4.mul(x, f32x4.splat(p0)), x, f32x4.lt(x, zero));
  if (op == CLIP) return f32x4.pmin(f32x4.pmax(x, f32x4.splat(p0)), f32x4.splat(p1));
  if (op == SIGMOID) return vsigmoidFull(x);
  if (op == HARD_SIGMOID) {
    return f32x4.pmin(f32x4.pmax(madd(x, f32x4.splat(p0), f32x4.splat(p1)), zero), vone());
  }
  if (op == HARD_SWISH) {
    const g = madd(x, f32x4.splat(<f32>(1.0 / 6.0)), f32x4.splat(0.5));
    return f32x4.mul(x, f32x4.pmin(f32x4.pmax(g, zero), vone()));
  }
  if (op == TANH) return vtanhFull(x);
  if (op == ELU) {
    return v128.bitselect(f32x4.mul(vexpm1(x), f32x4.splat(p0)), x, f32x4.lt(x, zero));
  }
  if (op == SELU) {
    // gamma·alpha·expm1(x) at or below zero, the product of the two parameters rounded once.
    const neg = f32x4.mul(vexpm1(x), f32x4.splat(p0 * p1));
    return v128.bitselect(f32x4.mul(x, f32x4.splat(p1)), neg, f32x4.gt(x, zero));
  }
  if (op == THRESHOLDED_RELU) return v128.and(x, f32x4.gt(x, f32x4.splat(p0)));
  if (op == SOFTPLUS) {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, no loss for very negative x.
    return f32x4.add(f32x4.pmax(x, zero), vlog1p(vexpFull(f32x4.neg(f32x4.abs(x)))));
  }
  if (op == SOFTSIGN) return f32x4.div(x, f32x4.add(vone(), f32x4.abs(x)));
  if (op == EXP) return vexpFull(x);
  if (op == LOG) return vlog(x);
  if (op == ABS) return f32x4.abs(x);
  if (op == NEG) return f32x4.neg(x);
  if (op == SQRT) return f32x4.sqrt(x);
  if (op == RECIPROCAL) return f32x4.div(vone(), x);
  if (op == STEP) return keepNaN(x, v128.and(vone(), f32x4.ge(x, zero)));
  return x;
}

@inline
function unaryRun(op: i32, src: usize, dst: usize, n: i32, p0: f32, p1: f32): void {
  let i = 0;
  // Two vectors per iteration: the transcendental ops are latency chains; two hide some of it.
  for (; i + 8 <= n; i += 8) {
    const off = <usize>i << 2;
    const x0 = v128.load(src + off);
    const x1 = v128.load(src + off, 16);
    v128.store(dst + off, unaryOp(op, x0, p0, p1));
    v128.store(dst + off, unaryOp(op, x1, p0, p1), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, unaryOp(op, v128.load(src + off), p0, p1));
  }
  // Tail: one lane at a time, so nothing past the end is read or written.
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, f32x4.extract_lane(unaryOp(op, f32x4.splat(load<f32>(src + off)), p0, p1), 0));
  }
}

// One function per op, so each loop is specialised to its op. (A switch over inlined bodies
// gets its near-identical arms folded back into one loop that branches on the op per vector.)
function reluRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(RELU, src, dst, n, p0, p1); }
function leakyReluRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(LEAKY_RELU, src, dst, n, p0, p1); }
function clipRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(CLIP, src, dst, n, p0, p1); }
function sigmoidRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(SIGMOID, src, dst, n, p0, p1); }
function hardSigmoidRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(HARD_SIGMOID, src, dst, n, p0, p1); }
function hardSwishRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(HARD_SWISH, src, dst, n, p0, p1); }
function tanhRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(TANH, src, dst, n, p0, p1); }
function eluRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(ELU, src, dst, n, p0, p1); }
function seluRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(SELU, src, dst, n, p0, p1); }
function thresholdedReluRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(THRESHOLDED_RELU, src, dst, n, p0, p1); }
function softplusRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(SOFTPLUS, src, dst, n, p0, p1); }
function softsignRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(SOFTSIGN, src, dst, n, p0, p1); }
function expRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(EXP, src, dst, n, p0, p1); }
function logRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(LOG, src, dst, n, p0, p1); }
function absRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(ABS, src, dst, n, p0, p1); }
function negRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(NEG, src, dst, n, p0, p1); }
function sqrtRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(SQRT, src, dst, n, p0, p1); }
function reciprocalRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(RECIPROCAL, src, dst, n, p0, p1); }
function stepRun(src: usize, dst: usize, n: i32, p0: f32, p1: f32): void { unaryRun(STEP, src, dst, n, p0, p1); }

export function f32_unary(op: i32, src: usize, dst: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case RELU: reluRun(src, dst, n, p0, p1); break;
    case LEAKY_RELU: leakyReluRun(src, dst, n, p0, p1); break;
    case CLIP: clipRun(src, dst, n, p0, p1); break;
    case SIGMOID: sigmoidRun(src, dst, n, p0, p1); break;
    case HARD_SIGMOID: hardSigmoidRun(src, dst, n, p0, p1); break;
    case HARD_SWISH: hardSwishRun(src, dst, n, p0, p1); break;
    case TANH: tanhRun(src, dst, n, p0, p1); break;
    case ELU: eluRun(src, dst, n, p0, p1); break;
    case SELU: seluRun(src, dst, n, p0, p1); break;
    case THRESHOLDED_RELU: thresholdedReluRun(src, dst, n, p0, p1); break;
    case SOFTPLUS: softplusRun(src, dst, n, p0, p1); break;
    case SOFTSIGN: softsignRun(src, dst, n, p0, p1); break;
    case EXP: expRun(src, dst, n, p0, p1); break;
    case LOG: logRun(src, dst, n, p0, p1); break;
    case ABS: absRun(src, dst, n, p0, p1); break;
    case NEG: negRun(src, dst, n, p0, p1); break;
    case SQRT: sqrtRun(src, dst, n, p0, p1); break;
    case RECIPROCAL: reciprocalRun(src, dst, n, p0, p1); break;
    case STEP: stepRun(src, dst, n, p0, p1); break;
    default: unreachable();
  }
}
