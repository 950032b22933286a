// Fused activations for kernel epilogues. The codes are shared with kernels/activation.ts;
// keep both lists in the same order.
import { vexp, vsigmoid, vtanh } from './vmath';

export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_CLIP: i32 = 2;        // p0 = min, p1 = max (relu6 = clip 0..6)
export const ACT_LEAKY_RELU: i32 = 3;  // p0 = alpha
export const ACT_SIGMOID: i32 = 4;
export const ACT_TANH: i32 = 5;
export const ACT_HARD_SWISH: i32 = 6;  // x * clip(x/6 + 1/2, 0, 1)
export const ACT_HARD_SIGMOID: i32 = 7; // clip(p0*x + p1, 0, 1)
export const ACT_ELU: i32 = 8;         // p0 = alpha

// pmin/pmax lower to a single minps/maxps on x86 (IEEE min/max take seven instructions).
// pmax(a, b) = a < b ? b : a, so with the input first a NaN input comes out unchanged (NaN),
// as the ONNX reference and onnxruntime give.
@inline
export function applyAct(v: v128, act: i32, p0: f32, p1: f32): v128 {
  if (act == ACT_NONE) return v;
  if (act == ACT_RELU) return f32x4.pmax(v, f32x4.splat(0));
  if (act == ACT_CLIP) return f32x4.pmin(f32x4.pmax(v, f32x4.splat(p0)), f32x4.splat(p1));
  if (act == ACT_LEAKY_RELU) {
    const neg = f32x4.lt(v, f32x4.splat(0));
    return v128.bitselect(f32x4.mul(v, f32x4.splat(p0)), v, neg);
  }
  if (act == ACT_SIGMOID) return vsigmoid(v);
  if (act == ACT_TANH) return vtanh(v);
  if (act == ACT_HARD_SWISH) {
    const g = f32x4.pmin(f32x4.splat(1), f32x4.pmax(f32x4.splat(0),
      f32x4.add(f32x4.mul(v, f32x4.splat(<f32>(1.0 / 6.0))), f32x4.splat(0.5))));
    return f32x4.mul(v, g);
  }
  if (act == ACT_HARD_SIGMOID) {
    return f32x4.pmin(f32x4.splat(1), f32x4.pmax(f32x4.splat(0),
      f32x4.add(f32x4.mul(v, f32x4.splat(p0)), f32x4.splat(p1))));
  }
  if (act == ACT_ELU) {
    const neg = f32x4.lt(v, f32x4.splat(0));
    const e = f32x4.mul(f32x4.sub(vexp(v), f32x4.splat(1)), f32x4.splat(p0));
    return v128.bitselect(e, v, neg);
  }
  return v;
}

// Scalar twin for tails that do not fill a vector.
@inline
export function applyActScalar(x: f32, act: i32, p0: f32, p1: f32): f32 {
  return f32x4.extract_lane(applyAct(f32x4.splat(x), act, p0, p1), 0);
}
