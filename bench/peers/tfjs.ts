// TensorFlow.js on tfjs-backend-wasm, loaded once per process on the first case that has a
// `tfjs` hook. Which of its three binaries it picked (plain, SIMD, threaded SIMD) is observed,
// not assumed: the harness prints it.
import type { BenchCase } from '../case.js';
import type { PeerRun } from './peer.js';

export const TFJS_PEER = 'tfjs-wasm';

type Tf = typeof import('@tensorflow/tfjs-core');

export interface TfjsWasm {
  tf: Tf;
  /** e.g. 'tfjs-backend-wasm-simd.wasm (4.22.0)'. */
  binary: string;
}

let loading: Promise<TfjsWasm> | null = null;

export function loadTfjsWasm(): Promise<TfjsWasm> {
  loading ??= load();
  return loading;
}

async function load(): Promise<TfjsWasm> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const instantiated = await watchInstantiatedSizes(async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    await tf.ready();
  });
  return { tf, binary: await identifyBinary(instantiated, tf.version_core) };
}

/** Byte sizes of the WASM modules instantiated while `fn` runs. */
async function watchInstantiatedSizes(fn: () => Promise<void>): Promise<number[]> {
  const sizes: number[] = [];
  const original = WebAssembly.instantiate;
  const watching = function (this: unknown, source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) {
    if (!(source instanceof WebAssembly.Module)) sizes.push(source.byteLength);
    return (original as (s: unknown, i?: unknown) => Promise<unknown>).call(this, source, imports);
  };
  WebAssembly.instantiate = watching as typeof WebAssembly.instantiate;
  try {
    await fn();
  } finally {
    WebAssembly.instantiate = original;
  }
  return sizes;
}

/** Matches the instantiated bytes against the binaries shipped in the package. */
async function identifyBinary(sizes: number[], version: string): Promise<string> {
  const { readdirSync, statSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  const binaries = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  const hit = binaries.find((f) => sizes.includes(statSync(join(dir, f)).size));
  return hit ? `${hit} (${version})` : `unidentified binary of ${sizes.join('/')} bytes (${version})`;
}

export function createTfjsPeer(c: BenchCase, tfw: TfjsWasm): PeerRun | null {
  if (!c.tfjs) return null;
  const { tf } = tfw;
  const iteration = c.tfjs(tf);
  return {
    async: false,
    // tidy: a case that forgets to dispose its intermediate tensors must not leak across runs.
    run: () => tf.tidy(() => {
      iteration.run();
    }),
    dispose: iteration.dispose,
  };
}
