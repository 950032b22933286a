// What a layer sees: its input activations on a calibration batch, laid out as the rows of the
// layer's GEMM — [rows, K] for Gemm/MatMul, the im2col patches [N·OH·OW, C·kH·kW] for a 2-D Conv —
// so pruning can score weights by the activations they multiply and re-fit the survivors.
import { EdgeRunError } from '../errors.js';
import type { Graph, Node, Value } from '../graph/ir.js';
import { InferenceSession } from '../session.js';
import type { Tensor } from '../tensor.js';
import type { LayerWeight } from './weights.js';

/**
 * A layer weight as a matrix W[out, col] (col indexes the layer's GEMM input features). `index`
 * maps (out, col) to the flat position in the stored tensor.
 */
export interface LayerMatrix {
  outs: number;
  cols: number;
  index(out: number, col: number): number;
}

/** The GEMM view of a weight, or null when the layer is not a plain Gemm / MatMul / 2-D group-1 Conv. */
export function layerMatrix(layer: LayerWeight): LayerMatrix | null {
  const d = layer.tensor.dims;
  const node = layer.nodes[0];
  if (layer.nodes.length !== 1) return null;
  if ((layer.op === 'Conv' || layer.op === 'FusedConv') && d.length === 4 && layer.group === 1) {
    const cols = d[1] * d[2] * d[3];
    return { outs: d[0], cols, index: (o, c) => o * cols + c };
  }
  if ((layer.op === 'Gemm' || layer.op === 'FusedGemm') && node.int('transA', 0) === 0 && node.float('alpha', 1) === 1 && node.float('beta', 1) === 1) {
    if (node.int('transB', 0) !== 0) return { outs: d[0], cols: d[1], index: (o, c) => o * d[1] + c };
    return { outs: d[1], cols: d[0], index: (o, c) => c * d[1] + o };
  }
  if (layer.op === 'MatMul' && d.length === 2) return { outs: d[1], cols: d[0], index: (o, c) => c * d[1] + o };
  return null;
}

/** The per-output bias tensor of a layer (Conv B, Gemm C of size N), if it has one. */
export function layerBias(layer: LayerWeight, outs: number): Value | null {
  const node = layer.nodes[0];
  if (layer.op === 'MatMul') return null;
  const b = node.inputs[2];
  return b?.constant && b.constant.type === 'float32' && b.constant.size === outs ? b : null;
}

/** Runs `graph` on `x` and returns the input activation of each listed layer node. */
export function captureLayerInputs(graph: Graph, nodes: readonly Node[], x: Tensor): Map<Node, Tensor> {
  const g = graph.clone();
  // Fetching a value makes it a graph output, which also keeps fusion from swallowing it.
  const byName = new Map([...g.nodes].map((n) => [n.name, n] as const));
  const wanted: Value[] = [];
  for (const n of nodes) {
    const v = byName.get(n.name)?.inputs[0];
    if (!v) throw new EdgeRunError('Internal', `captureLayerInputs: node '${n.name}' not found`);
    if (!g.outputs.includes(v)) g.outputs.push(v);
    wanted.push(v);
  }
  const session = InferenceSession.createSync(g);
  try {
    const out = session.runSync({ [session.inputNames[0]]: x }, [...new Set(wanted.map((v) => v.name))]);
    return new Map(nodes.map((n, i) => [n, out[wanted[i].name]] as const));
  } finally {
    void session.release();
  }
}

/** The rows the layer's GEMM multiplies with W: [rows × cols] row-major. */
export function gemmRows(layer: LayerWeight, input: Tensor): { rows: number; data: Float32Array } {
  const x = input.data as Float32Array;
  if (layer.op === 'Conv' || layer.op === 'FusedConv') return im2col(layer.nodes[0], layer.tensor.dims, input);
  const k = input.dims[input.dims.length - 1];
  return { rows: input.size / k, data: x };
}

function im2col(node: Node, wd: readonly number[], input: Tensor): { rows: number; data: Float32Array } {
  const [n, c, h, w] = input.dims;
  const [kh, kw] = [wd[2], wd[3]];
  const autoPad = node.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new EdgeRunError('UnsupportedFeature', `${node.label}: auto_pad ${autoPad} is not supported when reconstructing`);
  const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : node.ints('pads', [0, 0, 0, 0]);
  const [sh, sw] = node.ints('strides', [1, 1]);
  const [dh, dw] = node.ints('dilations', [1, 1]);
  const oh = Math.floor((h + pads[0] + pads[2] - (dh * (kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - (dw * (kw - 1) + 1)) / sw) + 1;
  const cols = c * kh * kw;
  const out = new Float32Array(n * oh * ow * cols);
  const x = input.data as Float32Array;
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, row++) {
        let col = row * cols;
        for (let ch = 0; ch < c; ch++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pads[0] + ky * dh;
            for (let kx = 0; kx < kw; kx++, col++) {
              const ix = ox * sw - pads[1] + kx * dw;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) out[col] = x[((b * c + ch) * h + iy) * w + ix];
            }
          }
        }
      }
    }
  }
  return { rows: n * oh * ow, data: out };
}
