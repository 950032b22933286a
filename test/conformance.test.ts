// ONNX backend node tests (test/fixtures/onnx-node/): every case runs through InferenceSession with
// optimisation on and must match its expected outputs, unless test/conformance/known-failures.json
// lists it. A listed case that passes fails this test too, so the list only ever shrinks:
// regenerate it with `node scripts/update-known-failures.mjs`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listCases, readKnownFailures, runCase, summary, type CaseResult } from './conformance/run-case.js';

const known = readKnownFailures();
const cases = listCases();
const results: CaseResult[] = [];

test('the known-failures list names only existing cases, sorted', () => {
  const names = Object.keys(known);
  const missing = names.filter((n) => !cases.includes(n));
  assert.equal(missing, [], `known-failures.json lists cases that do not exist: ${missing.join(', ')}`);
  assert.equal(names, [...names].sort(), 'known-failures.json must be sorted by case name');
  assert.ok(cases.length >= 354, `expected the 354 ONNX node-test cases, found ${cases.length}`);
});

for (const name of cases) {
  test(name, async () => {
    const r = await runCase(name);
    results.push(r);
    const listed = name in known;
    if (r.pass && listed) {
      assert.unreachable(`${name} passes now: remove it from test/conformance/known-failures.json (node scripts/update-known-failures.mjs)`);
    }
    if (!r.pass && !listed) assert.unreachable(`${name} fails: ${r.reason}`);
  });
}

test.after(() => {
  console.log(`\n${summary(results, Object.keys(known).length)}`);
});

test.run();
