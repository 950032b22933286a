// int8/uint8 max and average pooling, NCHW, TFLite's reference integer_ops/pooling.h: only
// in-image taps count; the average divides rounding half away from zero,
// (sum ± count/2) / count with C's truncating division; both clamp to the activation range.
// uint8 planes are handled as int8 through the sign flip (order- and average-preserving:
// u − 128 is the same number line shifted), with the clamp range shifted alike.

@inline
function readByte(p: usize, unsigned: bool): i32 {
  return unsigned ? <i32>load<u8>(p) - 128 : <i32>load<i8>(p);
}

/** kind 0: max, 1: average. x: C×H×W; out: C×OH×OW; lo/hi on the int8 scale. */
export function i8_pool(
  kind: i32, x: usize, C: i32, H: i32, W: i32, unsignedIO: i32, out: usize, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32, lo: i32, hi: i32,
): void {
  const u = unsignedIO != 0;
  for (let c = 0; c < C; c++) {
    const plane = x + <usize>c * <usize>H * <usize>W;
    const o = out + <usize>c * <usize>OH * <usize>OW;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * sh - padT;
      const ya = max(0, y0), yb = min(H, y0 + kh);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = ox * sw - padL;
        const xa = max(0, x0), xb = min(W, x0 + kw);
        let v: i32;
        if (kind == 0) {
          v = -128;
          for (let y = ya; y < yb; y++) {
            const row = plane + <usize>y * <usize>W;
            for (let xx = xa; xx < xb; xx++) v = max(v, readByte(row + <usize>xx, u));
          }
        } else {
          let sum = 0;
          for (let y = ya; y < yb; y++) {
            const row = plane + <usize>y * <usize>W;
            // The sum of the raw (unshifted) bytes, as TFLite sums them.
            for (let xx = xa; xx < xb; xx++) sum += u ? <i32>load<u8>(row + <usize>xx) : <i32>load<i8>(row + <usize>xx);
          }
          const count = (yb - ya) * (xb - xa);
          const half = count / 2;
          v = count == 0 ? 0 : (sum > 0 ? (sum + half) / count : (sum - half) / count);
          if (u) v -= 128;
        }
        v = v < lo ? lo : v > hi ? hi : v;
        store<u8>(o + <usize>oy * <usize>OW + <usize>ox, <u8>(u ? v + 128 : v));
      }
    }
  }
}
