// im2col straight into 8-column GEMM panels, for the NCHW convolution.
//
// For 8 consecutive output pixels (flattened oy * OW + ox) of one image and one channel group,
// panel row k = (c, kh, kw) holds the 8 input values those pixels see through tap (kh, kw) of
// channel c, zero where the tap falls into the padding. Pixels past the end read as zeros.
//
// A block is several consecutive panels. Panels that lie inside one output row (the common case)
// are filled from a zero-padded copy of the input row they read: with the horizontal padding
// materialised as zeros, every panel row is 8 consecutive (stride 1) or every-second (stride 2)
// floats of that buffer, i.e. plain vector loads with no bounds checks and no masks, and one row
// copy serves all kW taps of all the block's panels on that output row. Other panels (straddling
// two output rows, strides above 2, the partial last panel) take a per-pixel path.

/** Geometry of one convolution; set once per call by setIm2colGeometry. */
let gCg: i32 = 0, gH: i32 = 0, gW: i32 = 0, gKH: i32 = 0, gKW: i32 = 0;
let gSH: i32 = 1, gSW: i32 = 1, gPT: i32 = 0, gPL: i32 = 0, gDH: i32 = 1, gDW: i32 = 1, gOW: i32 = 1;
/** 1x1 kernel, stride 1, no padding: panel row c is in[c][pix0 .. pix0 + 8). */
let gPointwise: bool = false;
/** The zero-padded row buffer: input pixel ix lives at gRowBuf + (ix + gPL) * 4. */
let gRowBuf: usize = 0;

/** Most panels per block (kernels/conv.ts stays below). */
export const MAX_BLOCK_PANELS: i32 = 64;
const PANEL_OY: usize = memory.data(MAX_BLOCK_PANELS * 4, 16);
const PANEL_OX: usize = memory.data(MAX_BLOCK_PANELS * 4, 16);
const PIX_IY: usize = memory.data(8 * 4, 16);
const PIX_IX: usize = memory.data(8 * 4, 16);

/** Floats the row buffer needs (kernels/conv.ts sizes the scratch with the same formula). */
export function im2colRowBufferFloats(W: i32, kW: i32, sw: i32, pl: i32, dw: i32, OW: i32): i32 {
  // Reads reach index (OW - 8) * sw + (kW - 1) * dw + 16 * sw at most; the copy needs pl + W.
  return max(OW * sw + kW * dw + 16 * sw, pl + W) + 4;
}

export function setIm2colGeometry(
  Cg: i32, H: i32, W: i32, kH: i32, kW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, OH: i32, OW: i32,
  rowBuf: usize,
): void {
  gCg = Cg; gH = H; gW = W; gKH = kH; gKW = kW; gSH = sh; gSW = sw; gPT = pt; gPL = pl; gDH = dh; gDW = dw; gOW = OW;
  // OH == H and OW == W: no bottom/right padding either, so output pixel p is input pixel p.
  gPointwise = kH == 1 && kW == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
  gRowBuf = rowBuf;
  // Only [pl, pl + W) is ever written: the margins stay zero for the whole call.
  memory.fill(rowBuf, 0, <usize>im2colRowBufferFloats(W, kW, sw, pl, dw, OW) << 2);
}

/**
 * Writes the panels for pixels [pix0, pix0 + npix) of the group whose first channel starts at
 * `inp`: panel q at out + q * pstride.
 */
