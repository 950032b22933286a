// int8/uint8 3×3 depthwise convolution, strides 1 and 2, NCHW, one image: the MobileNet layer.
// out[oc] = requant(Σ taps (x − zx)(w − zw) + bias) with TFLite's arithmetic, bit-exact with
// kernels/reference/int8/dwconv.ts.
//
// Taps are paired, and one i32x4.dot_i16x8_s multiplies a pair for 4 pixels: the pair's two
// inputs interleaved as int16 lanes, times the pair's two weights (w − zw). The input zero point
// moves into the bias: Σ (x − zx)·w = Σ x·w − zx·Σ w, exact because out-of-image taps read zx
// (the plane is padded with it), whose products cancel against the bias term.
//   stride 1: (r0k0 r0k1) (r0k2 r1k0) (r1k1 r1k2) (r2k0 r2k1) (r2k2 −), each input an 8-byte load
//             at the tap's column, interleaved by unpack;
//   stride 2: (r0k0 r0k1) (r1k0 r1k1) (r2k0 r2k1) are the 16 bytes at column 2·ox as they lie
//             (pixel p's pair is bytes 2p, 2p+1), (r0k2 r1k2) (r2k2 −) the even bytes at 2·ox + 2.
// Requantization takes the short form of wasm/lib/i8-conv-tile.ts (the host guarantees
// |acc| < 2^30, left = 0 and 1 ≤ right ≤ 30 on every channel).
//
// Per input channel the plane is copied once into `scratch`, padded with zx (uint8 inputs are
// flipped to int8 on the way: x − 128, zx − 128), so the tap loops have no bounds checks.
// 8 output pixels per step; every output row is stored in 8-byte pieces — the bytes a piece
// writes past the row end belong to the next row or plane and are rewritten there; only the
// last piece of the call's output (which would run past it) goes through a staging buffer.
import { packClampI8 } from './lib/requant';
import { requantShort } from './lib/i8-conv-tile';

const STAGE: usize = memory.data(16, 16);

/** Per output channel: the 5 weight pairs (int16 w − zw, in the stride's pairing) padded to 32 bytes, then bias − zx·Σw, multiplier, right. */
export const DW3_CHANNEL_BYTES: usize = 48;

/**
 * Copies channel plane `x` (H×W) into the zx-filled `q` (qh × qw) at row padT, column padL.
 * uint8 planes are flipped to int8.
 */
function fillPlane(x: usize, H: i32, W: i32, zx: i32, unsigned: bool, q: usize, qh: i32, qw: i32, padT: i32, padL: i32): void {
  // memory.fill / memory.copy are calls out of WASM in V8: vector stores for small planes.
  const size = <usize>qh * <usize>qw;
  const vz = i8x16.splat(<i8>zx);
  if (size >= 1024) memory.fill(q, <u8>zx, size);
  else for (let i: usize = 0; i < size; i += 16) v128.store(q + i, vz);
  const rows = min(H, qh - padT);
  const flip = i8x16.splat(unsigned ? <i8>0x80 : 0);
  for (let y = 0; y < rows; y++) {
    const s = x + <usize>y * <usize>W;
    const d = q + <usize>(y + padT) * <usize>qw + <usize>padL;
    // Whole 16-byte chunks, the last one reaching past the row (reads stay within the arena's
    // padding); the bytes it wrote past the row are the right padding, restored right after
    // (qw leaves 16 bytes of slack, so that store stays in this row).
    for (let i = 0; i < W; i += 16) v128.store(d + <usize>i, v128.xor(v128.load(s + <usize>i), flip));
    v128.store(d + <usize>W, vz);
  }
}

/** acc + the pair (a[p], b[p]) · (wa, wb) for pixels 0–3 (low) or 4–7 of int16 vectors a, b. */
@inline
function pairLo(acc: v128, a: v128, b: v128, wp: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11), wp));
}
@inline
function pairHi(acc: v128, a: v128, b: v128, wp: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), wp));
}

/** 8 requantized pixels to d; through the staging buffer when 8 bytes would pass `end`. */
@inline
function store8(d: usize, end: usize, lo4: v128, hi4: v128, vzp: v128, vlo: v128, vhi: v128, vflip: v128): void {
  const v = packClampI8(lo4, hi4, lo4, hi4, vzp, vlo, vhi, vflip);
  if (d + 8 <= end) {
    v128.store64_lane(d, v, 0);
  } else {
    v128.store(STAGE, v);
    for (let i: usize = 0; d + i < end; i++) store<u8>(d + i, load<u8>(STAGE + i));
  }
}

/** Even bytes of v as int16 lanes. */
@inline
function evenBytes(v: v128): v128 {
  return i16x8.shr_s(i16x8.shl(v, 8), 8);
}

/**
 * x: C × H × W bytes; w: per output channel DW3_CHANNEL_BYTES (see above); out: (C·dm) × OH × OW.
 * zx/unsignedIn: the input's zero point and dtype; zp/lo/hi/flip: the output's (int8 scale).
 * scratch: qh × qw bytes (see kernels/int8/dwconv.ts).
 */
