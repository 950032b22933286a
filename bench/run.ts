// `npm run bench [-- --filter REGEX] [-- --time MS] [-- --json FILE]`: every case exported as
// `cases` by a module in bench/cases/, on both WASM builds, beside onnxruntime-web and TF.js.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchCase } from './case.js';
import { runBenchmarks, type WasmBuild } from './harness.js';
import { formatTable, RATIO_NOTE } from './table.js';
import { DEFAULT_TIMING } from './timing.js';

const USAGE = `usage: npm run bench -- [options]
  --filter REGEX   only cases whose name matches
  --time MS        measured time budget per case, build and runner (default ${DEFAULT_TIMING.timeMs})
  --warmup MS      warm-up budget before each measurement (default ${DEFAULT_TIMING.warmupMs})
  --builds LIST    comma-separated: relaxed,baseline (default both)
  --json FILE      also write one JSON record per case and build
  --cases DIR      where the case modules are (default bench/cases)`;

export interface CliOptions {
  filter?: RegExp;
  timeMs?: number;
  warmupMs?: number;
  builds?: WasmBuild[];
  json?: string;
  casesDir: string;
}

export function parseCli(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      filter: { type: 'string' },
      time: { type: 'string' },
      warmup: { type: 'string' },
      builds: { type: 'string' },
      json: { type: 'string' },
      cases: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const ms = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n >= 0) || !Number.isFinite(n)) throw new Error(`--${flag} wants a number of milliseconds, got '${v}'`);
    return n;
  };
  const builds = values.builds?.split(',').map((b) => b.trim());
  const bad = builds?.find((b) => b !== 'relaxed' && b !== 'baseline');
  if (bad !== undefined) throw new Error(`--builds: unknown build '${bad}' (relaxed, baseline)`);
  return {
    filter: values.filter === undefined ? undefined : new RegExp(values.filter),
    timeMs: ms('time', values.time),
    warmupMs: ms('warmup', values.warmup),
    builds: builds as WasmBuild[] | undefined,
    json: values.json,
    casesDir: values.cases ?? fileURLToPath(new URL('./cases/', import.meta.url)),
  };
}

/**
 * The `cases` export of every module in `dir`, in file-name order. A module that fails to load
 * (another engineer's kernel not merged yet) costs its own cases, not the whole run.
 */
export async function loadCases(dir: string): Promise<{ cases: BenchCase[]; failures: string[] }> {
  const files = readdirSync(dir).filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).sort();
  const cases: BenchCase[] = [];
  const failures: string[] = [];
  for (const f of files) {
    try {
      const mod = (await import(pathToFileURL(join(dir, f)).href)) as { cases?: BenchCase[] };
      if (!Array.isArray(mod.cases)) throw new Error("does not export 'cases: BenchCase[]'");
      cases.push(...mod.cases);
    } catch (e) {
      failures.push(`${f}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
  return { cases, failures };
}

/** Progress on one rewritten terminal line; nothing when stderr is not a terminal. */
function terminalProgress(): { update: (s: string) => void; clear: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, clear: () => {} };
  const width = () => Math.max(20, (process.stderr.columns || 80) - 1);
  return {
    update: (s) => process.stderr.write(`\r\x1b[K${s.slice(0, width())}`),
    clear: () => process.stderr.write('\r\x1b[K'),
  };
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseCli(argv);
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { cases, failures } = await loadCases(opts.casesDir);
  for (const f of failures) console.error(`WARNING: case module ${f}`);
  const progress = terminalProgress();
  const report = await runBenchmarks(cases, { ...opts, progress: progress.update });
  progress.clear();
  if (report.records.length === 0) {
    console.log(`no case matches ${opts.filter ?? 'anything'} (cases: ${cases.map((c) => c.name).join(', ') || 'none'})`);
    return 1;
  }
  for (const note of report.notes) console.log(`# ${note}`);
  console.log(`# ${RATIO_NOTE}`);
  console.log(formatTable(report.records));
  for (const r of report.records) {
    const f = r.facts;
    if (f && f.arenaPeak !== undefined && f.arenaLowerBound) {
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
      console.log(`# arena ${r.name} [${r.build}]: planned peak ${mib(f.arenaPeak)}, lower bound ${mib(f.arenaLowerBound)} (${(f.arenaPeak / f.arenaLowerBound).toFixed(3)}×)`);
    }
  }
  for (const w of report.warnings) console.error(`WARNING: ${w}`);
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify(report.records, null, 2)}\n`);
    console.log(`# wrote ${report.records.length} records to ${opts.json}`);
  }
  // Wrong outputs and failed runs make the numbers untrustworthy: fail loudly.
  const wrong = report.records.some((r) => r.error || (r.check !== undefined && r.check !== 'ok'));
  return wrong || failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error((e as Error)?.stack ?? String(e));
      process.exit(2);
    },
  );
}
