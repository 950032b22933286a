// The pooling oracle (reference/integer_ops/pooling.h), NCHW, one image, values in the dtype's
// own range: max starts at the dtype's lowest value; the average sums in-image taps only and
// rounds half away from zero; both clamp to [actMin, actMax].
import type { Geometry } from '../../int8/common.js';

export function qpoolRef(kind: 'max' | 'average', x: ArrayLike<number>, C: number, g: Geometry, lowest: number, actMin: number, actMax: number, out: { [i: number]: number }): void {
  const { H, W, OH, OW } = g;
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let m = lowest;
        let sum = 0;
        let count = 0;
        for (let ky = 0; ky < g.kh; ky++) {
          const iy = oy * g.sh + ky - g.padT;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < g.kw; kx++) {
            const ix = ox * g.sw + kx - g.padL;
            if (ix < 0 || ix >= W) continue;
            const v = x[(c * H + iy) * W + ix];
            m = Math.max(m, v);
            sum += v;
            count++;
          }
        }
        let v = m;
        if (kind === 'average') {
          const half = Math.trunc(count / 2);
          v = count === 0 ? 0 : Math.trunc((sum > 0 ? sum + half : sum - half) / count);
        }
        out[(c * OH + oy) * OW + ox] = Math.min(actMax, Math.max(actMin, v));
      }
    }
  }
}
