// Runs one ONNX backend node-test case (model.onnx + test_data_set_0/{input,output}_N.pb) through
// InferenceSession and says whether it passes, and if not, why in one line. Shared by
// test/conformance.test.ts and scripts/update-known-failures.mjs so both judge a case the same way.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeRunError } from '../../engine/errors.js';
import { InferenceSession } from '../../engine/session.js';
import { tensorFromBytes } from '../../engine/onnx/tensor-proto.js';
import { halfToFloat, bf16ToFloat, Tensor } from '../../engine/tensor.js';
import { enableRelaxedSimdInNode } from '../../engine/platform.js';
import { getDefaultRuntime } from '../../kernels/runtime.js';

// The build users get by default on this engine (relaxed SIMD where it exists), whatever ran first.
await enableRelaxedSimdInNode();

export const CASES_DIR = new URL('../fixtures/onnx-node/', import.meta.url).pathname;
export const KNOWN_FAILURES = new URL('./known-failures.json', import.meta.url).pathname;

/** numpy.isclose tolerances for floating outputs (what the ONNX backend tests use). */
export const RTOL = 1e-3;
export const ATOL = 1e-7;

export type CaseResult = { name: string; pass: true } | { name: string; pass: false; reason: string };

export function listCases(dir = CASES_DIR): string[] {
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'model.onnx')))
    .sort();
}

function readPbs(dir: string, prefix: 'input' | 'output'): Tensor[] {
  const out: Tensor[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}_${i}.pb`)); i++) {
    out.push(tensorFromBytes(new Uint8Array(readFileSync(join(dir, `${prefix}_${i}.pb`))), `${prefix}_${i}.pb`));
  }
  return out;
}

export async function runCase(name: string, dir = CASES_DIR): Promise<CaseResult> {
  const caseDir = join(dir, name);
  let session: InferenceSession | null = null;
  try {
    // The model first: a model with sequence or optional inputs is refused before its data
    // (not TensorProtos) is misread.
    session = await InferenceSession.create(new Uint8Array(readFileSync(join(caseDir, 'model.onnx'))), { optimize: true });
    const data = join(caseDir, 'test_data_set_0');
    const inputs = readPbs(data, 'input');
    const expected = readPbs(data, 'output');
    if (session.inputNames.length !== inputs.length) {
      return fail(name, `the model has ${session.inputNames.length} inputs; the data set feeds ${inputs.length}`);
    }
    const feeds = Object.fromEntries(session.graph.inputs.map((v, i) => [v.name, asBfloat16If(v.dtype === 'bfloat16', inputs[i])]));
    const outputs = await session.run(feeds);
    if (session.outputNames.length !== expected.length) {
      return fail(name, `the model has ${session.outputNames.length} outputs; the data set expects ${expected.length}`);
    }
    for (let k = 0; k < expected.length; k++) {
      const outName = session.outputNames[k];
      const problem = compareTensors(outputs[outName], asBfloat16If(outputs[outName]?.type === 'bfloat16', expected[k]));
      if (problem) return fail(name, `output ${k} '${outName}': ${problem}`);
    }
    return { name, pass: true };
  } catch (e) {
    const message = e instanceof EdgeRunError ? e.message : `${(e as Error)?.name ?? 'Error'} (not an EdgeRunError): ${(e as Error)?.message ?? String(e)}`;
    return fail(name, message);
  } finally {
    await session?.release();
  }
}

/**
 * The ONNX test data of opset ≤ 13 stores bfloat16 tensors as UINT16 (numpy has no bfloat16): the
 * same bits. Read them as bfloat16 where the model says bfloat16.
 */
function asBfloat16If(wanted: boolean, t: Tensor): Tensor {
  return wanted && t.type === 'uint16' ? new Tensor('bfloat16', t.data as Uint16Array, t.dims) : t;
}

/** Why a failure is expected to stay, where the reason alone would not tell. */
const NOTES: Record<string, string> = {
  test_cast_FLOAT_to_BFLOAT16: 'the test data truncates to bfloat16 (onnx/onnx#3876); edgerun rounds to nearest even, as onnxruntime does',
};

function fail(name: string, reason: string): CaseResult {
  const note = NOTES[name];
  return { name, pass: false, reason: oneLine(note ? `${note}: ${reason}` : reason) };
}

/** Reasons live in a JSON file reviewed in diffs: one short line each. */
function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 240 ? `${flat.slice(0, 237)}...` : flat;
}

/** null when `actual` matches `expected`: same dtype and dims, floats within isclose, the rest exactly. */
export function compareTensors(actual: Tensor | undefined, expected: Tensor): string | null {
  if (!actual) return 'missing';
  if (actual.type !== expected.type) return `dtype ${actual.type}, expected ${expected.type}`;
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
    return `shape [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  }
  if (expected.type === 'string') {
    const a = actual.data as string[];
    const e = expected.data as string[];
    const i = e.findIndex((s, k) => s !== a[k]);
    return i < 0 ? null : `element [${i}] is '${a[i]}', expected '${e[i]}'`;
  }
  const floating = expected.type === 'float32' || expected.type === 'float64' || expected.type === 'float16' || expected.type === 'bfloat16';
  if (!floating) {
    const a = actual.data as ArrayLike<number | bigint>;
    const e = expected.data as ArrayLike<number | bigint>;
    let bad = 0;
    let first = -1;
    for (let i = 0; i < e.length; i++) {
      if (a[i] !== e[i]) {
        bad++;
        if (first < 0) first = i;
      }
    }
    return bad === 0 ? null : `${bad}/${e.length} elements differ; first at [${first}]: got ${a[first]}, expected ${e[first]}`;
  }
  const a = asNumbers(actual);
  const e = asNumbers(expected);
  let bad = 0;
  let worst = -1;
  let worstRatio = -1;
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const limit = ATOL + RTOL * Math.abs(y);
    const err = Math.abs(x - y);
    if (err <= limit) continue;
    bad++;
    const ratio = Number.isNaN(err) ? Infinity : err / limit;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  return bad === 0 ? null : `${bad}/${e.length} elements off (rtol ${RTOL}, atol ${ATOL}); worst at [${worst}]: got ${a[worst]}, expected ${e[worst]}`;
}

function asNumbers(t: Tensor): ArrayLike<number> {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, halfToFloat);
  if (t.type === 'bfloat16') return Array.from(t.data as Uint16Array, bf16ToFloat);
  return t.data as ArrayLike<number>;
}

export async function runAllCases(dir = CASES_DIR): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const name of listCases(dir)) results.push(await runCase(name, dir));
  return results;
}

export function readKnownFailures(path = KNOWN_FAILURES): Record<string, string> {
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
}

/** The known-failures file for these results: every failing case with its reason, sorted by name. */
export function knownFailuresJson(results: readonly CaseResult[]): string {
  const entries = results.filter((r): r is Extract<CaseResult, { pass: false }> => !r.pass).sort((a, b) => (a.name < b.name ? -1 : 1));
  return `${JSON.stringify(Object.fromEntries(entries.map((r) => [r.name, r.reason])), null, 2)}\n`;
}

export function summary(results: readonly CaseResult[], listed: number): string {
  const passed = results.filter((r) => r.pass).length;
  const rate = results.length ? ((100 * passed) / results.length).toFixed(1) : '0.0';
  return `ONNX conformance (${getDefaultRuntime().build} build): ${passed} passed / ${listed} known failures / ${results.length} total — pass rate ${rate} %`;
}
