// edgerun run MODEL --input NAME=FILE ... [--output FILE|DIR]: runs a model on tensors from
// .pb/.npy/.json files, prints each output's shape and a preview, and writes the outputs.
import { parseArgs } from 'node:util';
import { EdgeRunError } from '../errors.js';
import { InferenceSession } from '../session.js';
import { readFileBytes, writeFileBytes } from '../platform.js';
import { decodeTensor, encodeTensor, formatOf } from '../tensor-io.js';
import type { Tensor } from '../tensor.js';
import type { BuildRequest } from '../../kernels/runtime.js';
import type { NodeTiming } from '../backends/cpu/executable.js';
import { formatKernelChoices, kernelChoices } from '../backends/cpu/ops/sparse-choice.js';

const USAGE = `usage: edgerun run MODEL.onnx --input NAME=FILE [--input NAME=FILE ...] [--output FILE] [--build auto|relaxed|baseline|reference] [--profile]

--profile runs the model a few times first, then times every node of one run (slowest first) and
says which kernel (dense, sparse or codebook) each Gemm/MatMul/Conv with constant weights runs on.

FILE is an ONNX TensorProto (.pb), a NumPy array (.npy) or JSON (nested arrays, or {"type","dims","data"}).
--output writes the outputs: with one output, to FILE (format from its extension); with several,
FILE's name gets the output name inserted (out.npy -> out.logits.npy).`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true },
      output: { type: 'string', short: 'o' },
      build: { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const session = await InferenceSession.create(positionals[0], { build: (values.build ?? 'auto') as BuildRequest });
  const feeds: Record<string, Tensor> = {};
  for (const spec of values.input ?? []) {
    const eq = spec.indexOf('=');
    const [name, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : session.inputNames.length === 1 ? [session.inputNames[0], spec] : ['', spec];
    if (!name) throw new EdgeRunError('InvalidArgument', `--input '${spec}': say which input (NAME=FILE); inputs are ${session.inputNames.join(', ')}`);
    feeds[name] = decodeTensor(await readFileBytes(file), formatOf(file), `input '${name}' from ${file}`);
  }
  if (values.profile) {
    // Profile steady state: plan once and let V8 tier the kernels up before timing nodes.
    for (let i = 0; i < 5; i++) session.runSync(feeds);
  }
  const t0 = performance.now();
  const timings: NodeTiming[] | undefined = values.profile ? [] : undefined;
  const outputs = session.runSync(feeds, undefined, timings);
  const ms = performance.now() - t0;
  console.log(`ran '${session.graph.name}' on the ${session.runtime.build} build in ${ms.toFixed(2)} ms`);
  for (const [name, t] of Object.entries(outputs)) console.log(`${name}: ${t.type} [${t.dims.join(', ')}]  ${preview(t)}`);
  if (timings) {
    const total = timings.reduce((s, t) => s + t.ms, 0);
    for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 15)) {
      console.log(`  ${t.ms.toFixed(3).padStart(9)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)}%  ${t.node.label}`);
    }
    const choices = kernelChoices(session.graph);
    if (choices.length) console.log(`kernels (dense, sparse or codebook, chosen per node from measured speedups):\n${formatKernelChoices(choices)}`);
  }
  if (values.output) {
    const names = Object.keys(outputs);
    for (const name of names) {
      const file = names.length === 1 ? values.output : values.output.replace(/(\.[^.]+)$/, `.${name}$1`);
      await writeFileBytes(file, encodeTensor(outputs[name], formatOf(file), name));
      console.log(`wrote ${name} to ${file}`);
    }
  }
  await session.release();
  return 0;
}

function preview(t: Tensor, n = 8): string {
  if (t.type === 'string') return JSON.stringify((t.data as string[]).slice(0, n));
  const xs = t.toNumbers();
  const shown = xs.slice(0, n).map((x) => (Number.isInteger(x) ? String(x) : x.toPrecision(5)));
  return `[${shown.join(', ')}${xs.length > n ? `, … (${xs.length} values)` : ''}]`;
}
