// How good is a (compressed) graph? Top-1 accuracy on a labeled set, and how many bytes its
// weights take as plain float32: the two numbers every compression tool trades against each other.
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { InferenceSession } from '../session.js';
import { Tensor } from '../tensor.js';
import type { Runtime } from '../../kernels/runtime.js';

/** A labeled evaluation set: inputs batched on axis 0, one class index per row. */
export interface LabeledData {
  x: Tensor;
  labels: Tensor | ArrayLike<number>;
}

export interface AccuracyOptions {
  /** Rows per run (default 256). */
  batch?: number;
  /** The output holding the class scores (default: the first output). */
  outputName?: string;
  /** The input fed with `x` (default: the first input). */
  inputName?: string;
  runtime?: Runtime;
}

/** Top-1 accuracy in [0, 1] of `graph` on (x, labels); the graph is optimized and compiled first. */
export function accuracy(graph: Graph, x: Tensor, labels: Tensor | ArrayLike<number>, opts: AccuracyOptions = {}): number {
  return evaluateClassifier(graph, x, labels, opts).accuracy;
}

export interface ClassifierScore {
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy of the labels under softmax(outputs) (outputs read as logits): a smooth twin of accuracy, for ranking. */
  loss: number;
}

export function evaluateClassifier(graph: Graph, x: Tensor, labels: Tensor | ArrayLike<number>, opts: AccuracyOptions = {}): ClassifierScore {
  const truth = labelArray(labels);
  const rows = x.dims[0];
  if (x.type !== 'float32') throw new EdgeRunError('DTypeMismatch', `accuracy: x must be float32, got ${x.type}`);
  if (x.dims.length < 1 || rows !== truth.length) {
    throw new EdgeRunError('ShapeMismatch', `accuracy: x has ${rows ?? 0} rows, labels has ${truth.length}`);
  }
  const batch = opts.batch ?? 256;
  if (!Number.isInteger(batch) || batch < 1) throw new EdgeRunError('InvalidArgument', `accuracy: batch ${batch} must be a positive integer`);
  const session = InferenceSession.createSync(graph, { runtime: opts.runtime });
  const inputName = opts.inputName ?? session.inputNames[0];
  const outputName = opts.outputName ?? session.outputNames[0];
  if (!session.inputNames.includes(inputName)) throw new EdgeRunError('InvalidArgument', `accuracy: the graph has no input '${inputName}' (inputs: ${session.inputNames.join(', ')})`);
  if (!session.outputNames.includes(outputName)) throw new EdgeRunError('InvalidArgument', `accuracy: the graph has no output '${outputName}' (outputs: ${session.outputNames.join(', ')})`);
  const perRow = x.size / Math.max(1, rows);
  const data = x.data as Float32Array;
  let correct = 0;
  let loss = 0;
  try {
    for (let r0 = 0; r0 < rows; r0 += batch) {
      const n = Math.min(batch, rows - r0);
      const feed = new Tensor('float32', data.subarray(r0 * perRow, (r0 + n) * perRow), [n, ...x.dims.slice(1)]);
      const scores = session.runSync({ [inputName]: feed }, [outputName])[outputName];
      const classes = scores.size / n;
      const s = scores.data as Float32Array;
      for (let r = 0; r < n; r++) {
        const label = truth[r0 + r];
        if (!Number.isInteger(label) || label < 0 || label >= classes) {
          throw new EdgeRunError('InvalidArgument', `accuracy: label ${label} of row ${r0 + r} is not a class index in [0, ${classes})`);
        }
        let best = 0;
        for (let c = 1; c < classes; c++) if (s[r * classes + c] > s[r * classes + best]) best = c;
        if (best === label) correct++;
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(s[r * classes + c] - s[r * classes + best]);
        loss += Math.log(sum) - (s[r * classes + label] - s[r * classes + best]);
      }
    }
  } finally {
    void session.release();
  }
  return rows === 0 ? { accuracy: 0, loss: 0 } : { accuracy: correct / rows, loss: loss / rows };
}

function labelArray(labels: Tensor | ArrayLike<number>): number[] {
  if (labels instanceof Tensor) {
    if (labels.type === 'string' || labels.type.startsWith('float') || labels.type === 'bfloat16') {
      throw new EdgeRunError('DTypeMismatch', `accuracy: labels must be an integer tensor, got ${labels.type}`);
    }
    return labels.toNumbers();
  }
  return Array.from(labels, Number);
}

/** Accuracy and loss of a graph on a LabeledData set. */
export function evaluateOn(graph: Graph, data: LabeledData, opts: AccuracyOptions = {}): ClassifierScore {
  return evaluateClassifier(graph, data.x, data.labels, opts);
}

/**
 * Bytes the floating-point initializers would take as raw float32 (4 bytes per element, whatever
 * their stored type): the baseline a compressed encoding is measured against.
 */
export function weightBytes(graph: Graph): number {
  let elements = 0;
  for (const v of graph.constants()) {
    const t = v.constant!;
    if (t.type === 'float32' || t.type === 'float16' || t.type === 'bfloat16' || t.type === 'float64') elements += t.size;
  }
  return elements * 4;
}
