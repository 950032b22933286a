// Recurrent operators: LSTM, GRU, RNN (ONNX opsets 7–17; layout attribute from 14).
import { FLOAT_TYPES } from './elementwise.js';
import { defineOp, type OpContext, type ValueInfo } from './registry.js';
import type { Dim } from '../graph/ir.js';

export interface RecurrentParams {
  hiddenSize: number;
  direction: 'forward' | 'reverse' | 'bidirectional';
  numDirections: number;
  activations: string[];
  activationAlpha: number[];
  activationBeta: number[];
  clip: number | null;
  inputForget: boolean;
  linearBeforeReset: boolean;
  layout: number;
}

const GATES: Record<string, number> = { LSTM: 4, GRU: 3, RNN: 1 };

function recurrentParams(ctx: OpContext): RecurrentParams {
  const n = ctx.node;
  const direction = n.string('direction', 'forward') as RecurrentParams['direction'];
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw ctx.error('InvalidArgument', `direction '${direction}' is not forward, reverse or bidirectional`);
  const numDirections = direction === 'bidirectional' ? 2 : 1;
  const hiddenSize = n.int('hidden_size', 0);
  // The kernels resolve defaults and check the count (onnxruntime's RNN quirk included).
  const activations = n.strings('activations', []);
  const clip = n.has('clip') ? n.float('clip') : null;
  if (clip !== null && !(clip > 0)) throw ctx.error('InvalidArgument', `clip ${clip} must be > 0`);
  const layout = n.int('layout', 0);
  if (layout !== 0 && layout !== 1) throw ctx.error('InvalidArgument', `layout ${layout} must be 0 or 1`);
  return {
    hiddenSize,
    direction,
    numDirections,
    activations,
    activationAlpha: n.floats('activation_alpha', []),
    activationBeta: n.floats('activation_beta', []),
    clip,
    inputForget: n.int('input_forget', 0) !== 0,
    linearBeforeReset: n.int('linear_before_reset', 0) !== 0,
    layout,
  };
}

function inferRecurrent(type: string) {
  return (ctx: OpContext, inputs: readonly (ValueInfo | null)[], p: RecurrentParams): ValueInfo[] => {
    const x = ctx.input(inputs, 0, 'X');
    const w = ctx.input(inputs, 1, 'W');
    const r = ctx.input(inputs, 2, 'R');
    ctx.expectDType(x, FLOAT_TYPES, 'input 0');
    ctx.expectRank(x, 3, 'input X');
    ctx.expectRank(w, 3, 'input W');
    ctx.expectRank(r, 3, 'input R');
    const gates = GATES[type];
    let h: Dim = p.hiddenSize || null;
    const wRows = w.shape?.[1];
    if (typeof wRows === 'number') {
      if (wRows % gates !== 0) throw ctx.error('ShapeMismatch', `W has ${wRows} rows, not a multiple of ${gates} gates`);
      if (h === null) h = wRows / gates;
      else if (wRows !== gates * h) throw ctx.error('ShapeMismatch', `W has ${wRows} rows; hidden_size ${h} × ${gates} gates needs ${gates * h}`);
    }
    if (typeof w.shape?.[0] === 'number' && w.shape[0] !== p.numDirections) {
      throw ctx.error('ShapeMismatch', `W has ${w.shape[0]} directions; direction '${p.direction}' needs ${p.numDirections}`);
    }
    if (r.shape && typeof h === 'number' && typeof r.shape[2] === 'number' && r.shape[2] !== h) {
      throw ctx.error('ShapeMismatch', `R has shape [${r.shape}]; hidden_size ${h} needs [${p.numDirections}, ${gates * h}, ${h}]`);
    }
    const [t, b] = x.shape ? (p.layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]]) : [null, null];
    const d = p.numDirections;
    const y: Dim[] = p.layout === 0 ? [t, d, b, h] : [b, t, d, h];
    const state: Dim[] = p.layout === 0 ? [d, b, h] : [b, d, h];
    const outs: ValueInfo[] = [
      { dtype: x.dtype, shape: y, value: null },
      { dtype: x.dtype, shape: state, value: null },
    ];
    if (type === 'LSTM') outs.push({ dtype: x.dtype, shape: state, value: null });
    return outs.slice(0, Math.max(1, ctx.node.outputs.length));
  };
}

for (const type of ['LSTM', 'GRU', 'RNN']) {
  defineOp<RecurrentParams>({
    type,
    params: (ctx) => recurrentParams(ctx),
    infer: inferRecurrent(type),
    macs: (inputs, _outs, p) => {
      const x = inputs[0]?.shape as number[] | undefined;
      const w = inputs[1]?.shape as number[] | undefined;
      if (!x || !w) return 0;
      const h = w[1] / GATES[type];
      return x[0] * x[1] * p.numDirections * GATES[type] * h * (x[2] + h);
    },
  });
}
