// Compressed model → standard dense ONNX graph: every ai.edgerun.CodebookDecode is decoded into
// the initializer it stands for (sparse initializers are already dense once imported), and
// nothing else changes — QDQ stays QDQ — so any ONNX runtime runs the result with exactly the
// weights edgerun uses for the compressed file.
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { opsetFor } from '../graph/infer.js';
import { OpContext } from '../ops/registry.js';
import { CODEBOOK_DECODE } from '../ops/codebook-ops.js';
import { EDGERUN_DOMAIN } from '../ops/fused-activation.js';
import { evaluateNode } from '../backends/cpu/evaluate.js';
import { getDefaultRuntime, type Runtime } from '../../kernels/runtime.js';
import '../ops/all.js';
import '../backends/cpu/ops/all.js';

export function decompress(graph: Graph, opts: { runtime?: Runtime } = {}): Graph {
  const rt = opts.runtime ?? getDefaultRuntime();
  const g = graph.clone();
  const decoded = new Set(g.nodes.filter((n) => n.op === CODEBOOK_DECODE && n.domain === EDGERUN_DOMAIN));
  for (const node of decoded) {
    const inputs = node.inputs.map((v) => {
      if (v && !v.constant) throw new EdgeRunError('UnsupportedFeature', `decompress: ${node.label} reads '${v.name}', which is not a constant`, { node: node.name });
      return v?.constant ?? null;
    });
    const [out] = evaluateNode(rt, node, inputs, new OpContext(node, g.name, opsetFor(g, node.domain)));
    const v = node.outputs[0];
    v.constant = out;
    v.producer = null;
    v.dtype = out.type;
    v.shape = [...out.dims];
  }
  g.nodes = g.nodes.filter((n) => !decoded.has(n));
  // Inputs only the decoders read (codebooks, indices, masks) are gone with them: drop the domain too when unused.
  if (!g.nodes.some((n) => n.domain === EDGERUN_DOMAIN)) g.opsets = g.opsets.filter((o) => o.domain !== EDGERUN_DOMAIN);
  return g;
}
