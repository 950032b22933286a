// The depthwise oracle (reference/integer_ops/depthwise_conv.h), NCHW, one image: out-of-image
// taps are skipped; oc = ic · depthMultiplier + m.
import type { Geometry } from '../../int8/common.js';
import type { QuantizedMultiplier } from '../../int8/qparams.js';
import { multiplyByQuantizedMultiplier } from './fixedpoint.js';

export interface QConvRefParams {
  zx: number;
  /** Per output channel. */
  zw: ArrayLike<number>;
  bias: ArrayLike<number>;
  multipliers: readonly QuantizedMultiplier[];
  outputZeroPoint: number;
  actMin: number;
  actMax: number;
}

/** x: C×H×W; w: (C·dm)×kh×kw; out: (C·dm)×OH×OW. */
export function qdwconvRef(x: ArrayLike<number>, C: number, dm: number, w: ArrayLike<number>, g: Geometry, p: QConvRefParams, out: { [i: number]: number }): void {
  const { H, W, OH, OW, kh, kw } = g;
  for (let oc = 0; oc < C * dm; oc++) {
    const ic = Math.floor(oc / dm);
    const q = p.multipliers[oc];
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * g.sh + ky * g.dh - g.padT;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * g.sw + kx * g.dw - g.padL;
            if (ix < 0 || ix >= W) continue;
            acc = (acc + (x[(ic * H + iy) * W + ix] - p.zx) * (w[(oc * kh + ky) * kw + kx] - p.zw[oc])) | 0;
          }
        }
        const v = multiplyByQuantizedMultiplier((acc + p.bias[oc]) | 0, q.multiplier, q.shift) + p.outputZeroPoint;
        out[(oc * OH + oy) * OW + ox] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
      }
    }
  }
}
