// int8/uint8 convolution, NCHW, one image and one group, on the GEMM tile: the packed weights
// are the tile's rows (4 output channels per strip, k-pair interleaved int16 (w − zw), k =
// (ci, ky, kx)), and the input is packed per block of pixels into 8-pixel panels of (x − zx)
// (im2col; out-of-image taps are 0, i.e. contribute nothing, as TFLite skips them). Output
// tile = 4 channels × 8 pixels, requantized per channel (row mode).
import { i8ConvTile4x4, i8ConvTile4x8, CONV_REC_BYTES } from './lib/i8-conv-tile';

const EDGE_TILE: usize = memory.data(4 * 32, 16);

/**
 * Rows of K bytes → 8-pixel panels of (x − zx) as int16 k-pairs. Row k of the source starts at
 * x + k·ld; pixel p0 + j·8 + c of it is panel j's column c; columns at or past `n` are 0.
 */
function packPanels(x: usize, ld: i32, n: i32, K: i32, kp: i32, zx: i32, unsigned: bool, p0: i32, count: i32, dst: usize): void {
  const vz = i16x8.splat(<i16>zx);
  const pstride = <usize>kp << 5;
  for (let j = 0; j < count; j++) {
    const p = p0 + (j << 3);
    const d = dst + <usize>j * pstride;
    if (p + 8 <= n) {
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const s0 = x + <usize>k * <usize>ld + <usize>p;
        const s1 = s0 + <usize>ld;
        const a = i16x8.sub(unsigned ? v128.load8x8_u(s0) : v128.load8x8_s(s0), vz);
        const b = i16x8.sub(unsigned ? v128.load8x8_u(s1) : v128.load8x8_s(s1), vz);
        const o = d + (<usize>k << 4);
        v128.store(o, i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(o, i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
      if (k < K) {
        const s0 = x + <usize>k * <usize>ld + <usize>p;
        const a = i16x8.sub(unsigned ? v128.load8x8_u(s0) : v128.load8x8_s(s0), vz);
        const o = d + (<usize>k << 4);
        const zero = i16x8.splat(0);
        v128.store(o, i16x8.shuffle(a, zero, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(o, i16x8.shuffle(a, zero, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
    } else {
      for (let k = 0; k < kp << 1; k++) {
        for (let c = 0; c < 8; c++) {
          let v = 0;
          if (k < K && p + c < n) {
            const s = x + <usize>k * <usize>ld + <usize>(p + c);
            v = (unsigned ? <i32>load<u8>(s) : <i32>load<i8>(s)) - zx;
          }
          store<i16>(d + (<usize>(k >> 1) << 5) + (<usize>c << 2) + (<usize>(k & 1) << 1), <i16>v);
        }
      }
    }
  }
}

/** Below this many bytes a loop beats memory.fill / memory.copy (a call out of WASM in V8). */
const SMALL = 32;

@inline
function fillBytes(d: usize, v: u8, n: i32): void {
  if (n >= SMALL) memory.fill(d, v, <usize>n);
  else for (let i = 0; i < n; i++) store<u8>(d + <usize>i, v);
}

/**
 * im2col of output pixels [pb, pb + n) as bytes: row k = (ci, ky, kx) of `cols` (stride ld)
 * holds, per pixel, the input tap or the zero point where the tap falls outside the image (so
 * x − zx = 0 there: TFLite skips those taps). Strides 1 and 2 copy whole row segments.
 */
function im2colBytes(
  x: usize, H: i32, W: i32, K: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32,
  OW: i32, pb: i32, n: i32, zx: i32, cols: usize, ld: i32,
): void {
  const taps = kh * kw;
  const zb = <u8>zx;
  const plane = <usize>H * <usize>W;
  for (let k = 0; k < K; k++) {
    const ci = k / taps;
    const t = k - ci * taps;
    const ky = t / kw;
    const kx = t - ky * kw;
    const src = x + <usize>ci * plane;
    let d = cols + <usize>k * <usize>ld;
    let p = pb;
    const pend = pb + n;
    let oy = p / OW;
    let ox = p - oy * OW;
    while (p < pend) {
      const cnt = min(OW - ox, pend - p);
      const iy = oy * sh - padT + ky * dh;
      if (<u32>iy >= <u32>H) {
        fillBytes(d, zb, cnt);
      } else {
        const row = src + <usize>iy * <usize>W;
        const ix0 = ox * sw - padL + kx * dw;
        // Output columns [a, b) read in-image taps: ix0 + i·sw in [0, W).
        const a = ix0 >= 0 ? 0 : min(cnt, (sw - 1 - ix0) / sw);
        const b = max(a, min(cnt, ix0 >= W ? 0 : (W - 1 - ix0) / sw + 1));
        if (a > 0) fillBytes(d, zb, a);
        let i = a;
        const s = row + <usize>(ix0 + a * sw);
        if (sw == 1 && b - a >= SMALL) {
          memory.copy(d + <usize>a, s, <usize>(b - a));
          i = b;
        } else if (sw == 2) {
          // 16 outputs from 32 input bytes; stay inside the plane.
          const planeEnd = src + plane;
          for (; i + 16 <= b && s + <usize>((i - a) << 1) + 32 <= planeEnd; i += 16) {
            const q = s + <usize>((i - a) << 1);
            v128.store(d + <usize>i, i8x16.shuffle(v128.load(q), v128.load(q, 16), 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
          }
        }
        for (; i < b; i++) store<u8>(d + <usize>i, load<u8>(row + <usize>(ix0 + i * sw)));
        if (b < cnt) fillBytes(d + <usize>b, zb, cnt - b);
      }
      d += <usize>cnt;
      p += cnt;
      ox = 0;
      oy++;
    }
  }
}

/** Taps of a plane of at most 16 bytes: per tap, 16 swizzle indices (0x80: outside the image). */
const MAX_SWIZZLE_TAPS = 64;
const SWIZZLE: usize = memory.data(MAX_SWIZZLE_TAPS * 16, 16);

/** Fills SWIZZLE for an H×W plane (H·W ≤ 16) and up to 16 output pixels. */
function swizzleTable(H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32, OW: i32, OHW: i32): void {
  for (let t = 0; t < kh * kw; t++) {
    const ky = t / kw, kx = t - ky * kw;
    for (let p = 0; p < 16; p++) {
      let idx = 0x80;
      if (p < OHW) {
        const oy = p / OW, ox = p - oy * OW;
        const iy = oy * sh - padT + ky * dh, ix = ox * sw - padL + kx * dw;
        if (<u32>iy < <u32>H && <u32>ix < <u32>W) idx = iy * W + ix;
      }
      store<u8>(SWIZZLE + <usize>(t * 16 + p), <u8>idx);
    }
  }
}

/**
 * im2col of a whole image whose planes hold at most 16 bytes (and at most 16 output pixels):
 * each tap is one swizzle of the plane. Bytes are XORed with zx around the swizzle, so the
 * zeros it returns for out-of-image taps come out as zx.
 */
function im2colSwizzle(x: usize, Cin: i32, HW: i32, taps: i32, zx: i32, cols: usize, ld: i32): void {
  const vz = i8x16.splat(<i8>zx);
  for (let ci = 0; ci < Cin; ci++) {
    const v = v128.xor(v128.load(x + <usize>ci * <usize>HW), vz);
    for (let t = 0; t < taps; t++) {
      const r = v128.xor(i8x16.swizzle(v, v128.load(SWIZZLE + (<usize>t << 4))), vz);
      const d = cols + <usize>(ci * taps + t) * <usize>ld;
      if (ld >= 16) v128.store(d, r);
      else v128.store64_lane(d, r, 0);
    }
  }
}

/**
 * x: N images of Cin×H×W bytes (this group's channels), xStride bytes apart; w: ceil(Cout/4)
 * strips of kp·16 bytes; params: a (bias, multiplier, left, right) record per output channel
 * (padded to a multiple of 4); out: N images of Cout×OH×OW bytes, outStride bytes apart.
 * scratch: nb panels of kp·32 bytes, then (unless 1×1 stride 1 without padding) the block's
 * im2col bytes, K × nb·8. bounded: see wasm/lib/i8-conv-tile.ts.
 */
export function i8_conv(
  N: i32, x: usize, xStride: usize, Cin: i32, H: i32, W: i32, zx: i32, unsignedIn: i32,
  w: usize, params: usize, Cout: i32, out: usize, outStride: usize, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32, padB: i32, padR: i32,
  zp: i32, lo: i32, hi: i32, flip: i32, scratch: usize, nb: i32, bounded: i32,
): void {
  const tiny = !(kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && padB == 0 && padR == 0) &&
    H * W <= 16 && OH * OW <= 16 && kh * kw <= MAX_SWIZZLE_TAPS;
  if (tiny) swizzleTable(H, W, kh, kw, sh, sw, dh, dw, padT, padL, OW, OH * OW);
  for (let n = 0; n < N; n++) {
    convImage(x + <usize>n * xStride, Cin, H, W, zx, unsignedIn, w, params, Cout, out + <usize>n * outStride, OH, OW,
      kh, kw, sh, sw, dh, dw, padT, padL, padB, padR, zp, lo, hi, flip, scratch, nb, bounded, tiny);
  }
}

function convImage(
  x: usize, Cin: i32, H: i32, W: i32, zx: i32, unsignedIn: i32,
  w: usize, params: usize, Cout: i32, out: usize, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32, padB: i32, padR: i32,
  zp: i32, lo: i32, hi: i32, flip: i32, scratch: usize, nb: i32, bounded: i32, tiny: bool,
): void {
  const bnd = bounded != 0;
  const K = Cin * kh * kw;
  const kp = (K + 1) >> 1;
  const OHW = OH * OW;
  const pstride = <usize>kp << 5;
  const sstride = <usize>kp << 4;
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && padB == 0 && padR == 0;
  const panels = (OHW + 7) >> 3;
  for (let q0 = 0; q0 < panels; q0 += nb) {
    const count = min(nb, panels - q0);
    if (pointwise) {
      packPanels(x, OHW, OHW, K, kp, zx, unsignedIn != 0, q0 << 3, count, scratch);
    } else {
      const cols = scratch + <usize>nb * pstride;
      const ld = nb << 3;
      const n = min(count << 3, OHW - (q0 << 3));
      if (tiny) im2colSwizzle(x, Cin, H * W, kh * kw, zx, cols, ld);
      else im2colBytes(x, H, W, K, kh, kw, sh, sw, dh, dw, padT, padL, OW, q0 << 3, n, zx, cols, ld);
      packPanels(cols, ld, n, K, kp, zx, unsignedIn != 0, 0, count, scratch);
    }
    for (let co = 0; co < Cout; co += 4) {
      const rows = min(4, Cout - co);
      const ws = w + <usize>(co >> 2) * sstride;
      const rec = params + <usize>co * CONV_REC_BYTES;
      for (let j = 0; j < count; j++) {
        const p = (q0 + j) << 3;
        const cols = min(8, OHW - p);
        const c = out + <usize>co * <usize>OHW + <usize>p;
        const pan = scratch + <usize>j * pstride;
        if (rows == 4 && cols == 8) {
          i8ConvTile4x8(ws, pan, kp, c, <usize>OHW, rec, bnd, zp, lo, hi, flip);
        } else {
          if (cols <= 4) i8ConvTile4x4(ws, pan, kp, EDGE_TILE, 32, rec, bnd, zp, lo, hi, flip);
          else i8ConvTile4x8(ws, pan, kp, EDGE_TILE, 32, rec, bnd, zp, lo, hi, flip);
          for (let r = 0; r < rows; r++) {
            const d = c + <usize>r * <usize>OHW, e = EDGE_TILE + (<usize>r << 5);
            for (let i = 0; i < cols; i++) store<u8>(d + <usize>i, load<u8>(e + <usize>i));
          }
        }
      }
    }
  }
}
