// Helpers shared by the sparse kernels, generic over the stored weight type W and the
// accumulator type A:
//   W = f32, A = f32: float weights, float activations (the plain case)
//   W = i8,  A = f32: int8 weights (per-output-channel scale applied once in the epilogue)
//   W = i8,  A = i32: int8 weights times activations already widened to int32 with their zero
//                     point subtracted (kernels/sparse widens them); raw int32 sums out
// Every branch below is on a compile-time constant, so each instantiation is straight-line code.
import { madd } from './vmath';
import { applyAct, ACT_NONE } from './activation';

/** Bytes per stored weight. */
@inline
export function weightBytes<W>(): usize {
  return sizeof<W>();
}

/** Four consecutive stored weights as one vector of A lanes. */
@inline
export function loadW4<W, A>(p: usize): v128 {
  if (sizeof<W>() == 4) return v128.load(p);
  const v = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(p)));
  return isInteger<A>() ? v : f32x4.convert_i32x4_s(v);
}

/** One stored weight broadcast to every lane. */
@inline
export function splatW<W, A>(p: usize): v128 {
  if (sizeof<W>() == 4) return v128.load_splat<f32>(p);
  const w = <i32>load<i8>(p);
  return isInteger<A>() ? i32x4.splat(w) : f32x4.splat(<f32>w);
}

/** acc + x * w in A's arithmetic (FMA in the relaxed build for floats). */
@inline
export function mac<A>(x: v128, w: v128, acc: v128): v128 {
  return isInteger<A>() ? i32x4.add(acc, i32x4.mul(x, w)) : madd(x, w, acc);
}

@inline
export function vadd<A>(a: v128, b: v128): v128 {
  return isInteger<A>() ? i32x4.add(a, b) : f32x4.add(a, b);
}

/**
 * The float epilogue: acc * scale (int8 weights only) + bias, then the activation.
 * Integer accumulators are returned as they are (raw int32 sums).
 */
@inline
export function finish<W, A>(acc: v128, scale: v128, bias: v128, act: i32, p0: f32, p1: f32): v128 {
  if (isInteger<A>()) return acc;
  let v = sizeof<W>() == 4 ? f32x4.add(acc, bias) : madd(acc, scale, bias);
  if (act != ACT_NONE) v = applyAct(v, act, p0, p1);
  return v;
}
