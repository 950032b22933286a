// The benchmark harness end to end on tiny cases with a small time budget: records, peers,
// ratios, the output check against onnxruntime-web, failures, the table and the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BenchCase } from '../bench/case.js';
import { compareOutputs } from '../bench/check.js';
import { reluCase } from '../bench/cases/relu.js';
import { runBenchmarks, type BenchRecord } from '../bench/harness.js';
import { loadCases, parseCli } from '../bench/run.js';
import { formatMs, formatTable } from '../bench/table.js';
import { measureInterleaved } from '../bench/timing.js';

const FAST = { timeMs: 15, warmupMs: 5, minIterations: 3 };
const root = fileURLToPath(new URL('..', import.meta.url));

function assertRecordShape(r: BenchRecord): void {
  assert.type(r.name, 'string');
  assert.ok(r.build === 'relaxed' || r.build === 'baseline', `build ${r.build}`);
  assert.is(r.unit, 'ms');
  assert.type(r.peers, 'object');
  for (const v of Object.values(r.peers)) assert.ok(v > 0 && Number.isFinite(v), `peer ms ${v}`);
}

test('runners are timed in alternating rounds; one that throws is reported, the others still timed', async () => {
  const calls: string[] = [];
  const busy = (name: string, ms: number) => () => {
    calls.push(name);
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  let failing = 0;
  const times = await measureInterleaved(
    [
      { fn: busy('a', 0.2), isAsync: false },
      { fn: () => { if (++failing > 1) throw new Error('broke on its second call'); }, isAsync: false },
      { fn: busy('b', 0.6), isAsync: false },
    ],
    { timeMs: 15, warmupMs: 2, minIterations: 3 },
    3,
  );
  assert.ok(typeof times[0] === 'number' && typeof times[2] === 'number', 'a and b timed');
  assert.instance(times[1], Error);
  assert.ok((times[2] as number) > (times[0] as number) * 2, `b (${times[2]} ms) is the slower one than a (${times[0]} ms)`);
  // three rounds: the sequence switches between a and b at least 2 × 3 - 1 times
  let switches = 0;
  for (let i = 1; i < calls.length; i++) if (calls[i] !== calls[i - 1]) switches++;
  assert.ok(switches >= 5, `a and b alternate in rounds (${switches} switches)`);
});

test('a tiny case runs on both builds beside onnxruntime-web and tfjs-wasm, outputs checked', async () => {
  const report = await runBenchmarks([reluCase(4096)], FAST);
  assert.equal(report.records.map((r) => r.build), ['relaxed', 'baseline'], 'relaxed SIMD is enabled in-process on Node 20');
  for (const r of report.records) {
    assertRecordShape(r);
    assert.is(r.name, 'relu f32 4096');
    assert.ok(r.edgerun !== null && r.edgerun > 0);
    assert.equal(Object.keys(r.peers), ['onnxruntime-web', 'tfjs-wasm']);
    assert.is(r.ratio, r.peers['onnxruntime-web'] / r.edgerun!);
    assert.is(r.check, 'ok');
    assert.is(r.error, undefined);
    assert.is(r.gflops, undefined, 'no flops, no GFLOP/s');
  }
  assert.ok(report.notes.some((n) => /onnxruntime-web .*numThreads = 1/.test(n)), report.notes.join('\n'));
  assert.ok(report.notes.some((n) => /tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm/.test(n)), report.notes.join('\n'));
  assert.equal(report.warnings, []);
});

test('a wrong edgerun output is flagged, not silently timed', async () => {
  const good = reluCase(256);
  const wrong: BenchCase = {
    ...good,
    name: 'relu off by one',
    edgerun(rt) {
      const inner = good.edgerun(rt);
      return { ...inner, output: () => inner.output!().map((v, i) => (i === 7 ? v + 1 : v)) };
    },
    tfjs: undefined,
  };
  const report = await runBenchmarks([wrong], { ...FAST, builds: ['baseline'] });
  const [r] = report.records;
  assert.match(r.check ?? '', /max \|diff\| 1\.00 at \[7\]/);
  assert.ok(r.edgerun! > 0, 'still timed');
  assert.ok(report.warnings.some((w) => /relu off by one \[baseline\].*disagrees with onnxruntime-web/.test(w)));
  assert.match(formatTable(report.records), /WARNING: output differs/);
});

test('edgerun peers come first and set the ratio; flops give GFLOP/s', async () => {
  const base = reluCase(512);
  const c: BenchCase = {
    ...base,
    name: 'relu with a dense twin',
    flops: 1e6,
    tfjs: undefined,
    edgerunPeers: { 'edgerun-dense': (rt) => base.edgerun(rt) },
  };
  const [r] = (await runBenchmarks([c], { ...FAST, builds: ['relaxed'] })).records;
  assert.equal(Object.keys(r.peers), ['edgerun-dense', 'onnxruntime-web']);
  assert.is(r.ratio, r.peers['edgerun-dense'] / r.edgerun!);
  assert.is(r.gflops, 1e6 / (r.edgerun! * 1e6));
  assert.match(formatTable([r]), /GFLOP\/s/);
});

test('a failing edgerun side is recorded and the peers are still timed', async () => {
  const c: BenchCase = {
    ...reluCase(64),
    name: 'not implemented yet',
    edgerun: () => {
      throw new Error('kernel missing');
    },
    tfjs: undefined,
  };
  const report = await runBenchmarks([c], { ...FAST, builds: ['baseline'] });
  const [r] = report.records;
  assertRecordShape(r);
  assert.is(r.edgerun, null);
  assert.is(r.ratio, null);
  assert.ok(r.peers['onnxruntime-web'] > 0);
  assert.match(r.error ?? '', /edgerun failed: kernel missing/);
  assert.match(formatTable(report.records), /error/);
});

test('filter selects cases by name', async () => {
  const report = await runBenchmarks([{ ...reluCase(32), tfjs: undefined }, { ...reluCase(64), tfjs: undefined }], { ...FAST, builds: ['baseline'], filter: /\b64$/ });
  assert.equal(report.records.map((r) => r.name), ['relu f32 64']);
});

test('compareOutputs: norm-wise bound, NaN handling, length', () => {
  const ref = new Float32Array([100, 1, 0]);
  assert.is(compareOutputs(new Float32Array([100, 1.005, 0]), ref, { rtol: 1e-4, atol: 0 }), null, '0.005 <= 1e-4 * 100');
  assert.match(compareOutputs(new Float32Array([100, 1.02, 0]), ref, { rtol: 1e-4, atol: 0 }) ?? '', /at \[1\]/);
  assert.match(compareOutputs(new Float32Array([100, 1, NaN]), ref) ?? '', /at \[2\]/);
  assert.is(compareOutputs(new Float32Array([NaN]), new Float32Array([NaN])), null);
  assert.match(compareOutputs(new Float32Array(2), ref) ?? '', /length 2 != onnxruntime's 3/);
});

test('table: one column per peer, missing values as -, ms formatting', () => {
  const rows: BenchRecord[] = [
    { name: 'a', build: 'relaxed', unit: 'ms', edgerun: 0.5, peers: { 'onnxruntime-web': 1 }, ratio: 2, check: 'ok' },
    { name: 'b', build: 'baseline', unit: 'ms', edgerun: 2, peers: { 'edgerun-dense': 3, 'onnxruntime-web': 4 }, ratio: 1.5 },
  ];
  const lines = formatTable(rows).split('\n');
  assert.match(lines[0], /^case +build +edgerun ms +onnxruntime-web ms +edgerun-dense ms +ratio +vs +check$/);
  assert.match(lines[2], /^a +relaxed +0\.500 +1\.00 +- +2\.00x +onnxruntime-web +ok$/);
  assert.match(lines[3], /^b +baseline +2\.00 +4\.00 +3\.00 +1\.50x +edgerun-dense +-$/);
  assert.equal([formatMs(123.4), formatMs(12.34), formatMs(1.234), formatMs(0.1234), formatMs(0.001234)], ['123', '12.3', '1.23', '0.123', '0.0012']);
});

test('CLI arguments', () => {
  const o = parseCli(['--filter', 'gemm', '--time', '50', '--json', 'x.json', '--builds', 'baseline']);
  assert.ok(o !== 'help');
  assert.equal([o.filter?.source, o.timeMs, o.json, o.builds], ['gemm', 50, 'x.json', ['baseline']]);
  assert.is(parseCli(['--help']), 'help');
  assert.throws(() => parseCli(['--time', 'soon']), /--time/);
  assert.throws(() => parseCli(['--builds', 'reference']), /unknown build 'reference'/);
});

test('case modules: the cases export of each is collected; a module that fails to load is reported', async () => {
  const good = await loadCases(join(root, 'test', 'fixtures', 'bench-cases'));
  assert.equal([good.cases.map((c) => c.name), good.failures], [['relu f32 1000'], []]);
  const dir = mkdtempSync(join(tmpdir(), 'edgerun-cases-'));
  try {
    writeFileSync(join(dir, 'a-broken.ts'), "import './missing.js';\nexport const cases = [];\n");
    writeFileSync(join(dir, 'b-no-export.ts'), 'export const other = 1;\n');
    const bad = await loadCases(dir);
    assert.is(bad.cases.length, 0);
    assert.is(bad.failures.length, 2);
    assert.match(bad.failures[0], /^a-broken\.ts: .*missing/);
    assert.match(bad.failures[1], /^b-no-export\.ts: does not export 'cases/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run bench CLI: table on stdout, JSON records with the documented fields', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgerun-bench-'));
  try {
    const json = join(dir, 'out.json');
    const cases = join(root, 'test', 'fixtures', 'bench-cases');
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--cases', cases, '--time', '15', '--warmup', '5', '--json', json], {
      cwd: root, encoding: 'utf8', timeout: 30_000,
    });
    assert.is(res.status, 0, `exit status; stderr: ${res.stderr}`);
    assert.match(res.stdout, /case +build +edgerun ms +onnxruntime-web ms +ratio +check/);
    assert.is(res.stderr, '', 'no progress output when stderr is not a terminal');
    const records = JSON.parse(readFileSync(json, 'utf8')) as BenchRecord[];
    assert.equal(records.map((r) => [r.name, r.build]), [['relu f32 1000', 'relaxed'], ['relu f32 1000', 'baseline']]);
    for (const r of records) {
      assert.equal(Object.keys(r).slice(0, 6), ['name', 'build', 'unit', 'edgerun', 'peers', 'ratio']);
      assertRecordShape(r);
      assert.is(r.ratio, r.peers['onnxruntime-web'] / r.edgerun!);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
