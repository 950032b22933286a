// Sensitivity analysis and the per-layer pick on the digits models: 80 % of all layer weights zero
// within 2 points of the float accuracy. The pick sees only the calibration inputs, labeled by the
// float model itself (agreement with the teacher), so the test split stays unseen until the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Graph } from '../engine/graph/ir.js';
import { importModel } from '../engine/onnx/import.js';
import { InferenceSession } from '../engine/session.js';
import { accuracy } from '../engine/compress/evaluate.js';
import { Calibration } from '../engine/compress/prune.js';
import { pickSparsities, sensitivity } from '../engine/compress/sensitivity.js';
import { argmaxRows, readFixture, readTensorFixture } from './helpers/fixtures.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

const testX = readTensorFixture('digits', 'digits_test_x.pb');
const testY = readTensorFixture('digits', 'digits_test_y.pb');
const calibX = readTensorFixture('digits', 'digits_calib_x.pb');

function teacherLabels(g: Graph): number[] {
  const s = InferenceSession.createSync(g);
  return argmaxRows(s.runSync({ [s.inputNames[0]]: calibX })[s.outputNames[0]]);
}

for (const [model, floatAccuracy] of [['digits_mlp', 0.969], ['digits_lenet', 0.992]] as const) {
  test(`${model}: sensitivity-picked sparsities reach 80 % within 2 points of float`, () => {
    const g = importModel(readFixture('digits', `${model}.onnx`));
    const data = { x: calibX, labels: teacherLabels(g) };
    const calibration = new Calibration(g, calibX);
    const sens = sensitivity(g, data, { prune: { calibration }, progress: false });
    assert.is(sens.baseline, 1, 'the teacher agrees with itself');
    for (const l of sens.layers) {
      assert.is(l.points.length, sens.candidates.length);
      // Pruning more never helps much: the least sparse point is at least as good as the sparsest.
      assert.ok(l.points[0].accuracy >= l.points[l.points.length - 1].accuracy, l.name);
    }
    const pick = pickSparsities(g, data, { maxDrop: 0.02, targetSparsity: 0.8, sensitivity: sens, prune: { calibration }, progress: false });
    assert.ok(pick.report.sparsity >= 0.8, `overall sparsity ${pick.report.sparsity}`);
    assert.ok(pick.drop <= 0.02, `agreement drop ${pick.drop}`);
    const acc = accuracy(pick.graph, testX, testY);
    const floatAcc = accuracy(g, testX, testY);
    assert.ok(Math.abs(floatAcc - floatAccuracy) < 0.001);
    console.log(`  ${model}: ${(pick.report.sparsity * 100).toFixed(1)} % of layer weights zero (${Object.entries(pick.sparsities).map(([k, v]) => `${k} ${v}`).join(', ')}): test accuracy ${(acc * 100).toFixed(1)} % vs float ${(floatAcc * 100).toFixed(1)} %`);
    assert.ok(floatAcc - acc <= 0.02, `accuracy ${acc} vs float ${floatAcc}`);
  });
}

test('pickSparsities backs off until the combination is within budget', () => {
  const g = importModel(readFixture('digits', 'digits_mlp.onnx'));
  const data = { x: calibX, labels: teacherLabels(g) };
  // Magnitude pruning without calibration hurts more: the combination must be checked and undone step by step.
  const pick = pickSparsities(g, data, { maxDrop: 0.03, candidates: [0.5, 0.7, 0.9], progress: false });
  assert.ok(pick.drop <= 0.03, `drop ${pick.drop}`);
  assert.ok(pick.evaluations > 1, `the first combination (each layer within budget alone) should drop too much; ${pick.evaluations} evaluation(s)`);
  const zeroAt = Object.values(pick.sparsities);
  assert.ok(zeroAt.every((s) => [0.5, 0.7, 0.9].includes(s)));
});

test('bad input → EdgeRunError', () => {
  const g = importModel(readFixture('digits', 'digits_mlp.onnx'));
  const data = { x: testX, labels: testY };
  expectEdgeRunError(() => sensitivity(g, data, { candidates: [0.5, 1], progress: false }), 'InvalidArgument', /sparsity 1/);
  expectEdgeRunError(() => sensitivity(g, data, { candidates: [], progress: false }), 'InvalidArgument', /candidates/);
  expectEdgeRunError(() => sensitivity(g, data, { layers: ['nope'], progress: false }), 'InvalidArgument', /nope/);
  expectEdgeRunError(() => sensitivity(g, data, { prune: { pattern: { kind: 'nm', n: 2, m: 4 } }, progress: false }), 'InvalidArgument', /nm/);
  expectEdgeRunError(() => pickSparsities(g, data, { maxDrop: -1, progress: false }), 'InvalidArgument', /maxDrop/);
  expectEdgeRunError(() => pickSparsities(g, data, { maxDrop: 0.01, targetSparsity: 2, progress: false }), 'InvalidArgument', /targetSparsity/);
});

test.run();
