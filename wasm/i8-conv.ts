// int8/uint8 convolution, NCHW, one image and one group, on the GEMM tile: the packed weights
// are the tile's rows (4 output channels per strip, k-pair interleaved int16 (w − zw), k =
// (ci, ky, kx)), and the input is packed per block of pixels into 8-pixel panels of (x − zx)
// (im2col; out-of-image taps are 0, i.e. contribute nothing, as TFLite skips them). Output
// tile = 4 channels × 8 pixels, requantized per channel (row mode).
import { i8GemmTile4x8, OUT_Q_ROWS, ROW_PARAM_BYTES } from './lib/i8-gemm-4x8';

const EDGE_TILE: usize = memory.data(4 * 32, 16);

/** 1×1, stride 1, no padding: panel j of the block = pixels p..p+7 of every channel pair. */
function packPanels1x1(x: usize, HW: i32, K: i32, kp: i32, zx: i32, unsigned: bool, p0: i32, count: i32, dst: usize): void {
  const vz = i16x8.splat(<i16>zx);
  const pstride = <usize>kp << 5;
  for (let j = 0; j < count; j++) {
    const p = p0 + (j << 3);
    const d = dst + <usize>j * pstride;
    if (p + 8 <= HW) {
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const s0 = x + <usize>k * <usize>HW + <usize>p;
        const s1 = s0 + <usize>HW;
        const a = i16x8.sub(unsigned ? v128.load8x8_u(s0) : v128.load8x8_s(s0), vz);
        const b = i16x8.sub(unsigned ? v128.load8x8_u(s1) : v128.load8x8_s(s1), vz);
        const o = d + (<usize>k << 4);
        v128.store(o, i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(o, i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
      if (k < K) {
        const s0 = x + <usize>k * <usize>HW + <usize>p;
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
          if (k < K && p + c < HW) {
            const s = x + <usize>k * <usize>HW + <usize>(p + c);
            v = (unsigned ? <i32>load<u8>(s) : <i32>load<i8>(s)) - zx;
          }
          store<i16>(d + (<usize>(k >> 1) << 5) + (<usize>c << 2) + (<usize>(k & 1) << 1), <i16>v);
        }
      }
    }
  }
}

/** Any window: each panel entry computed from its pixel's and tap's coordinates. */
function packPanelsGeneral(
  x: usize, H: i32, W: i32, K: i32, kp: i32, zx: i32, unsigned: bool, p0: i32, count: i32, dst: usize,
  OW: i32, OHW: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32,
): void {
  const pstride = <usize>kp << 5;
  const taps = kh * kw;
  for (let j = 0; j < count; j++) {
    const d = dst + <usize>j * pstride;
    for (let c = 0; c < 8; c++) {
      const p = p0 + (j << 3) + c;
      const valid = p < OHW;
      const oy = valid ? p / OW : 0;
      const ox = valid ? p - oy * OW : 0;
      const iy0 = oy * sh - padT, ix0 = ox * sw - padL;
      for (let k = 0; k < kp << 1; k++) {
        let v = 0;
        if (valid && k < K) {
          const ci = k / taps;
          const t = k - ci * taps;
          const ky = t / kw;
          const iy = iy0 + ky * dh, ix = ix0 + (t - ky * kw) * dw;
          if (<u32>iy < <u32>H && <u32>ix < <u32>W) {
            const s = x + (<usize>ci * <usize>H + <usize>iy) * <usize>W + <usize>ix;
            v = (unsigned ? <i32>load<u8>(s) : <i32>load<i8>(s)) - zx;
          }
        }
        store<i16>(d + (<usize>(k >> 1) << 5) + (<usize>c << 2) + (<usize>(k & 1) << 1), <i16>v);
      }
    }
  }
}

/**
 * x: Cin×H×W bytes (this group's channels); w: ceil(Cout/4) strips of kp·16 bytes; params: a
 * (bias, multiplier, left, right) record per output channel (padded to a multiple of 4);
 * out: Cout×OH×OW bytes. scratch: nb panels of kp·32 bytes.
 */
export function i8_conv(
  x: usize, Cin: i32, H: i32, W: i32, zx: i32, unsignedIn: i32,
  w: usize, params: usize, Cout: i32, out: usize, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32, padB: i32, padR: i32,
  zp: i32, lo: i32, hi: i32, flip: i32, scratch: usize, nb: i32,
): void {
  const K = Cin * kh * kw;
  const kp = (K + 1) >> 1;
  const OHW = OH * OW;
  const pstride = <usize>kp << 5;
  const sstride = <usize>kp << 4;
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && padB == 0 && padR == 0;
  const panels = (OHW + 7) >> 3;
  for (let q0 = 0; q0 < panels; q0 += nb) {
    const count = min(nb, panels - q0);
    if (pointwise) packPanels1x1(x, OHW, K, kp, zx, unsignedIn != 0, q0 << 3, count, scratch);
    else packPanelsGeneral(x, H, W, K, kp, zx, unsignedIn != 0, q0 << 3, count, scratch, OW, OHW, kh, kw, sh, sw, dh, dw, padT, padL);
    for (let co = 0; co < Cout; co += 4) {
      const rows = min(4, Cout - co);
      const ws = w + <usize>(co >> 2) * sstride;
      const rec = params + <usize>co * ROW_PARAM_BYTES;
      for (let j = 0; j < count; j++) {
        const p = (q0 + j) << 3;
        const cols = min(8, OHW - p);
        const c = out + <usize>co * <usize>OHW + <usize>p;
        const pan = scratch + <usize>j * pstride;
        if (rows == 4 && cols == 8) {
          i8GemmTile4x8(ws, pan, kp, c, <usize>OHW, OUT_Q_ROWS, rec, zp, lo, hi, flip);
        } else {
          i8GemmTile4x8(ws, pan, kp, EDGE_TILE, 32, OUT_Q_ROWS, rec, zp, lo, hi, flip);
          for (let r = 0; r < rows; r++) memory.copy(c + <usize>r * <usize>OHW, EDGE_TILE + (<usize>r << 5), <usize>cols);
        }
      }
    }
  }
}
