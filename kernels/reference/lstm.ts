// Reference LSTM (ONNX opset 7–22), gate order i, o, f, c; activations f, g, h:
//   it = f(clip(Xt·Wiᵀ + Ht-1·Riᵀ + Pi⊙Ct-1 + Wbi + Rbi))
//   ft = f(clip(Xt·Wfᵀ + Ht-1·Rfᵀ + Pf⊙Ct-1 + Wbf + Rbf))      (input_forget: ft = 1 - it)
//   ct = g(clip(Xt·Wcᵀ + Ht-1·Rcᵀ + Wbc + Rbc))
//   Ct = ft⊙Ct-1 + it⊙ct
//   ot = f(clip(Xt·Woᵀ + Ht-1·Roᵀ + Po⊙Ct + Wbo + Rbo))
//   Ht = ot⊙h(Ct)
// clip and input_forget follow onnxruntime (the ONNX reference implements neither).
import { clipTo, dotRow, rnnActivate, runRecurrence, type RecurrentOutputs, type RecurrentReferenceArgs } from './rnn.js';

export interface LstmReferenceArgs extends RecurrentReferenceArgs {
  /** [D, 3H]: i, o, f. */
  P?: Float32Array;
  initialC?: Float32Array;
  inputForget: boolean;
}

const GATE_I = 0;
const GATE_O = 1;
const GATE_F = 2;
const GATE_C = 3;

export function lstmReference(a: LstmReferenceArgs): RecurrentOutputs {
  const { X, W, R, B, P, hiddenSize: H, clip } = a;
  const I = a.shape.I;
  return runRecurrence(a, 2, [a.initialH, a.initialC], (d, xOff, [h, c]) => {
    const [fAct, gAct, hAct] = a.activations.slice(3 * d, 3 * d + 3);
    const pre = (gate: number, j: number): number => {
      const row = gate * H + j;
      let s = dotRow(X, xOff, W, d * 4 * H * I, row, I) + dotRow(h, 0, R, d * 4 * H * H, row, H);
      if (B) s += B[d * 8 * H + row] + B[d * 8 * H + 4 * H + row];
      return s;
    };
    const peep = (gate: 0 | 1 | 2, j: number): number => (P ? P[d * 3 * H + gate * H + j] : 0);
    const newH = new Array<number>(H);
    for (let j = 0; j < H; j++) {
      const cPrev = c[j];
      const it = rnnActivate(clipTo(pre(GATE_I, j) + peep(0, j) * cPrev, clip), fAct);
      const ft = a.inputForget ? 1 - it : rnnActivate(clipTo(pre(GATE_F, j) + peep(2, j) * cPrev, clip), fAct);
      const ct = rnnActivate(clipTo(pre(GATE_C, j), clip), gAct);
      const C = ft * cPrev + it * ct;
      const ot = rnnActivate(clipTo(pre(GATE_O, j) + peep(1, j) * C, clip), fAct);
      newH[j] = ot * rnnActivate(C, hAct);
      c[j] = C;
    }
    for (let j = 0; j < H; j++) h[j] = newH[j];
  });
}
