// im2col rows for the sparse convolution: for a block of `np` consecutive output pixels
// (flattened oy * OW + ox, from pix0) of one image, row r = (c, kh, kw) of the block holds the
// input values those pixels see through tap (kh, kw) of channel c, zero in the padding; rows
// are `rowFloats` floats apart (np rounded up, so the column kernels' vector tiles stay aligned
// to rows). Only the taps the sparse weights use are needed, but every row is filled: a row
// serves many output channels, and rows no weight reads cost one pass of stores.
// Scalar on purpose: it runs once per block while the sparse product walks it once per
// output channel; the dense convolution's 8-pixel panels (gemm-im2col.ts) would cap the
// sparse tiles at 8 pixels.
export function im2colRows(
  inp: usize, C: i32, H: i32, W: i32, kH: i32, kW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  OW: i32, pix0: i32, np: i32, out: usize, rowFloats: i32,
): void {
  const plane: usize = <usize>H * <usize>W << 2;
  let row = out;
  for (let c = 0; c < C; c++) {
    const ic = inp + <usize>c * plane;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        let oy = pix0 / OW, ox = pix0 % OW;
        for (let p = 0; p < np; p++) {
          const iy = oy * sh - pt + kh * dh, ix = ox * sw - pl + kw * dw;
          const inside = <u32>iy < <u32>H && <u32>ix < <u32>W;
          store<f32>(row + (<usize>p << 2), inside ? load<f32>(ic + ((<usize>iy * <usize>W + <usize>ix) << 2)) : 0);
          if (++ox == OW) { ox = 0; oy++; }
        }
        row += <usize>rowFloats << 2;
      }
    }
  }
}
