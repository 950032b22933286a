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

export interface Runner {
  fn: () => unknown;
  isAsync: boolean;
}

/** How many alternating rounds measureInterleaved splits the time budget into. */
export const ROUNDS = 5;

/**
 * Medians of several runners measured in alternating rounds (A B C, A B C, ...), each round a
 * `timeMs / rounds` slice, the first preceded by the full warm-up. The machines we measure on
 * have slow phases lasting seconds (other tenants): timed one after the other, one runner can
 * land in a slow phase and the other not, and their ratio is off by 1.5×. Interleaved, a slow
 * phase hits every runner alike. Each runner's figure is the median of its round medians; a
 * runner that throws gets its error in place of a time and is left out of later rounds.
 */
export async function measureInterleaved(runners: Runner[], opts: TimingOptions, rounds = ROUNDS): Promise<(number | Error)[]> {
  const medians: number[][] = runners.map(() => []);
  const failed: (Error | null)[] = runners.map(() => null);
  for (let r = 0; r < rounds; r++) {
    const slice: TimingOptions = {
      timeMs: opts.timeMs / rounds,
      warmupMs: r === 0 ? opts.warmupMs : Math.min(opts.warmupMs, 20),
      minIterations: Math.max(2, Math.ceil(opts.minIterations / rounds)),
    };
    for (const [i, run] of runners.entries()) {
      if (failed[i]) continue;
      try {
        medians[i].push((await measure(run.fn, run.isAsync, slice)).medianMs);
      } catch (e) {
        failed[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  }
  return runners.map((_, i) => failed[i] ?? median(medians[i]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
