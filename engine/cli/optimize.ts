// edgerun optimize MODEL --prune 0.8 --cluster 16 --quantize int8 --calib X [--eval X --labels Y] -o OUT.onnx
// Deep Compression in one line (engine/compress/pipeline.ts): writes the compact file (sparse /
// codebook weights, docs/compressed-format.md) and prints, before and after, the sizes (file and
// weights, raw and gzipped), the accuracy, and edgerun's latency on the evaluation set.
import { parseArgs } from 'node:util';
import { EdgeRunError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { importModel, loadModel } from '../onnx/import.js';
import { InferenceSession } from '../session.js';
import { readFileBytes, writeFileBytes } from '../platform.js';
import { decodeTensor, formatOf } from '../tensor-io.js';
import type { Tensor } from '../tensor.js';
import { optimizeWithReport, type PipelineReport } from '../compress/pipeline.js';
import { compressionSizes, type CompressionSizes } from '../compress/pipeline-sizes.js';
import { QUANTIZE_MODES, type QuantizeMode } from '../compress/quantize.js';
import { accuracy } from '../compress/evaluate.js';
import { formatKernelChoices, kernelChoices } from '../backends/cpu/ops/sparse-choice.js';

const USAGE = `usage: edgerun optimize MODEL.onnx [--prune S] [--cluster K] [--quantize MODE] -o OUT.onnx [options]

  --prune S        zero this fraction of all layer weights (0 ≤ S < 1); with --calib the per-layer
                   sparsities are picked by sensitivity and the kept weights re-fitted
  --cluster K      K shared values per layer (2 … 256); pruned zeros stay zero
  --quantize MODE  int8 (needs --calib) | dynamic | float16
  --calib FILE     calibration inputs (.pb/.npy/.json), batched along dim 0
  --max-drop D     accuracy the pruning pick may lose on the calibration set (default 0.02)
  --eval FILE      evaluation inputs ...
  --labels FILE    ... and their class labels: accuracy and latency before and after
  --runs N         timed runs for the latency median, after ~0.3 s of warm-up (default 5)
  --dense          write a standard dense ONNX file instead of the compact form`;

export async function optimizeCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      prune: { type: 'string' },
      cluster: { type: 'string' },
      quantize: { type: 'string' },
      calib: { type: 'string' },
      'max-drop': { type: 'string' },
      eval: { type: 'string' },
      labels: { type: 'string' },
      runs: { type: 'string' },
      dense: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1 || !values.output) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const number = (flag: string, s: string | undefined) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new EdgeRunError('InvalidArgument', `--${flag} '${s}' is not a number`);
    return n;
  };
  if (values.quantize !== undefined && !QUANTIZE_MODES.includes(values.quantize as QuantizeMode)) throw new EdgeRunError('InvalidArgument', `--quantize '${values.quantize}' is not one of ${QUANTIZE_MODES.join(', ')}`);
  if (!!values.eval !== !!values.labels) throw new EdgeRunError('InvalidArgument', '--eval and --labels go together');
  const runs = number('runs', values.runs) ?? 5;
  if (!Number.isInteger(runs) || runs < 1) throw new EdgeRunError('InvalidArgument', `--runs ${runs} must be a positive integer`);
  const readTensor = async (file: string, what: string) => decodeTensor(await readFileBytes(file), formatOf(file), `${what} ${file}`);

  const path = positionals[0];
  const original = await readFileBytes(path);
  const graph = await loadModel(original, path.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''));
  const calibration = values.calib ? await readTensor(values.calib, 'calibration data') : undefined;
  const evalData = values.eval ? { x: await readTensor(values.eval, 'evaluation data'), labels: (await readTensor(values.labels!, 'labels')).toNumbers() } : undefined;
  const t0 = performance.now();
  const { graph: small, report } = await optimizeWithReport(graph, {
    prune: number('prune', values.prune),
    cluster: number('cluster', values.cluster),
    quantize: values.quantize as QuantizeMode | undefined,
    calibration,
    maxDrop: number('max-drop', values['max-drop']),
    eval: evalData,
  });
  const ms = performance.now() - t0;
  const { bytes, sizes } = await compressionSizes(graph, small, { originalBytes: original, save: values.dense ? {} : { sparse: true, codebook: true } });
  await writeFileBytes(values.output, bytes);

  console.log(`optimized '${graph.name}' in ${(ms / 1000).toFixed(1)} s → ${values.output}${values.dense ? ' (dense)' : ''}`);
  printSteps(report);
  printSizes(sizes);
  const x = evalData?.x ?? calibration;
  if (x) {
    const reloaded = importModel(bytes, graph.name);
    if (evalData) {
      const [a0, a1] = [accuracy(graph, evalData.x, evalData.labels), accuracy(reloaded, evalData.x, evalData.labels)];
      console.log(`\naccuracy on ${evalData.labels.length} samples: ${pct(a0)} → ${pct(a1)} (${a1 >= a0 ? '+' : ''}${(100 * (a1 - a0)).toFixed(2)} points)`);
    }
    const [l0, l1] = [latency(graph, x, runs), latency(reloaded, x, runs)];
    console.log(`latency (edgerun, ${x.dims[0]} samples per run, median of ${runs}): ${l0.ms.toFixed(2)} ms → ${l1.ms.toFixed(2)} ms (${(l0.ms / l1.ms).toFixed(2)}× ${l1.ms <= l0.ms ? 'faster' : 'slower'})`);
    if (l1.kernels) console.log(`kernels of the optimized model:\n${l1.kernels}`);
  }
  for (const w of report.warnings) console.warn(`warning: ${w}`);
  return 0;
}

