// Standalone requantization of int32 accumulators to int8/uint8 (after MatMulInteger/ConvInteger,
// or any kernel that leaves int32): the same arithmetic as the GEMM epilogues, exposed so the
// graph engine can compose QLinear ops and so the tests can reach the SIMD helpers directly.
import { requantLanes, requantUniform, packClampI8, clampScalar, mbqmScalar, LANE_PARAMS_BYTES, LANE_QM, LANE_LEFT_MUL, LANE_POW } from './lib/requant';

/**
 * Channels last: src is rows × C int32 (channel fastest), bias C int32 (added first), `params`
 * per-lane records for ceil(C/4) groups of 4 channels. dst rows × C bytes.
 */
export function requant_channels_last(
  src: usize, rows: i32, C: i32, bias: usize, params: usize, dst: usize, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  const C4 = C & ~3;
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>r * <usize>C << 2);
    const d = dst + <usize>r * <usize>C;
    for (let c = 0; c < C4; c += 4) {
      const p = params + (<usize>(c >> 2)) * LANE_PARAMS_BYTES;
      const v = requantLanes(i32x4.add(v128.load(s + (<usize>c << 2)), v128.load(bias + (<usize>c << 2))), p);
      v128.store32_lane(d + <usize>c, packClampI8(v, v, v, v, vzp, vlo, vhi, vflip), 0);
    }
    for (let c = C4; c < C; c++) {
      // The scalar twin reads the same record: multiplier, 2^left, 2^(31 − right).
      const p = params + (<usize>(c >> 2)) * LANE_PARAMS_BYTES + (<usize>(c & 3) << 2);
      const left = ctz(load<i32>(p, LANE_LEFT_MUL));
      const right = 31 - ctz(load<i32>(p, LANE_POW));
      const x = load<i32>(s + (<usize>c << 2)) + load<i32>(bias + (<usize>c << 2));
      store<u8>(d + <usize>c, <u8>clampScalar(mbqmScalar(x, load<i32>(p, LANE_QM), left - right), zp, lo, hi, flip));
    }
  }
}

/**
 * Channels first (NCHW): src is C × HW int32, one record per channel (bias, multiplier, left,
 * right: 16 bytes). dst C × HW bytes.
 */
export function requant_channels_first(
  src: usize, C: i32, HW: i32, params: usize, dst: usize, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  for (let c = 0; c < C; c++) {
    const rec = params + (<usize>c << 4);
    const b = load<i32>(rec), qm = load<i32>(rec, 4), left = load<i32>(rec, 8), right = load<i32>(rec, 12);
    const vb = i32x4.splat(b);
    const s = src + (<usize>c * <usize>HW << 2);
    const d = dst + <usize>c * <usize>HW;
    let i = 0;
    for (; i + 16 <= HW; i += 16) {
      const o = s + (<usize>i << 2);
      const v0 = requantUniform(i32x4.add(v128.load(o), vb), qm, left, right);
      const v1 = requantUniform(i32x4.add(v128.load(o, 16), vb), qm, left, right);
      const v2 = requantUniform(i32x4.add(v128.load(o, 32), vb), qm, left, right);
      const v3 = requantUniform(i32x4.add(v128.load(o, 48), vb), qm, left, right);
      v128.store(d + <usize>i, packClampI8(v0, v1, v2, v3, vzp, vlo, vhi, vflip));
    }
    for (; i < HW; i++) {
      const x = load<i32>(s + (<usize>i << 2)) + b;
      store<u8>(d + <usize>i, <u8>clampScalar(mbqmScalar(x, qm, left - right), zp, lo, hi, flip));
    }
  }
}
