// Runs benchmark cases on both WASM builds beside their peers, in one process and one run, so
// the ratios compare like with like on a machine whose cores are shared.
//
// Per case: the ONNX session (and TF.js) is prepared once; then for each build edgerun,
// its edgerun peers, onnxruntime-web and tfjs-wasm are timed in alternating rounds. Peers are listed with the
// edgerun peers first, so `ratio` (first peer ÷ edgerun; > 1: edgerun is faster) compares a
// sparse kernel with its dense twin when a case has one, else with onnxruntime-web.
import type { BenchCase, BenchRun } from './case.js';
import { compareOutputs, DEFAULT_TOLERANCE } from './check.js';
import { createOrtPeer, ORT_PEER, ortVersion } from './peers/ort.js';
import type { PeerRun } from './peers/peer.js';
import { createTfjsPeer, loadTfjsWasm, TFJS_PEER } from './peers/tfjs.js';
import { DEFAULT_TIMING, measureInterleaved, type Runner, type TimingOptions } from './timing.js';
import { enableRelaxedSimdInNode } from '../engine/platform.js';
import { createRuntimeSync } from '../kernels/runtime.js';

export type WasmBuild = 'relaxed' | 'baseline';

/** One JSON record per case and build (the `npm run bench -- --json FILE` format). */
export interface BenchRecord {
  name: string;
  build: WasmBuild;
  unit: 'ms';
  /** Median ms per run; null when edgerun failed (see `error`). */
  edgerun: number | null;
  /** Median ms per run of each peer, edgerun peers first. */
  peers: Record<string, number>;
  /** First peer's median ÷ edgerun's; null without both. */
  ratio: number | null;
  /** When the case sets `flops`. */
  gflops?: number;
  /** 'ok', or what differs from onnxruntime-web's output; absent when not checked. */
  check?: string;
  /** Setup or timing failures, edgerun's or a peer's. */
  error?: string;
  /** Case-specific figures (BenchRun.facts), e.g. arenaPeak / arenaLowerBound in bytes. */
  facts?: Record<string, number>;
}

export interface HarnessOptions extends Partial<TimingOptions> {
  filter?: RegExp;
  builds?: WasmBuild[];
  /** Transient status ("which case, which runner"), e.g. for a terminal line. */
  progress?: (status: string) => void;
}

export interface BenchReport {
  records: BenchRecord[];
  /** What the reader of the numbers must know: peer versions and binaries, skipped builds. */
  notes: string[];
  /** Output mismatches and failures; also recorded in the records. */
  warnings: string[];
}

export async function runBenchmarks(cases: BenchCase[], opts: HarnessOptions = {}): Promise<BenchReport> {
  const timing: TimingOptions = {
    timeMs: opts.timeMs ?? DEFAULT_TIMING.timeMs,
    warmupMs: opts.warmupMs ?? DEFAULT_TIMING.warmupMs,
    minIterations: opts.minIterations ?? DEFAULT_TIMING.minIterations,
  };
  const progress = opts.progress ?? (() => {});
  const report: BenchReport = { records: [], notes: [], warnings: [] };
  const builds = await usableBuilds(opts.builds ?? ['relaxed', 'baseline'], report.notes);
  const selected = cases.filter((c) => !opts.filter || opts.filter.test(c.name));
  if (selected.some((c) => c.onnx)) report.notes.push(`${ORT_PEER} ${ortVersion()}: wasm backend, numThreads = 1`);
  if (selected.some((c) => c.tfjs)) {
    progress('loading tfjs-backend-wasm');
    const tfw = await loadTfjsWasm();
    report.notes.push(`${TFJS_PEER}: tfjs-backend-wasm loaded ${tfw.binary}`);
  }

  for (const [i, c] of selected.entries()) {
    const at = (what: string) => progress(`[${i + 1}/${selected.length}] ${c.name} ${what}`);
    at('preparing peers');
    const shared = await preparePeers(c, report);
    for (const build of builds) {
      report.records.push(await runRow(c, build, shared, timing, (who) => at(`${build}: ${who}`), report));
    }
    for (const p of [shared.ort, shared.tfjs]) await p?.dispose?.();
  }
  return report;
}

async function usableBuilds(wanted: WasmBuild[], notes: string[]): Promise<WasmBuild[]> {
  if (!wanted.includes('relaxed')) return wanted;
  if (await enableRelaxedSimdInNode()) return wanted;
  notes.push('relaxed SIMD does not validate in this engine: relaxed build skipped');
  return wanted.filter((b) => b !== 'relaxed');
}

