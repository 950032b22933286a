// Bulk IEEE half <-> float conversion (ONNX Cast float16 <-> float, fp16 weight import).
// Addresses are byte addresses; n counts elements. Conversions are exact (see lib/f16-convert.ts).
import { floatsToHalves, halvesToFloats } from './lib/f16-convert';

/** dst[i] = float(src[i]) for n halves at src (2 bytes each) into n floats at dst. */
export function f16_to_f32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    v128.store(dst + (<usize>i << 2), halvesToFloats(i32x4.extend_low_i16x8_u(h)));
    v128.store(dst + (<usize>i << 2), halvesToFloats(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (; i < n; i++) {
    const f = halvesToFloats(i32x4.splat(<i32>load<u16>(src + (<usize>i << 1))));
    store<f32>(dst + (<usize>i << 2), f32x4.extract_lane(f, 0));
  }
}

/** dst[i] = half(src[i]), round to nearest even, for n floats at src into n halves at dst. */
export function f32_to_f16(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const lo = floatsToHalves(v128.load(src + (<usize>i << 2)));
    const hi = floatsToHalves(v128.load(src + (<usize>i << 2), 16));
    // Every lane is in 0..0xffff, so the unsigned saturating narrow is a plain truncation.
    v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_u(lo, hi));
  }
  for (; i < n; i++) {
    const h = floatsToHalves(f32x4.splat(load<f32>(src + (<usize>i << 2))));
    store<u16>(dst + (<usize>i << 1), <u16>i32x4.extract_lane(h, 0));
  }
}
