// edgerun quantize MODEL --mode int8|dynamic|float16 [--calib FILE] [--method M] [--eval DATA --labels LABELS] -o OUT.onnx
// Writes the quantized model (standard ONNX: QDQ, or float16 + Cast) and prints the sizes before
// and after (file raw and gzipped, weight initializers), the per-tensor ranges and scales, the
// nodes left in float, and the accuracy before and after when evaluation data is given.
import { parseArgs } from 'node:util';
import { EdgeRunError } from '../errors.js';
import { loadModel } from '../onnx/import.js';
import { saveModel } from '../onnx/export.js';
import { InferenceSession } from '../session.js';
import { gzipSize, readFileBytes, writeFileBytes } from '../platform.js';
import { decodeTensor, formatOf } from '../tensor-io.js';
import type { Tensor } from '../tensor.js';
import type { Graph } from '../graph/ir.js';
import { quantizeWithReport, QUANTIZE_MODES, type QuantizeMode, type QuantizeReport } from '../compress/quantize.js';
import type { CalibrationMethod } from '../compress/calibrate.js';
import { initializerBytes } from '../compress/size.js';

const USAGE = `usage: edgerun quantize MODEL.onnx --mode int8|dynamic|float16 -o OUT.onnx [options]

  --calib FILE         calibration samples (.pb/.npy/.json), one tensor batched along dim 0 (int8: required)
  --method M           minmax | percentile (default) | entropy
  --percentile P       percentile method: share of values kept, in % (default 99.999)
  --io M               float (default) | int8 | uint8: integer model inputs and outputs (int8 mode)
  --keep-float NODE    keep this node in float (repeatable)
  --strict             fail when an op has no integer kernel instead of keeping it float
  --reduce-range       7-bit weights (onnxruntime on x86 CPUs without VNNI)
  --no-bias-correction do not correct biases for the weight rounding's mean error
  --eval DATA          evaluation inputs (batched along dim 0) ...
  --labels LABELS      ... and their class labels: prints accuracy before and after`;

export async function quantizeCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string' },
      output: { type: 'string', short: 'o' },
      calib: { type: 'string' },
      method: { type: 'string' },
      percentile: { type: 'string' },
      io: { type: 'string' },
      'keep-float': { type: 'string', multiple: true },
      strict: { type: 'boolean' },
      'reduce-range': { type: 'boolean' },
      'no-bias-correction': { type: 'boolean' },
      eval: { type: 'string' },
      labels: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1 || !values.mode || !values.output) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!QUANTIZE_MODES.includes(values.mode as QuantizeMode)) throw new EdgeRunError('InvalidArgument', `--mode '${values.mode}' is not one of ${QUANTIZE_MODES.join(', ')}`);
  if (!!values.eval !== !!values.labels) throw new EdgeRunError('InvalidArgument', '--eval and --labels go together');
  const percentile = values.percentile === undefined ? undefined : Number(values.percentile);
  if (percentile !== undefined && !Number.isFinite(percentile)) throw new EdgeRunError('InvalidArgument', `--percentile '${values.percentile}' is not a number`);
  const readTensor = async (file: string, what: string) => decodeTensor(await readFileBytes(file), formatOf(file), `${what} ${file}`);

  const modelPath = positionals[0];
  const before = await readFileBytes(modelPath);
  const graph = await loadModel(before, modelPath.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''));
  const calibration = values.calib ? await readTensor(values.calib, 'calibration data') : undefined;
  const t0 = performance.now();
  const { graph: quantized, report } = await quantizeWithReport(graph, {
    mode: values.mode as QuantizeMode,
    calibration,
    method: values.method as CalibrationMethod | undefined,
    percentile,
    io: values.io as 'float' | 'int8' | 'uint8' | undefined,
    keepFloat: values['keep-float'],
    strict: values.strict,
    reduceRange: values['reduce-range'],
    biasCorrection: values['no-bias-correction'] ? false : undefined,
  });
  const ms = performance.now() - t0;
  const after = saveModel(quantized);
  await writeFileBytes(values.output, after);

  console.log(`quantized '${graph.name}' (${report.mode}${report.method ? `, ${report.method} calibration` : ''}) in ${ms.toFixed(0)} ms → ${values.output}`);
  await printSizes(graph, quantized, before, after);
  printReport(report);
  if (values.eval && values.labels) {
    const x = await readTensor(values.eval, 'evaluation data');
    const labels = (await readTensor(values.labels, 'labels')).toNumbers();
    const a0 = await accuracy(graph, x, labels);
    const a1 = await accuracy(quantized, x, labels, report);
    console.log(`\naccuracy on ${labels.length} samples: float ${(100 * a0).toFixed(2)} % → ${report.mode} ${(100 * a1).toFixed(2)} % (${a1 >= a0 ? '+' : ''}${(100 * (a1 - a0)).toFixed(2)} points)`);
  }
  return 0;
}

