// int8/uint8 depthwise convolution, NCHW, one image: out[oc] = requant(Σ taps (x − zx)(w − zw) + bias)
// with oc = ic · depthMultiplier + m. Out-of-image taps contribute nothing (TFLite skips them),
// which is what a plane padded with (x − zx) = 0 gives.
//
// Per input channel the plane is widened once into `scratch` as int16 (x − zx), zero-padded, so
// the tap loops have no bounds checks. Horizontal tap pairs (kx, kx+1) sit next to each other
// in a row, so one i32x4.dot_i16x8_s multiplies a pair of taps for 4 output pixels at once:
//  - stride 2: a load at column 2·ox + kx holds the pairs of pixels ox..ox+3 back to back;
//  - stride 1: a load at ox + kx holds the pairs of pixels ox, ox+2, ox+4, ox+6, one at ox+1+kx
//    those of the odd pixels; the two sums are interleaved before requantization.
// Weights come packed per output channel as kh rows of ceil(kw/2) int16 pairs (odd kw: the
// last pair's second weight is 0). Other strides and dilations take the scalar path.
import { requantUniform, packClampI8, clampScalar, mbqmScalar } from './lib/requant';

const ROW_OUT: usize = memory.data(16, 16);

/**
 * x: C × H × W bytes; w: per output channel kh · kwp int32 (int16 pairs), kwp = ceil(kw/2);
 * params: per output channel (bias, multiplier, left, right); out: (C·dm) × OH × OW bytes.
 * scratch: int16 plane of qh × qw (see dwconvScratchElems in kernels/int8/dwconv.ts).
 */
export function i8_dwconv(
  x: usize, C: i32, H: i32, W: i32, zx: i32, unsignedIn: i32, dm: i32,
  w: usize, params: usize, out: usize, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32,
  zp: i32, lo: i32, hi: i32, flip: i32, scratch: usize, qh: i32, qw: i32,
): void {
  const kwp = (kw + 1) >> 1;
  const fast = dw == 1 && (sw == 1 || sw == 2);
  for (let ic = 0; ic < C; ic++) {
    fillPlane(x + <usize>ic * <usize>H * <usize>W, H, W, zx, unsignedIn != 0, scratch, qh, qw, padT, padL);
    for (let m = 0; m < dm; m++) {
      const oc = ic * dm + m;
      const wc = w + (<usize>oc * <usize>(kh * kwp) << 2);
      const rec = params + (<usize>oc << 4);
      const o = out + <usize>oc * <usize>OH * <usize>OW;
      if (fast) planeFast(scratch, qw, wc, kh, kwp, rec, o, OH, OW, sh, sw, dh, zp, lo, hi, flip);
      else planeScalar(scratch, qw, wc, kh, kw, kwp, rec, o, OH, OW, sh, sw, dh, dw, zp, lo, hi, flip);
    }
  }
}

/** (x − zx) as int16 into a zeroed qh × qw plane at row padT, column padL. */
function fillPlane(x: usize, H: i32, W: i32, zx: i32, unsigned: bool, q: usize, qh: i32, qw: i32, padT: i32, padL: i32): void {
  memory.fill(q, 0, <usize>qh * <usize>qw << 1);
  const vz = i16x8.splat(<i16>zx);
  const rows = min(H, qh - padT);
  for (let y = 0; y < rows; y++) {
    const s = x + <usize>y * <usize>W;
    const d = q + ((<usize>(y + padT) * <usize>qw + <usize>padL) << 1);
    let i = 0;
    if (unsigned) {
      for (; i + 8 <= W; i += 8) v128.store(d + (<usize>i << 1), i16x8.sub(v128.load8x8_u(s + <usize>i), vz));
      for (; i < W; i++) store<i16>(d + (<usize>i << 1), <i16>(<i32>load<u8>(s + <usize>i) - zx));
    } else {
      for (; i + 8 <= W; i += 8) v128.store(d + (<usize>i << 1), i16x8.sub(v128.load8x8_s(s + <usize>i), vz));
      for (; i < W; i++) store<i16>(d + (<usize>i << 1), <i16>(<i32>load<i8>(s + <usize>i) - zx));
    }
  }
}

function planeFast(
  q: usize, qw: i32, wc: usize, kh: i32, kwp: i32, rec: usize, o: usize, OH: i32, OW: i32,
  sh: i32, sw: i32, dh: i32, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const bias = load<i32>(rec), qm = load<i32>(rec, 4), left = load<i32>(rec, 8), right = load<i32>(rec, 12);
  const vb = i32x4.splat(bias);
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  const qwB = <usize>qw << 1;
  // Byte offsets of the two load groups from the 8-pixel block's first column.
  const offB: usize = sw == 1 ? 2 : 16;
  for (let oy = 0; oy < OH; oy++) {
    const rowQ = q + <usize>(oy * sh) * qwB;
    const ro = o + <usize>oy * <usize>OW;
    for (let ox = 0; ox < OW; ox += 8) {
      let a = vb, b = vb;
      const col = rowQ + (<usize>(ox * sw) << 1);
      let wp = wc;
      for (let ky = 0; ky < kh; ky++) {
        const r = col + <usize>(ky * dh) * qwB;
        for (let j = 0; j < kwp; j++) {
          const wv = v128.load32_splat(wp);
          const p = r + (<usize>j << 2);
          a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load(p), wv));
          b = i32x4.add(b, i32x4.dot_i16x8_s(v128.load(p + offB), wv));
          wp += 4;
        }
      }
      if (sw == 1) {
        const t = i32x4.shuffle(a, b, 0, 4, 1, 5);
        b = i32x4.shuffle(a, b, 2, 6, 3, 7);
        a = t;
      }
      a = requantUniform(a, qm, left, right);
      b = requantUniform(b, qm, left, right);
      const v = packClampI8(a, b, a, b, vzp, vlo, vhi, vflip);
      if (ox + 8 <= OW) {
        v128.store64_lane(ro + <usize>ox, v, 0);
      } else {
        v128.store(ROW_OUT, v);
        memory.copy(ro + <usize>ox, ROW_OUT, <usize>(OW - ox));
      }
    }
  }
}

function planeScalar(
  q: usize, qw: i32, wc: usize, kh: i32, kw: i32, kwp: i32, rec: usize, o: usize, OH: i32, OW: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, zp: i32, lo: i32, hi: i32, flip: i32,
): void {
  const bias = load<i32>(rec), qm = load<i32>(rec, 4), shift = load<i32>(rec, 8) - load<i32>(rec, 12);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let acc = bias;
      for (let ky = 0; ky < kh; ky++) {
        const r = q + ((<usize>(oy * sh + ky * dh) * <usize>qw + <usize>(ox * sw)) << 1);
        const wr = wc + (<usize>(ky * kwp) << 2);
        for (let kx = 0; kx < kw; kx++) acc += <i32>load<i16>(r + (<usize>(kx * dw) << 1)) * <i32>load<i16>(wr + (<usize>kx << 1));
      }
      store<u8>(o + <usize>oy * <usize>OW + <usize>ox, <u8>clampScalar(mbqmScalar(acc, qm, shift), zp, lo, hi, flip));
    }
  }
}
