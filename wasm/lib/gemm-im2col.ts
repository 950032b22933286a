// im2col straight into an 8-column GEMM panel, for the NCHW convolution.
//
// For 8 consecutive output pixels (flattened oy * OW + ox) of one image and one channel group,
// panel row k = (c, kh, kw) holds the 8 input values those pixels see through tap (kh, kw) of
// channel c, zero where the tap falls into the padding. Pixels past `npix` read as zeros.

/** Geometry of one convolution; filled once per call by setIm2colGeometry. */
let gCg: i32 = 0, gH: i32 = 0, gW: i32 = 0, gKH: i32 = 0, gKW: i32 = 0;
let gSH: i32 = 1, gSW: i32 = 1, gPT: i32 = 0, gPL: i32 = 0, gDH: i32 = 1, gDW: i32 = 1, gOW: i32 = 1;
/** Contiguous: 1x1 kernel, stride 1, no padding, so panel row c is in[c][pix0 .. pix0 + 8). */
let gPointwise: bool = false;

const PIX_IY: usize = memory.data(8 * 4, 16);
const PIX_IX: usize = memory.data(8 * 4, 16);

export function setIm2colGeometry(
  Cg: i32, H: i32, W: i32, kH: i32, kW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32,
): void {
  gCg = Cg; gH = H; gW = W; gKH = kH; gKW = kW; gSH = sh; gSW = sw; gPT = pt; gPL = pl; gDH = dh; gDW = dw; gOW = OW;
  // OH == H and OW == W: no bottom/right padding either, so output pixel p is input pixel p.
  gPointwise = kH == 1 && kW == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
}

/**
 * Writes the panel for pixels [pix0, pix0 + npix) of the group whose first channel starts at
 * `inp`; `inEnd` is the end of the whole input tensor (vector over-reads must stay below it).
 */
export function im2colPanel(inp: usize, inEnd: usize, pix0: i32, npix: i32, out: usize): void {
  const H = gH, W = gW;
  const plane: usize = <usize>H * <usize>W << 2;
  if (gPointwise && npix == 8) {
    let src = inp + (<usize>pix0 << 2);
    for (let c = 0; c < gCg; c++) {
      v128.store(out, v128.load(src)); v128.store(out, v128.load(src, 16), 16);
      src += plane; out += 32;
    }
    return;
  }
  const oy0 = pix0 / gOW, ox0 = pix0 % gOW;
  if (npix == 8 && ox0 + 8 <= gOW && (gSW == 1 || gSW == 2)) {
    im2colRowPanel(inp, inEnd, oy0 * gSH - gPT, ox0 * gSW - gPL, out);
    return;
  }
  im2colAnyPanel(inp, pix0, npix, out);
}

// All 8 pixels in one output row, horizontal stride 1 or 2: each panel row is 8 (or every
// second of 16) consecutive input floats, loaded as vectors; lanes that fall into the left or
// right padding are masked to zero. The loads may start up to 12 bytes before a row (still
// inside memory: the arena starts well above 0) and end past it (checked against inEnd).
function im2colRowPanel(inp: usize, inEnd: usize, iyBase: i32, ixBase: i32, out: usize): void {
  const H = gH, W = gW, sw = gSW;
  const lanes = i32x4(0, 1, 2, 3);
  const width = i32x4.splat(W);
  const span = sw == 1 ? 8 : 16;
  for (let c = 0; c < gCg; c++) {
    const chan = inp + <usize>c * <usize>H * <usize>W * 4;
    for (let kh = 0; kh < gKH; kh++) {
      const iy = iyBase + kh * gDH;
      if (<u32>iy >= <u32>H) {
        for (let kw = 0; kw < gKW; kw++) {
          v128.store(out, i32x4.splat(0)); v128.store(out, i32x4.splat(0), 16);
          out += 32;
        }
        continue;
      }
      const row = chan + <usize>iy * <usize>W * 4;
      for (let kw = 0; kw < gKW; kw++) {
        const ix0 = ixBase + kw * gDW;
        const src = row + <usize>(ix0 << 2); // may wrap below row: only used when ix0 >= -3
        if (ix0 >= -3 && src + (<usize>span << 2) <= inEnd) {
          let v0: v128, v1: v128;
          if (sw == 1) {
            v0 = v128.load(src); v1 = v128.load(src, 16);
          } else {
            const a = v128.load(src), b = v128.load(src, 16), d = v128.load(src, 32), e = v128.load(src, 48);
            v0 = v128.shuffle<f32>(a, b, 0, 2, 4, 6); v1 = v128.shuffle<f32>(d, e, 0, 2, 4, 6);
          }
          if (ix0 < 0 || ix0 + (span - sw) >= W) {
            const stepIx = i32x4.splat(4 * sw);
            const ix = i32x4.add(i32x4.splat(ix0), sw == 1 ? lanes : i32x4.shl(lanes, 1));
            v0 = v128.and(v0, i32x4.lt_u(ix, width));
            v1 = v128.and(v1, i32x4.lt_u(i32x4.add(ix, stepIx), width));
          }
          v128.store(out, v0); v128.store(out, v1, 16);
        } else {
          for (let j = 0; j < 8; j++) {
            const ix = ix0 + j * sw;
            store<f32>(out + (<usize>j << 2), <u32>ix < <u32>W ? load<f32>(row + (<usize>ix << 2)) : 0);
          }
        }
        out += 32;
      }
    }
  }
}

// Any geometry: per-pixel bounds checks (panels that wrap to the next output row, the last
// partial panel, strides above 2).
function im2colAnyPanel(inp: usize, pix0: i32, npix: i32, out: usize): void {
  const H = gH, W = gW;
  for (let j = 0; j < 8; j++) {
    const p = pix0 + j;
    // A pixel past npix gets an origin so far off that every tap reads as padding.
    store<i32>(PIX_IY + (<usize>j << 2), j < npix ? (p / gOW) * gSH - gPT : -0x40000000);
    store<i32>(PIX_IX + (<usize>j << 2), j < npix ? (p % gOW) * gSW - gPL : -0x40000000);
  }
  for (let c = 0; c < gCg; c++) {
    const chan = inp + <usize>c * <usize>H * <usize>W * 4;
    for (let kh = 0; kh < gKH; kh++) {
      const dy = kh * gDH;
      for (let kw = 0; kw < gKW; kw++) {
        const dx = kw * gDW;
        for (let j: usize = 0; j < 8; j++) {
          const iy = load<i32>(PIX_IY + (j << 2)) + dy;
          const ix = load<i32>(PIX_IX + (j << 2)) + dx;
          let v: f32 = 0;
          if (<u32>iy < <u32>H && <u32>ix < <u32>W) v = load<f32>(chan + ((<usize>iy * <usize>W + <usize>ix) << 2));
          store<f32>(out + (j << 2), v);
        }
        out += 32;
      }
    }
  }
}