interface SharedPeers {
  ort: PeerRun | null;
  tfjs: PeerRun | null;
  /** onnxruntime-web's first output, the reference for every build's check. */
  ortOutput: Float32Array | null;
  /** Why a peer is missing, recorded in every row of the case. */
  errors: string[];
}

async function preparePeers(c: BenchCase, report: BenchReport): Promise<SharedPeers> {
  const shared: SharedPeers = { ort: null, tfjs: null, ortOutput: null, errors: [] };
  const fail = (who: string, e: unknown) => {
    const msg = `${c.name}: ${who} failed: ${(e as Error)?.message ?? String(e)}`;
    shared.errors.push(msg);
    report.warnings.push(msg);
  };
  try {
    shared.ort = await createOrtPeer(c);
    shared.ortOutput = (await shared.ort?.output?.()) ?? null;
  } catch (e) {
    fail(ORT_PEER, e);
  }
  try {
    if (c.tfjs) shared.tfjs = createTfjsPeer(c, await loadTfjsWasm());
  } catch (e) {
    fail(TFJS_PEER, e);
  }
  return shared;
}

async function runRow(
  c: BenchCase,
  build: WasmBuild,
  shared: SharedPeers,
  timing: TimingOptions,
  at: (who: string) => void,
  report: BenchReport,
): Promise<BenchRecord> {
  const record: BenchRecord = { name: c.name, build, unit: 'ms', edgerun: null, peers: {}, ratio: null };
  const errors = [...shared.errors];
  const fail = (who: string, e: unknown) => {
    const msg = `${c.name} [${build}]: ${who} failed: ${(e as Error)?.message ?? String(e)}`;
    errors.push(msg);
    report.warnings.push(msg);
  };

  // Everything that runs is set up first, then timed in alternating rounds (measureInterleaved).
  const runners: { name: string; runner: Runner }[] = [];
  const cleanups: (() => void)[] = [];
  let er: BenchRun | null = null;
  try {
    at('setting up');
    try {
      er = c.edgerun(createRuntimeSync(build));
      const run = er;
      if (run.dispose) cleanups.push(() => run.dispose!());
      runners.push({ name: 'edgerun', runner: { fn: run.run, isAsync: false } });
    } catch (e) {
      fail('edgerun', e);
    }
    for (const [name, make] of Object.entries(c.edgerunPeers ?? {})) {
      try {
        const peer = make(createRuntimeSync(build));
        if (peer.dispose) cleanups.push(() => peer.dispose!());
        runners.push({ name, runner: { fn: peer.run, isAsync: false } });
      } catch (e) {
        fail(name, e);
      }
    }
    for (const [name, peer] of [[ORT_PEER, shared.ort], [TFJS_PEER, shared.tfjs]] as const) {
      if (peer) runners.push({ name, runner: { fn: peer.run, isAsync: peer.async } });
    }

    at(`timing ${runners.map((r) => r.name).join(', ')} in alternating rounds`);
    const times = await measureInterleaved(runners.map((r) => r.runner), timing);
    const own: Record<string, number> = {};
    const timed: Record<string, number> = {};
    for (const [i, { name }] of runners.entries()) {
      const t = times[i];
      if (t instanceof Error) fail(name, t);
      else if (name === 'edgerun') record.edgerun = t;
      else if (name === ORT_PEER || name === TFJS_PEER) timed[name] = t;
      else own[name] = t;
    }
    record.peers = { ...own, ...timed };

    if (er && record.edgerun !== null) {
      const check = checkOutput(c, er, shared.ortOutput);
      if (check !== undefined) record.check = check;
      if (check !== undefined && check !== 'ok') report.warnings.push(`${c.name} [${build}]: output disagrees with ${ORT_PEER}: ${check}`);
      const facts = er.facts?.();
      if (facts) record.facts = facts;
    }
  } finally {
    for (const undo of cleanups.reverse()) undo();
  }

  const first = Object.values(record.peers)[0];
  if (record.edgerun !== null && record.edgerun > 0 && first !== undefined) record.ratio = first / record.edgerun;
  if (c.flops && record.edgerun !== null && record.edgerun > 0) record.gflops = c.flops / (record.edgerun * 1e6);
  if (errors.length) record.error = errors.join('; ');
  return record;
}

/** undefined when there is nothing to compare (no `output` hook or no ORT output). */
function checkOutput(c: BenchCase, er: BenchRun, reference: Float32Array | null): string | undefined {
  if (!er.output || !reference) return undefined;
  er.run(); // the output of a run just made, not whatever the timing loop left behind
  return compareOutputs(er.output(), reference, c.tolerance ?? DEFAULT_TOLERANCE) ?? 'ok';
}
