// edgerun info MODEL: ops, parameters, bytes and MACs per node and in total.
import { parseArgs } from 'node:util';
import { loadModel } from '../onnx/import.js';
import { formatSummary, summarize } from '../graph/summary.js';
import '../ops/all.js';

export async function info(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals.length !== 1) {
    console.log('usage: edgerun info MODEL.onnx\n\nPrints every node with its output shape, parameters, parameter bytes and MACs, then totals.');
    return values.help ? 0 : 2;
  }
  const graph = await loadModel(positionals[0]);
  console.log(formatSummary(graph, summarize(graph)));
  return 0;
}
