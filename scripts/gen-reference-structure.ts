// Reduces the torchvision reference exports to the structure test/bench-models.test.ts compares
// the models of bench/models/ with, so the test does not need the (large, shared) files:
//   node --import tsx scripts/gen-reference-structure.ts [/work/shared/models/reference-architectures]
// writes test/fixtures/reference-structure/{mobilenet_v2,shufflenet_v2_x1_0}.json.
// Output shapes come from running each file in onnxruntime-node with every computed tensor
// exposed; attributes, parameters and MACs from the file itself (bench/models/structure.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededFloats } from '../bench/data.js';
import { probeGraph } from '../bench/models/ort-probe.js';
import { computeNodes, convGemmMacs, describeNode, learnableParams, type ModelStructure } from '../bench/models/structure.js';
import { loadModel } from '../engine/onnx/import.js';

const REFERENCES = ['mobilenet_v2', 'shufflenet_v2_x1_0'];
const dir = process.argv[2] ?? '/work/shared/models/reference-architectures';
const outDir = fileURLToPath(new URL('../test/fixtures/reference-structure/', import.meta.url));
mkdirSync(outDir, { recursive: true });

for (const name of REFERENCES) {
  const graph = await loadModel(join(dir, `${name}.onnx`));
  const [input] = graph.inputs;
  const dims = input.shape as number[];
  const probe = await probeGraph(graph, { [input.name]: { dims, data: seededFloats(dims.reduce((a, d) => a * d, 1), 1) } });
  const shapeOf = (v: (typeof graph.inputs)[number]) => probe.shapes.get(v);
  const structure: ModelStructure = {
    model: name,
    source: `${name}.onnx: torchvision, exported by ${graph.metadata.producerName} ${graph.metadata.producerVersion}, opset ${graph.opset}`,
    generatedBy: 'node --import tsx scripts/gen-reference-structure.ts',
    params: learnableParams(graph),
    macs: convGemmMacs(graph, shapeOf),
    output: shapeOf(graph.outputs[0])!,
    nodes: computeNodes(graph).map((n) => describeNode(n, shapeOf(n.outputs[0]))),
  };
  // One node per line: diffs of the fixture read like diffs of the architecture.
  const json = JSON.stringify(structure, null, 2).replace(/\[\n\s+(\d+),\n\s+(\d+)\n\s+\]/, '[$1, $2]');
  writeFileSync(join(outDir, `${name}.json`), `${json}\n`);
  console.log(`${name}: ${structure.nodes.length} nodes, ${structure.params} params, ${structure.macs} MACs`);
}
