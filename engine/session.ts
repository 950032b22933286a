// InferenceSession: the public entry point, modelled on onnxruntime-web's.
//   const session = await InferenceSession.create('model.onnx');
//   const out = await session.run({ input: new Tensor('float32', data, [1, 1, 8, 8]) });
import { EdgeRunError } from './errors.js';
import type { Graph } from './graph/ir.js';
import { Tensor } from './tensor.js';
import { createRuntime, createRuntimeSync, getDefaultRuntime, type BuildRequest, type Runtime } from '../kernels/runtime.js';
import { CpuExecutable, type NodeTiming } from './backends/cpu/executable.js';
import { importModel, loadModel } from './onnx/import.js';
import { optimizeGraph, type OptimizeOptions } from './passes/optimize.js';
import './ops/all.js';
import './backends/cpu/ops/all.js';

export type BackendName = 'cpu' | 'edgetpu' | 'fpga';

export interface SessionOptions {
  backend?: BackendName;
  /** Kernel build: 'auto' (default) picks relaxed SIMD, then SIMD, then the TypeScript reference. */
  build?: BuildRequest;
  /** Use this runtime (shares its arena with other sessions). */
  runtime?: Runtime;
  /** Graph optimisations before compiling (default: all). false runs the graph as imported. */
  optimize?: boolean | OptimizeOptions;
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly graph: Graph;
  readonly backend: BackendName;
  /** Emulated backends describe placement, memory and estimated latency here. */
  report: unknown = null;
  private readonly exec: CpuExecutable;

  private constructor(graph: Graph, exec: CpuExecutable, backend: BackendName) {
    this.graph = graph;
    this.exec = exec;
    this.backend = backend;
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
  }

  static async create(model: Uint8Array | ArrayBuffer | string | Graph, options: SessionOptions = {}): Promise<InferenceSession> {
    const graph = await loadModel(model);
    const rt = options.runtime ?? (options.build && options.build !== 'auto' ? await createRuntime(options.build) : undefined);
    return InferenceSession.createSync(graph, { ...options, runtime: rt });
  }

  /** Synchronous creation from a Graph or bytes (Node and workers; see createRuntimeSync). */
  static createSync(model: Uint8Array | Graph, options: SessionOptions = {}): InferenceSession {
    const backend = options.backend ?? 'cpu';
    if (backend !== 'cpu') {
      throw new EdgeRunError('UnsupportedFeature', `backend '${backend}' is not available yet (available: cpu)`);
    }
    const imported = model instanceof Uint8Array ? importModel(model) : model;
    const rt = options.runtime ?? (options.build && options.build !== 'auto' ? createRuntimeSync(options.build) : getDefaultRuntime());
    const graph = options.optimize === false ? imported : optimizeGraph(imported, { runtime: rt, ...(typeof options.optimize === 'object' ? options.optimize : {}) });
    const exec = new CpuExecutable(graph, rt, graph.name);
    return new InferenceSession(graph, exec, backend);
  }

  /** Runs the model. `fetches` picks outputs by name (default: all). */
  async run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    return this.exec.run(feeds, fetches);
  }

  /** Synchronous run, for hot loops and benchmarks. */
  runSync(feeds: Record<string, Tensor>, fetches?: readonly string[], timings?: NodeTiming[]): Record<string, Tensor> {
    return this.exec.run(feeds, fetches, timings);
  }

  /** Memory figures of the most recent run's plan. */
  get memory(): { peak: number; lowerBound: number } | null {
    const p = this.exec.lastPlan;
    return p ? { peak: p.memory.peak, lowerBound: p.memory.lowerBound } : null;
  }

  get runtime(): Runtime {
    return this.exec.rt;
  }

  async release(): Promise<void> {
    this.exec.dispose();
  }
}
