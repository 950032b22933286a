// DESIGN.md's interface: prune / cluster return a new Graph; the report rides along.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prune, cluster, compressionReport, Graph } from '../index.js';
import { importModel } from '../engine/onnx/import.js';
import { readFixture } from './helpers/fixtures.js';

test('prune and cluster return Graphs with their reports attached', () => {
  const g = importModel(readFixture('digits', 'digits_mlp.onnx'), 'digits_mlp');
  const p = prune(g, { sparsity: 0.5 });
  assert.ok(p instanceof Graph);
  assert.ok(p !== g);
  assert.ok(compressionReport(p), 'prune report');
  const c = cluster(p, { clusters: 8, preserveSparsity: true });
  assert.ok(c instanceof Graph);
  assert.ok(compressionReport(c), 'cluster report');
  assert.is(compressionReport(g), undefined, 'the input graph has no report');
});

test.run();
