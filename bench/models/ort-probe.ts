// Runs a graph in onnxruntime-node with every computed tensor exposed as an output: the shapes
// onnxruntime actually produces (ground truth for shape and MAC checks, independent of edgerun's
// own inference) and the activations (to see they neither vanish nor explode).
import * as ortNode from 'onnxruntime-node';
import type { Graph, Value } from '../../engine/graph/ir.js';
import { saveModel } from '../../engine/onnx/export.js';
import { computeNodes } from './structure.js';

export interface Probe {
  /** Shape and data of every computed value (by the original graph's Value), graph outputs included. */
  shapes: Map<Value, number[]>;
  data: Map<Value, Float32Array>;
}

export async function probeGraph(graph: Graph, feeds: Record<string, { dims: number[]; data: Float32Array }>): Promise<Probe> {
  const byName = graph.values();
  const open = graph.clone();
  const exposed = new Set(open.outputs);
  for (const n of computeNodes(open)) {
    for (const v of n.outputs) {
      if (exposed.has(v)) continue;
      v.dtype ??= 'float32'; // every computed tensor of these CNNs is float32
      open.outputs.push(v);
      exposed.add(v);
    }
  }
  const session = await ortNode.InferenceSession.create(saveModel(open), { intraOpNumThreads: 1 });
  try {
    const inputs: Record<string, ortNode.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) inputs[name] = new ortNode.Tensor('float32', f.data, f.dims);
    const out = await session.run(inputs);
    const probe: Probe = { shapes: new Map(), data: new Map() };
    for (const [name, t] of Object.entries(out)) {
      const v = byName.get(name);
      if (!v) continue;
      probe.shapes.set(v, t.dims.map(Number));
      probe.data.set(v, t.data as Float32Array);
    }
    return probe;
  } finally {
    await session.release();
  }
}
