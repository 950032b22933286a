// What a benchmark case provides. bench/run.ts collects the cases from bench/cases/*.ts, runs
// each on every WASM build and beside the peers in the same process, and prints ratios.
import type { Runtime } from '../kernels/runtime.js';

export interface FloatFeed {
  dims: number[];
  data: Float32Array;
}

/** One prepared iteration. `output` (optional) returns the result of the last `run()`, so the
 * harness can check it against onnxruntime-web's first output before trusting the timing. */
export interface BenchRun {
  run: () => void;
  dispose?: () => void;
  output?: () => Float32Array;
  /** Extra figures for the record (e.g. the arena's planned peak and its lower bound), read after timing. */
  facts?: () => Record<string, number>;
}

export interface BenchCase {
  /** What it runs, e.g. 'gemm f32 1024', 'conv3x3 f32 1x64x56x56', 'lstm f32 T32 b1 i128 h256'. */
  name: string;
  /** Floating-point operations per run (2 per multiply-add), for the GFLOP/s column. */
  flops?: number;
  /**
   * Set up edgerun on `rt` (pack weights, allocate arena buffers, fill inputs) and return one
   * iteration. Weights/inputs must be the same numbers the ONNX model below uses.
   * `dispose` is called after timing.
   */
  edgerun(rt: Runtime): BenchRun;
  /** The same computation as an ONNX model (built with bench/onnx-model.ts) and its feeds. */
  onnx?: () => { model: Uint8Array; feeds: Record<string, FloatFeed> };
  /** The same computation on TF.js (tfjs-backend-wasm); returns one iteration. */
  tfjs?: (tf: typeof import('@tensorflow/tfjs-core')) => { run: () => void; dispose?: () => void };
  /**
   * Optional peers that are other edgerun configurations (e.g. 'edgerun-dense' for sparse cases).
   * Listed first among the peers when present, so `ratio` compares against them.
   */
  edgerunPeers?: Record<string, (rt: Runtime) => { run: () => void; dispose?: () => void }>;
  /**
   * How close edgerun's output must be to onnxruntime-web's:
   * max |edgerun - ort| <= atol + rtol * max |ort|. Default { rtol: 1e-4, atol: 1e-6 }.
   */
  tolerance?: { rtol: number; atol: number };
}
