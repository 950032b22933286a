// Reference GRU (ONNX opset 7–22), gate order z, r, h; activations f, g:
//   zt = f(clip(Xt·Wzᵀ + Ht-1·Rzᵀ + Wbz + Rbz))
//   rt = f(clip(Xt·Wrᵀ + Ht-1·Rrᵀ + Wbr + Rbr))
//   ht = g(clip(Xt·Whᵀ + (rt⊙Ht-1)·Rhᵀ + Rbh + Wbh))          linear_before_reset = 0
//   ht = g(clip(Xt·Whᵀ + rt⊙(Ht-1·Rhᵀ + Rbh) + Wbh))          linear_before_reset = 1
//   Ht = (1 - zt)⊙ht + zt⊙Ht-1
import { clipTo, dotRow, rnnActivate, runRecurrence, type RecurrentOutputs, type RecurrentReferenceArgs } from './rnn.js';

export interface GruReferenceArgs extends RecurrentReferenceArgs {
  linearBeforeReset: boolean;
}

export function gruReference(a: GruReferenceArgs): RecurrentOutputs {
  const { X, W, R, B, hiddenSize: H, clip } = a;
  const I = a.shape.I;
  return runRecurrence(a, 1, [a.initialH], (d, xOff, [h]) => {
    const [fAct, gAct] = a.activations.slice(2 * d, 2 * d + 2);
    const wBase = d * 3 * H * I;
    const rBase = d * 3 * H * H;
    const wb = (row: number): number => (B ? B[d * 6 * H + row] : 0);
    const rb = (row: number): number => (B ? B[d * 6 * H + 3 * H + row] : 0);
    const xw = (row: number): number => dotRow(X, xOff, W, wBase, row, I) + wb(row);
    const z = new Array<number>(H);
    const r = new Array<number>(H);
    for (let j = 0; j < H; j++) {
      z[j] = rnnActivate(clipTo(xw(j) + dotRow(h, 0, R, rBase, j, H) + rb(j), clip), fAct);
      r[j] = rnnActivate(clipTo(xw(H + j) + dotRow(h, 0, R, rBase, H + j, H) + rb(H + j), clip), fAct);
    }
    const rh = h.map((v, k) => r[k] * v);
    const newH = new Array<number>(H);
    for (let j = 0; j < H; j++) {
      const row = 2 * H + j;
      const recurrent = a.linearBeforeReset
        ? r[j] * (dotRow(h, 0, R, rBase, row, H) + rb(row))
        : dotRow(rh, 0, R, rBase, row, H) + rb(row);
      const ht = rnnActivate(clipTo(xw(row) + recurrent, clip), gAct);
      newH[j] = (1 - z[j]) * ht + z[j] * h[j];
    }
    for (let j = 0; j < H; j++) h[j] = newH[j];
  });
}
