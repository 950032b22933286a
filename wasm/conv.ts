// NCHW 2-D convolution as GEMM: per image and channel group,
//   out[Mg x OH*OW] = W[Mg x Kc] · col[Kc x OH*OW] + bias,   Kc = Cg * kH * kW,
// with the constant weights as "A" (packed at load time into k-major 4-row strips by
// kernels/conv.ts) and the im2col matrix as "B", written straight into 8-pixel panels in a
// scratch block and consumed by the same 4x8 microkernel as the GEMM.
//
// Packed weights (byte offsets from `w`):
//   strips: group g's (Mg & ~3) / 4 strips of 4 rows, each Kc * conv_a_bytes_per_k() (layout: gemm-4x8.ts, WeightStrips)
//   raw:    per group, the Mg % 4 rows left over, as given ([Mg % 4][Kc])
//   bias:   M floats (zeros without a bias)
import { gemmRowsTimesPanels, gemmStripsTimesPanels } from './lib/gemm-panels';
import { aKBytes, BIAS_NONE, BIAS_ROWS, WeightStrips } from './lib/gemm-4x8';
import { ACT_NONE } from './lib/activation';
import { im2colBlock, im2colRowBufferFloats, setIm2colGeometry, MAX_BLOCK_PANELS } from './lib/gemm-im2col';

/** Bytes of scratch conv2d_f32 needs: the block of panels, then the im2col row buffer. */
/** Bytes per k of a packed 4-row strip of weights (kernels/conv.ts packs them so). */
export function conv_a_bytes_per_k(): i32 {
  return <i32>aKBytes<WeightStrips>();
}

export function conv2d_f32_scratch_bytes(Cg: i32, kH: i32, kW: i32, W: i32, sw: i32, pl: i32, dw: i32, OW: i32, panelsPerBlock: i32): f64 {
  return <f64>panelsPerBlock * <f64>(Cg * kH * kW) * 32 + <f64>im2colRowBufferFloats(W, kW, sw, pl, dw, OW) * 4;
}

/**
 * scratch: conv2d_f32_scratch_bytes(...) bytes. kcBlock <= 0: the whole Kc in one pass;
 * otherwise Kc is cut into slices of kcBlock.
 */
export function conv2d_f32(
  input: usize, N: i32, C: i32, H: i32, W: i32,
  strips: usize, raw: usize, bias: usize, M: i32, kH: i32, kW: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, group: i32,
  out: usize, OH: i32, OW: i32, act: i32, p0: f32, p1: f32,
  scratch: usize, panelsPerBlock: i32, kcBlock: i32,
): void {
  const Cg = C / group, Mg = M / group;
  const Kc = Cg * kH * kW;
  const Mg4 = Mg & ~3;
  const P = OH * OW;
  const pstride: usize = <usize>Kc << 5;
  const ldc: usize = <usize>P << 2;
  const astride: usize = <usize>Kc * aKBytes<WeightStrips>();
  const planeIn: usize = <usize>H * <usize>W << 2;
  const kcB = kcBlock > 0 ? min(kcBlock, Kc) : Kc;
  const blockPix = min(max(panelsPerBlock, 1), MAX_BLOCK_PANELS) << 3;
  setIm2colGeometry(Cg, H, W, kH, kW, sh, sw, pt, pl, dh, dw, OH, OW, scratch + <usize>panelsPerBlock * pstride);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < group; g++) {
      const inG = input + (<usize>n * <usize>C + <usize>g * <usize>Cg) * planeIn;
      const outG = out + (<usize>n * <usize>M + <usize>g * <usize>Mg) * ldc;
      const aStrips = strips + <usize>g * <usize>(Mg4 >> 2) * astride;
      const aRaw = raw + <usize>g * <usize>(Mg - Mg4) * (<usize>Kc << 2);
      const bG = bias + (<usize>g * <usize>Mg << 2);
      for (let pix0 = 0; pix0 < P; pix0 += blockPix) {
        const np = min(blockPix, P - pix0);
        im2colBlock(inG, pix0, np, scratch, pstride);
        const cBlock = outG + (<usize>pix0 << 2);
        let k0 = 0;
        do {
          const kc = min(kcB, Kc - k0);
          const first = k0 == 0;
          const biasMode = first ? BIAS_ROWS : BIAS_NONE;
          const actNow = k0 + kc >= Kc ? act : ACT_NONE;
          const wk = scratch + (<usize>k0 << 5);
          if (Mg4 > 0) {
            gemmStripsTimesPanels<WeightStrips>(Mg4 >> 2, kc, aStrips + <usize>k0 * aKBytes<WeightStrips>(), astride, wk, pstride, np, cBlock, ldc, bG, biasMode, !first, actNow, p0, p1, true);
          }
          if (Mg > Mg4) {
            gemmRowsTimesPanels(Mg - Mg4, kc, aRaw + (<usize>k0 << 2), <usize>Kc << 2, wk, pstride, np, cBlock + <usize>Mg4 * ldc, ldc, bG + (<usize>Mg4 << 2), biasMode, !first, actNow, p0, p1);
          }
          k0 += kc;
        } while (k0 < Kc);
      }
    }
  }
}