function kib(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

async function printSizes(graph: Graph, quantized: Graph, before: Uint8Array, after: Uint8Array): Promise<void> {
  const [gz0, gz1] = [await gzipSize(before), await gzipSize(after)];
  const [w0, w1] = [initializerBytes(graph, { fold: true }), initializerBytes(quantized)];
  const ratio = (a: number, b: number) => `${(a / Math.max(1, b)).toFixed(2)}×`;
  console.log(`\nsize                 before       after   smaller by`);
  console.log(`  file (raw)     ${kib(before.length).padStart(10)}  ${kib(after.length).padStart(10)}   ${ratio(before.length, after.length)}`);
  console.log(`  file (gzip)    ${kib(gz0).padStart(10)}  ${kib(gz1).padStart(10)}   ${ratio(gz0, gz1)}`);
  console.log(`  weights        ${kib(w0.weights).padStart(10)}  ${kib(w1.weights).padStart(10)}   ${ratio(w0.weights, w1.weights)}   (weight tensors: conv kernels, matrices, recurrent weights)`);
  console.log(`  initializers   ${kib(w0.total).padStart(10)}  ${kib(w1.total).padStart(10)}   ${ratio(w0.total, w1.total)}   (with biases, scales, zero points)`);
}

function printReport(r: QuantizeReport): void {
  if (r.activations.length) {
    console.log('\nactivations (per tensor, int8)                 observed range            quantized range            scale        zp');
    for (const a of r.activations) {
      const obs = a.observed ? `[${a.observed[0].toPrecision(4)}, ${a.observed[1].toPrecision(4)}]` : a.source;
      console.log(`  ${a.tensor.padEnd(44)} ${obs.padEnd(25)} [${a.range[0].toPrecision(4)}, ${a.range[1].toPrecision(4)}]`.padEnd(100) + ` ${a.scale.toExponential(4)} ${String(a.zeroPoint).padStart(5)}${a.source === 'fallback' ? '  (empty range: fallback scale)' : ''}`);
    }
  }
  if (r.weights.length) {
    console.log('\nweights                                        node                        type     shape            scales');
    for (const w of r.weights) {
      const scales = w.scaleMin === undefined ? '' : w.scaleMin === w.scaleMax ? w.scaleMin.toExponential(3) : `${w.scaleMin.toExponential(3)} … ${w.scaleMax!.toExponential(3)} (${w.axis >= 0 ? `per channel, axis ${w.axis}` : 'per tensor'})`;
      console.log(`  ${w.tensor.padEnd(44)} ${w.node.padEnd(27)} ${w.dtype.padEnd(8)} [${w.shape.join(', ')}]`.padEnd(108) + ` ${scales}${w.note ? `  ${w.note}` : ''}`);
    }
  }
  for (const io of [...r.inputs.map((x) => ['input', x] as const), ...r.outputs.map((x) => ['output', x] as const)]) {
    console.log(`${io[0]} '${io[1].name}': ${io[1].dtype}, real = ${io[1].scale.toExponential(6)} × (q − ${io[1].zeroPoint})`);
  }
  if (r.floatNodes.length) {
    console.log('\nnodes computing in float:');
    for (const f of r.floatNodes) console.log(`  ${f.op} '${f.name}': ${f.reason}`);
  }
  for (const w of r.warnings) console.warn(`warning: ${w}`);
}

/** Top-1 accuracy of the first output; integer inputs/outputs (io int8/uint8) are converted with the report's parameters. */
async function accuracy(graph: Graph, x: Tensor, labels: number[], report?: QuantizeReport): Promise<number> {
  const session = await InferenceSession.create(graph);
  try {
    const { quantizeFeed, dequantizeOutput } = await import('../compress/io.js');
    const name = session.inputNames[0];
    const feed = report?.inputs.find((i) => i.name === name) ? quantizeFeed(x, report.inputs.find((i) => i.name === name)!) : x;
    const out = (await session.run({ [name]: feed }))[session.outputNames[0]];
    const io = report?.outputs.find((o) => o.name === session.outputNames[0]);
    const logits = io ? dequantizeOutput(out, io) : out.toNumbers();
    const classes = out.size / out.dims[0];
    let right = 0;
    for (let i = 0; i < labels.length; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      if (best === labels[i]) right++;
    }
    return right / labels.length;
  } finally {
    await session.release();
  }
}
