// The convolution oracle (reference/integer_ops/conv.h), NCHW, one image, grouped: out-of-image
// taps are skipped; accumulation in int32 (wrapping); per-output-channel requantization.
import type { Geometry } from '../../int8/common.js';
import type { QConvRefParams } from './dwconv.js';
import { multiplyByQuantizedMultiplier } from './fixedpoint.js';

/** x: Cin×H×W; w: Cout×(Cin/group)×kh×kw; out: Cout×OH×OW. */
export function qconvRef(x: ArrayLike<number>, Cin: number, Cout: number, group: number, w: ArrayLike<number>, g: Geometry, p: QConvRefParams, out: { [i: number]: number }): void {
  const { H, W, OH, OW, kh, kw } = g;
  const cinG = Cin / group;
  const coutG = Cout / group;
  for (let oc = 0; oc < Cout; oc++) {
    const g0 = Math.floor(oc / coutG) * cinG;
    const q = p.multipliers[oc];
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = 0;
        for (let ci = 0; ci < cinG; ci++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * g.sh + ky * g.dh - g.padT;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * g.sw + kx * g.dw - g.padL;
              if (ix < 0 || ix >= W) continue;
              acc = (acc + (x[((g0 + ci) * H + iy) * W + ix] - p.zx) * (w[((oc * cinG + ci) * kh + ky) * kw + kx] - p.zw[oc])) | 0;
            }
          }
        }
        const v = multiplyByQuantizedMultiplier((acc + p.bias[oc]) | 0, q.multiplier, q.shift) + p.outputZeroPoint;
        out[(oc * OH + oy) * OW + ox] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
      }
    }
  }
}