const pct = (a: number) => `${(100 * a).toFixed(2)} %`;
const kib = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

function printSteps(r: PipelineReport): void {
  if (r.accuracy !== undefined) console.log(`  start       accuracy ${pct(r.accuracy)}`);
  for (const s of r.steps) {
    console.log(`  ${s.step.padEnd(10)} ${(s.ms / 1000).toFixed(1).padStart(5)} s${s.accuracy === undefined ? '' : `  accuracy ${pct(s.accuracy)}`}  ${s.summary}`);
  }
}

function printSizes(s: CompressionSizes): void {
  const ratio = (a: number, b: number) => `${(a / Math.max(1, b)).toFixed(1)}×`;
  console.log(`\nsize                   before       after   smaller by`);
  console.log(`  file (raw)       ${kib(s.file.before).padStart(10)}  ${kib(s.file.after).padStart(10)}   ${ratio(s.file.before, s.file.after)}`);
  console.log(`  file (gzip)      ${kib(s.file.beforeGzip).padStart(10)}  ${kib(s.file.afterGzip).padStart(10)}   ${ratio(s.file.beforeGzip, s.file.afterGzip)}`);
  console.log(`  weights (raw)    ${kib(s.weights.float32).padStart(10)}  ${kib(s.weights.stored).padStart(10)}   ${ratio(s.weights.float32, s.weights.stored)}   (layer weights: float32 → as stored)`);
  console.log(`  weights (gzip)   ${kib(s.weights.float32Gzip).padStart(10)}  ${kib(s.weights.storedGzip).padStart(10)}   ${ratio(s.weights.float32Gzip, s.weights.storedGzip)}   (${ratio(s.weights.float32, s.weights.storedGzip)} from raw float32)`);
  for (const w of s.stored) {
    const how = w.form.startsWith('codebook') ? `${w.entries} × ${w.dtype}${w.axis === null ? '' : ` per channel (axis ${w.axis})`}, ${w.bits}-bit indices` : w.dtype;
    console.log(`    ${w.name.padEnd(36)} [${w.shape.join(', ')}]`.padEnd(60) + ` ${w.form.padEnd(13)} ${kib(w.bytes).padStart(9)}  ${(100 * w.zeros / Math.max(1, w.shape.reduce((a, d) => a * d, 1))).toFixed(0).padStart(3)} % zeros  ${how}`);
  }
}

/** Median ms of `runs` runs of the whole batch, after ~300 ms of warm-up runs (planning, V8 tiering up WASM and TS loops), and the kernels chosen. */
function latency(graph: Graph, x: Tensor, runs: number): { ms: number; kernels: string } {
  const s = InferenceSession.createSync(graph);
  try {
    const feed = { [s.inputNames[0]]: x };
    const warm = performance.now();
    for (let i = 0; i < 3 || performance.now() - warm < 300; i++) s.runSync(feed);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      s.runSync(feed);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], kernels: formatKernelChoices(kernelChoices(s.graph)) };
  } finally {
    void s.release();
  }
}
