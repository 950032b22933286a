#!/usr/bin/env node
// Regenerates test/conformance/known-failures.json: runs every ONNX node-test case in
// test/fixtures/onnx-node/ and lists each failing one with its reason (the EdgeRunError message or
// the worst mismatch), sorted by name. Run after an operator lands:
//   node scripts/update-known-failures.mjs          # rewrite the file
//   node scripts/update-known-failures.mjs --check  # only print what would change
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { runAllCases, knownFailuresJson, readKnownFailures, summary, KNOWN_FAILURES } = await import('../test/conformance/run-case.ts');

const check = process.argv.includes('--check');
const before = readKnownFailures();
const results = await runAllCases();
const text = knownFailuresJson(results);
const after = JSON.parse(text);
const fixed = Object.keys(before).filter((n) => !(n in after));
const broken = Object.keys(after).filter((n) => !(n in before));
for (const n of fixed) console.log(`now passing: ${n}`);
for (const n of broken) console.log(`now failing: ${n}: ${after[n]}`);
console.log(summary(results, Object.keys(after).length));
if (check) {
  const same = existsSync(KNOWN_FAILURES) && readFileSync(KNOWN_FAILURES, 'utf8') === text;
  console.log(same ? 'known-failures.json is up to date' : 'known-failures.json is out of date');
  process.exitCode = same ? 0 : 1;
} else {
  writeFileSync(KNOWN_FAILURES, text);
  console.log(`wrote ${KNOWN_FAILURES}`);
}