export function im2colBlock(inp: usize, pix0: i32, npix: i32, out: usize, pstride: usize): void {
  const panels = (npix + 7) >> 3;
  if (gPointwise) {
    for (let q = 0; q < panels; q++) {
      const n = min(8, npix - (q << 3));
      if (n == 8) im2colPointwisePanel(inp, pix0 + (q << 3), out + <usize>q * pstride);
      else im2colAnyPanel(inp, pix0 + (q << 3), n, out + <usize>q * pstride);
    }
    return;
  }
  const rowPanels = gSW <= 2;
  for (let q = 0; q < panels; q++) {
    const p = pix0 + (q << 3);
    const oy = p / gOW, ox = p % gOW;
    const inRow = rowPanels && q < (npix >> 3) && ox + 8 <= gOW;
    store<i32>(PANEL_OY + (<usize>q << 2), inRow ? oy : -1);
    store<i32>(PANEL_OX + (<usize>q << 2), ox);
    if (!inRow) im2colAnyPanel(inp, p, min(8, npix - (q << 3)), out + <usize>q * pstride);
  }
  im2colRowPanels(inp, panels, out, pstride);
}

function im2colPointwisePanel(inp: usize, pix0: i32, out: usize): void {
  const plane: usize = <usize>gH * <usize>gW << 2;
  let src = inp + (<usize>pix0 << 2);
  for (let c = 0; c < gCg; c++) {
    v128.store(out, v128.load(src)); v128.store(out, v128.load(src, 16), 16);
    src += plane; out += 32;
  }
}

// The panels marked with an output row in PANEL_OY, from the zero-padded row buffer.
function im2colRowPanels(inp: usize, panels: i32, out: usize, pstride: usize): void {
  const H = gH, W = gW, kW = gKW, sw = gSW;
  const rowBuf = gRowBuf;
  const dwBytes: usize = <usize>gDW << 2;
  const plane: usize = <usize>H * <usize>W << 2;
  for (let c = 0; c < gCg; c++) {
    const chan = inp + <usize>c * plane;
    for (let kh = 0; kh < gKH; kh++) {
      const rowOut = out + (<usize>((c * gKH + kh) * kW) << 5);
      let q = 0;
      while (q < panels) {
        const oy = load<i32>(PANEL_OY + (<usize>q << 2));
        if (oy < 0) { q++; continue; }
        let qEnd = q + 1;
        while (qEnd < panels && load<i32>(PANEL_OY + (<usize>qEnd << 2)) == oy) qEnd++;
        const iy = oy * gSH - gPT + kh * gDH;
        if (<u32>iy >= <u32>H) {
          for (let qq = q; qq < qEnd; qq++) {
            let dst = rowOut + <usize>qq * pstride;
            for (let kw = 0; kw < kW; kw++) {
              v128.store(dst, i32x4.splat(0)); v128.store(dst, i32x4.splat(0), 16);
              dst += 32;
            }
          }
        } else {
          copyRow(chan + <usize>iy * <usize>W * 4, rowBuf + (<usize>gPL << 2), W);
          // Panels q..qEnd-1 are consecutive on one output row: their sources are 8 * sw floats
          // apart in the row buffer.
          const n = qEnd - q;
          const srcStep: usize = <usize>sw << 5;
          let src0 = rowBuf + (<usize>(load<i32>(PANEL_OX + (<usize>q << 2)) * sw) << 2);
          let dst0 = rowOut + <usize>q * pstride;
          for (let kw = 0; kw < kW; kw++) {
            let src = src0, dst = dst0;
            if (sw == 1) {
              for (let i = 0; i < n; i++) {
                v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
                src += srcStep; dst += pstride;
              }
            } else {
              for (let i = 0; i < n; i++) {
                const a = v128.load(src), b = v128.load(src, 16), d = v128.load(src, 32), e = v128.load(src, 48);
                v128.store(dst, v128.shuffle<f32>(a, b, 0, 2, 4, 6));
                v128.store(dst, v128.shuffle<f32>(d, e, 0, 2, 4, 6), 16);
                src += srcStep; dst += pstride;
              }
            }
            src0 += dwBytes; dst0 += 32;
          }
        }
        q = qEnd;
      }
    }
  }
}

// n floats; never reads or writes past either end (the buffer's right margin must stay zero).
function copyRow(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// Any geometry, per-pixel bounds checks.
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
