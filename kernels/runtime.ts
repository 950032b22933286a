// Loads a kernel build and pairs it with its arena. Three builds share one calling convention
// (pointers into the arena): 'relaxed' (WASM SIMD + relaxed SIMD FMA), 'baseline' (WASM SIMD
// 128) and 'reference' (the plain TypeScript kernels in kernels/reference/, for engines
// without WASM SIMD and as the test oracle).
import { EdgeRunError } from '../engine/errors.js';
import { decodeBase64, relaxedSimdSupported, simdSupported } from '../engine/platform.js';
import { Arena } from './arena.js';
import { BASELINE_WASM_BASE64, RELAXED_WASM_BASE64 } from './wasm-binaries.generated.js';

export type BuildKind = 'relaxed' | 'baseline' | 'reference';
export type BuildRequest = BuildKind | 'auto';

/** The raw exports of a WASM build: functions taking i32 addresses and numbers. */
export type WasmExports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };

export interface Runtime {
  readonly build: BuildKind;
  readonly arena: Arena;
  /** null for the reference build. */
  readonly wasm: WasmExports | null;
}

export interface Detection {
  simd: boolean;
  relaxedSimd: boolean;
  /** What 'auto' picks. */
  chosen: BuildKind;
}

export function detect(): Detection {
  const simd = simdSupported();
  const relaxedSimd = simd && relaxedSimdSupported();
  return { simd, relaxedSimd, chosen: relaxedSimd ? 'relaxed' : simd ? 'baseline' : 'reference' };
}

/** Builds this engine can run, fastest first. */
export function availableBuilds(): BuildKind[] {
  const d = detect();
  const out: BuildKind[] = [];
  if (d.relaxedSimd) out.push('relaxed');
  if (d.simd) out.push('baseline');
  out.push('reference');
  return out;
}

const moduleCache = new Map<BuildKind, WebAssembly.Module>();

function wasmBytes(build: 'relaxed' | 'baseline'): Uint8Array {
  return decodeBase64(build === 'relaxed' ? RELAXED_WASM_BASE64 : BASELINE_WASM_BASE64);
}

function resolve(request: BuildRequest): BuildKind {
  const d = detect();
  if (request === 'auto') return d.chosen;
  if (request === 'relaxed' && !d.relaxedSimd) {
    throw new EdgeRunError(
      'UnsupportedFeature',
      "build 'relaxed' needs WebAssembly relaxed SIMD, which this engine lacks (Node 20: run with --experimental-wasm-relaxed-simd or call enableRelaxedSimdInNode() first)",
    );
  }
  if (request === 'baseline' && !d.simd) {
    throw new EdgeRunError('UnsupportedFeature', "build 'baseline' needs WebAssembly SIMD, which this engine lacks");
  }
  if (request !== 'relaxed' && request !== 'baseline' && request !== 'reference') {
    throw new EdgeRunError('InvalidArgument', `unknown build '${String(request)}' (expected auto, relaxed, baseline or reference)`);
  }
  return request;
}

function fromInstance(build: BuildKind, instance: WebAssembly.Instance): Runtime {
  const wasm = instance.exports as unknown as WasmExports;
  return { build, wasm, arena: Arena.overWasmMemory(wasm.memory, wasm.heap_base()) };
}

/** Create a runtime; compiles the WASM module once per build and process. */
export async function createRuntime(request: BuildRequest = 'auto'): Promise<Runtime> {
  const build = resolve(request);
  if (build === 'reference') return { build, wasm: null, arena: Arena.overHostMemory() };
  let mod = moduleCache.get(build);
  if (!mod) {
    mod = await WebAssembly.compile(wasmBytes(build) as BufferSource);
    moduleCache.set(build, mod);
  }
  return fromInstance(build, await WebAssembly.instantiate(mod, {}));
}

/**
 * Synchronous variant for Node and workers. Browsers refuse synchronous compilation of
 * large modules on the main thread; use createRuntime there.
 */
export function createRuntimeSync(request: BuildRequest = 'auto'): Runtime {
  const build = resolve(request);
  if (build === 'reference') return { build, wasm: null, arena: Arena.overHostMemory() };
  let mod = moduleCache.get(build);
  if (!mod) {
    mod = new WebAssembly.Module(wasmBytes(build) as BufferSource);
    moduleCache.set(build, mod);
  }
  return fromInstance(build, new WebAssembly.Instance(mod, {}));
}

let defaultRuntime: Runtime | null = null;

/** The process-wide runtime used when callers do not pass one (fastest available build). */
export function getDefaultRuntime(): Runtime {
  if (!defaultRuntime) defaultRuntime = createRuntimeSync('auto');
  return defaultRuntime;
}

export function setDefaultRuntime(rt: Runtime): void {
  defaultRuntime = rt;
}
