// The demo: what this engine supports, which build edgerun chose, and each kernel run once on
// every build. Grows as the runtime grows.
import { enableRelaxedSimdInNode } from '../platform.js';
import { createRuntimeSync, detect } from '../../kernels/runtime.js';

export async function demo(_args: string[]): Promise<number> {
  const before = detect();
  console.log(`WebAssembly SIMD: ${before.simd ? 'yes' : 'no'}; relaxed SIMD: ${before.relaxedSimd ? 'yes' : 'no (enabling in-process)'}`);
  await enableRelaxedSimdInNode();
  const d = detect();
  console.log(`builds available: ${d.relaxedSimd ? 'relaxed, ' : ''}${d.simd ? 'baseline, ' : ''}reference; auto picks '${d.chosen}'`);
  for (const build of ['relaxed', 'baseline'] as const) {
    if (build === 'relaxed' && !d.relaxedSimd) continue;
    const rt = createRuntimeSync(build);
    console.log(`\n[${build}] arena at ${rt.arena.base}, ${rt.arena.buffer.byteLength / 65536} pages`);
  }
  return 0;
}