export function i8_dwconv3x3(
  x: usize, C: i32, H: i32, W: i32, zx: i32, unsignedIn: i32, dm: i32,
  w: usize, out: usize, OH: i32, OW: i32, stride: i32, padT: i32, padL: i32,
  zp: i32, lo: i32, hi: i32, flip: i32, scratch: usize, qh: i32, qw: i32,
): void {
  const u = unsignedIn != 0;
  const zx8 = u ? zx - 128 : zx;
  const vzp = i16x8.splat(<i16>zp), vlo = i8x16.splat(<i8>lo), vhi = i8x16.splat(<i8>hi);
  const vflip = i8x16.splat(flip != 0 ? <i8>0x80 : 0);
  const plane = <usize>OH * <usize>OW;
  const outEnd = out + <usize>C * <usize>dm * plane;
  const qwB = <usize>qw;
  for (let ic = 0; ic < C; ic++) {
    fillPlane(x + <usize>ic * <usize>H * <usize>W, H, W, zx8, u, scratch, qh, qw, padT, padL);
    for (let m = 0; m < dm; m++) {
      const oc = ic * dm + m;
      const wc = w + <usize>oc * DW3_CHANNEL_BYTES;
      const rec = wc + 32;
      const w0 = v128.load32_splat(wc), w1 = v128.load32_splat(wc, 4), w2 = v128.load32_splat(wc, 8);
      const w3 = v128.load32_splat(wc, 12), w4 = v128.load32_splat(wc, 16);
      const vb = v128.load32_splat(rec), vqm = v128.load32_splat(rec, 4);
      const right = load<i32>(rec, 8);
      const vround = i32x4.splat(1 << (right - 1));
      const o = out + <usize>oc * plane;
      // Two loops, not a branch per step: V8 does not unswitch, and the merge costs spills.
      if (stride == 1) {
        for (let oy = 0; oy < OH; oy++) {
          const r0 = scratch + <usize>oy * qwB, r1 = r0 + qwB, r2 = r1 + qwB;
          const ro = o + <usize>oy * <usize>OW;
          for (let ox = 0; ox < OW; ox += 8) {
            const c = <usize>ox;
            let accL = vb, accH = vb;
            let a = v128.load8x8_s(r0 + c), b = v128.load8x8_s(r0 + c + 1);
            accL = pairLo(accL, a, b, w0); accH = pairHi(accH, a, b, w0);
            a = v128.load8x8_s(r0 + c + 2); b = v128.load8x8_s(r1 + c);
            accL = pairLo(accL, a, b, w1); accH = pairHi(accH, a, b, w1);
            a = v128.load8x8_s(r1 + c + 1); b = v128.load8x8_s(r1 + c + 2);
            accL = pairLo(accL, a, b, w2); accH = pairHi(accH, a, b, w2);
            a = v128.load8x8_s(r2 + c); b = v128.load8x8_s(r2 + c + 1);
            accL = pairLo(accL, a, b, w3); accH = pairHi(accH, a, b, w3);
            a = v128.load8x8_s(r2 + c + 2);
            accL = pairLo(accL, a, a, w4); accH = pairHi(accH, a, a, w4);
            store8(ro + c, outEnd, requantShort(accL, vqm, vround, right), requantShort(accH, vqm, vround, right), vzp, vlo, vhi, vflip);
          }
        }
      } else {
        for (let oy = 0; oy < OH; oy++) {
          const r0 = scratch + <usize>(oy << 1) * qwB, r1 = r0 + qwB, r2 = r1 + qwB;
          const ro = o + <usize>oy * <usize>OW;
          for (let ox = 0; ox < OW; ox += 8) {
            const c = <usize>(ox << 1);
            let accL = vb, accH = vb;
            let v = v128.load(r0 + c);
            accL = i32x4.add(accL, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(v), w0));
            accH = i32x4.add(accH, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(v), w0));
            v = v128.load(r1 + c);
            accL = i32x4.add(accL, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(v), w1));
            accH = i32x4.add(accH, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(v), w1));
            v = v128.load(r2 + c);
            accL = i32x4.add(accL, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(v), w2));
            accH = i32x4.add(accH, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(v), w2));
            const a = evenBytes(v128.load(r0 + c + 2)), b = evenBytes(v128.load(r1 + c + 2));
            accL = pairLo(accL, a, b, w3); accH = pairHi(accH, a, b, w3);
            const e = evenBytes(v128.load(r2 + c + 2));
            accL = pairLo(accL, e, e, w4); accH = pairHi(accH, e, e, w4);
            store8(ro + <usize>ox, outEnd, requantShort(accL, vqm, vround, right), requantShort(accH, vqm, vround, right), vzp, vlo, vhi, vflip);
          }
        }
      }
    }
  }
}
