// onnxruntime-web on its WASM backend, one thread: the peer every case is measured against.
// One session per case, created once and reused for both edgerun builds.
import * as ort from 'onnxruntime-web';
import type { BenchCase } from '../case.js';
import type { PeerRun } from './peer.js';

export const ORT_PEER = 'onnxruntime-web';

let configured = false;

function configure(): void {
  if (configured) return;
  // Single-threaded like edgerun; ORT 1.2x+ ships only its SIMD (ort-wasm-simd-threaded) binary.
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  configured = true;
}

export function ortVersion(): string {
  return ort.env.versions.web ?? ort.env.versions.common ?? 'unknown';
}

export async function createOrtPeer(c: BenchCase): Promise<PeerRun | null> {
  if (!c.onnx) return null;
  configure();
  const { model, feeds } = c.onnx();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', f.data, f.dims);
  const first = session.outputNames[0];
  return {
    async: true,
    run: () => session.run(tensors),
    output: async () => {
      const out = await session.run(tensors);
      return Float32Array.from(out[first].data as Float32Array);
    },
    dispose: () => session.release(),
  };
}
