// The demo (`npm start`): what this engine supports and which build edgerun picks; every kernel
// family once on each WASM build (checked against its TypeScript reference); then the bundled
// digits models end to end with their test accuracy.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableRelaxedSimdInNode } from '../platform.js';
import { createRuntimeSync, detect, type Runtime } from '../../kernels/runtime.js';
import { runKernelTour } from './kernel-tour.js';
import { InferenceSession } from '../session.js';
import { readFileBytes } from '../platform.js';
import { tensorFromBytes } from '../onnx/tensor-proto.js';

const MODELS = ['digits_mlp', 'digits_lenet', 'digits_dscnn', 'digits_lstm', 'digits_early_exit'];

export async function demo(_args: string[]): Promise<number> {
  const before = detect();
  console.log(`WebAssembly SIMD: ${before.simd ? 'yes' : 'no'}; relaxed SIMD: ${before.relaxedSimd ? 'yes' : 'not by default (enabling it in-process)'}`);
  await enableRelaxedSimdInNode();
  const d = detect();
  console.log(`builds available: ${d.relaxedSimd ? 'relaxed, ' : ''}${d.simd ? 'baseline, ' : ''}reference; 'auto' picks '${d.chosen}'\n`);

  const runtimes: Runtime[] = [];
  if (d.relaxedSimd) runtimes.push(createRuntimeSync('relaxed'));
  if (d.simd) runtimes.push(createRuntimeSync('baseline'));
  for (const rt of runtimes) runKernelTour(rt);

  const dir = modelsDir();
  if (!dir) {
    console.log('\n(bundled digits models not found next to the package; skipping the model demo)');
    return 0;
  }
  const x = tensorFromBytes(await readFileBytes(join(dir, 'digits_test_x.pb')), 'digits_test_x.pb');
  const y = tensorFromBytes(await readFileBytes(join(dir, 'digits_test_y.pb')), 'digits_test_y.pb').toNumbers();
  console.log(`\ndigits test split: ${x.dims[0]} images of 8×8`);
  for (const rt of runtimes) {
    for (const name of MODELS) {
      const session = await InferenceSession.create(await readFileBytes(join(dir, `${name}.onnx`)), { runtime: rt });
      const feeds = { [session.inputNames[0]]: x };
      let out = session.runSync(feeds); // plan + first (baseline-tier) run
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        out = session.runSync(feeds);
        times.push(performance.now() - t0);
      }
      const ms = times.sort((a, b) => a - b)[2];
      const accs = session.outputNames.map((o) => accuracy(out[o].data as Float32Array, out[o].dims[1], y));
      const mem = session.memory!;
      console.log(
        `  [${rt.build.padEnd(8)}] ${name.padEnd(18)} accuracy ${accs.map((a) => `${(100 * a).toFixed(1)} %`).join(' / ')}  ` +
          `${ms.toFixed(2).padStart(6)} ms per 360 images (median of 5)  arena ${(mem.peak / 1024).toFixed(0)} KiB (lower bound ${(mem.lowerBound / 1024).toFixed(0)} KiB)`,
      );
      await session.release();
    }
  }
  return 0;
}

function accuracy(logits: Float32Array, classes: number, labels: number[]): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[i]) right++;
  }
  return right / labels.length;
}

/** The bundled models live in test/fixtures/digits of the repository. */
function modelsDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'digits');
    if (existsSync(join(candidate, 'digits_mlp.onnx'))) return candidate;
    dir = dirname(dir);
  }
  return null;
}
