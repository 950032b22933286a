// edgerun decompress MODEL -o OUT.onnx: a compressed model (ai.edgerun.CodebookDecode weights,
// sparse initializers) as a standard dense ONNX file any runtime loads, with the same weights.
import { parseArgs } from 'node:util';
import { loadModel } from '../onnx/import.js';
import { saveModel } from '../onnx/export.js';
import { decompress } from '../compress/decompress.js';
import { gzipSize, readFileBytes, writeFileBytes } from '../platform.js';

const USAGE = `usage: edgerun decompress MODEL.onnx -o OUT.onnx

Decodes every ai.edgerun.CodebookDecode weight and writes sparse initializers dense: the result is
plain ONNX (QDQ models stay QDQ) that onnxruntime and other runtimes load.`;

export async function decompressCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length !== 1 || !values.output) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const path = positionals[0];
  const before = await readFileBytes(path);
  const graph = await loadModel(before, path.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''));
  const decoders = graph.nodes.filter((n) => n.op === 'CodebookDecode').length;
  const after = saveModel(decompress(graph));
  await writeFileBytes(values.output, after);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`decompressed '${graph.name}': ${decoders} codebook weight(s) decoded → ${values.output}`);
  console.log(`  file (raw)   ${kib(before.length).padStart(10)} → ${kib(after.length).padStart(10)}`);
  console.log(`  file (gzip)  ${kib(await gzipSize(before)).padStart(10)} → ${kib(await gzipSize(after)).padStart(10)}`);
  return 0;
}
