// Median time of one function with tinybench. V8 first runs new WASM code in its Liftoff
// baseline tier and tiers hot functions up to TurboFan in the background, so every
// measurement starts with a warm-up phase whose samples are thrown away.
import { Bench } from 'tinybench';

export interface TimingOptions {
  /** Time budget of the measured phase, ms (tinybench keeps going until `minIterations` too). */
  timeMs: number;
  /** Warm-up budget, ms. */
  warmupMs: number;
  /** At least this many measured calls, however slow. */
  minIterations: number;
}

// A long warm-up: V8 compiles the peers' large WASM modules in the background, which on a 2-core
// machine competes with whatever is measured first.
export const DEFAULT_TIMING: TimingOptions = { timeMs: 1000, warmupMs: 800, minIterations: 10 };

export interface Timing {
  medianMs: number;
  samples: number;
}

export async function measure(fn: () => unknown, isAsync: boolean, opts: TimingOptions): Promise<Timing> {
  const bench = new Bench({
    time: opts.timeMs,
    iterations: opts.minIterations,
    warmup: true,
    warmupTime: opts.warmupMs,
    warmupIterations: Math.max(2, Math.ceil(opts.minIterations / 2)),
    throws: true,
  });
  // async is given, never detected: detection makes an extra exploratory call.
  bench.add('task', fn as () => void, { async: isAsync });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`timing ended in state '${result.state}'`);
  return { medianMs: result.latency.p50, samples: result.latency.samplesCount };
}
