import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Graph, Node, Value } from '../engine/graph/ir.js';
import { GraphBuilder } from '../engine/graph/builder.js';
import { validateGraph } from '../engine/graph/validate.js';
import { Tensor } from '../engine/tensor.js';
import { removeDeadNodes } from '../engine/passes/dead-nodes.js';
import { expectEdgeRunError } from './helpers/runtimes.js';

test('validate orders nodes so inputs come first, keeping file order among ready nodes', () => {
  const x = new Value('x', 'float32', [2]);
  const a = new Value('a');
  const b = new Value('b');
  const c = new Value('c');
  const n3 = new Node('Add', 'n3', [a, b], [c]);
  const n1 = new Node('Relu', 'n1', [x], [a]);
  const n2 = new Node('Neg', 'n2', [x], [b]);
  const g = validateGraph(new Graph({ inputs: [x], outputs: [c], nodes: [n3, n1, n2] }));
  assert.equal(g.nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
});

test('a cycle is an InvalidModel error naming the nodes', () => {
  const x = new Value('x', 'float32', [2]);
  const a = new Value('a');
  const b = new Value('b');
  const n1 = new Node('Add', 'first', [x, b], [a]);
  const n2 = new Node('Relu', 'second', [a], [b]);
  expectEdgeRunError(() => validateGraph(new Graph({ name: 'loopy', inputs: [x], outputs: [b], nodes: [n1, n2] })), 'InvalidModel', /model 'loopy'.*cycle.*'first'/);
});

test('a missing input is an InvalidModel error naming node and tensor', () => {
  const x = new Value('x', 'float32', [2]);
  const ghost = new Value('ghost');
  const y = new Value('y');
  const n = new Node('Add', 'adder', [x, ghost], [y]);
  expectEdgeRunError(() => validateGraph(new Graph({ name: 'm', inputs: [x], outputs: [y], nodes: [n] })), 'InvalidModel', /Add 'adder' input 1 'ghost'/);
});

test('a value written twice is rejected', () => {
  const x = new Value('x', 'float32', [2]);
  const y = new Value('y');
  const n1 = new Node('Relu', 'r1', [x], [y]);
  const n2 = new Node('Relu', 'r2', [x], [y]);
  expectEdgeRunError(() => validateGraph(new Graph({ inputs: [x], outputs: [y], nodes: [n1, n2] })), 'InvalidModel', /already defined/);
});

test('builder makes constants once per tensor, names outputs, and typed attributes', () => {
  const g = new GraphBuilder('mlp');
  const x = g.input('input', 'float32', ['batch', 4]);
  const w = new Tensor('float32', new Float32Array(12), [3, 4]);
  const h = g.gemm(x, w, undefined, { transB: 1 });
  const y = g.op('LeakyRelu', [h], { alpha: 1 });
  g.output(y, 'logits');
  g.output(g.gemm(x, w, undefined, { transB: 1 }), 'again');
  const graph = g.build();
  assert.is(graph.constants().length, 1, 'the same weight tensor is one constant');
  assert.equal(graph.outputs.map((v) => v.name), ['logits', 'again']);
  const leaky = graph.nodes.find((n) => n.op === 'LeakyRelu')!;
  assert.equal(leaky.attrs.get('alpha'), { type: 'float', value: 1 }, 'alpha is a float attribute even when whole');
  assert.equal(graph.nodes[0].attrs.get('transB'), { type: 'int', value: 1 });
});

test('clone shares constants but not structure; passes leave their input untouched', () => {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [2]);
  const used = g.relu(x);
  g.op('Neg', [x]); // dead
  g.output(used, 'y');
  const graph = g.build();
  const before = graph.nodes.length;
  const pruned = removeDeadNodes(graph);
  assert.is(graph.nodes.length, before);
  assert.is(pruned.nodes.length, 1);
  assert.is.not(pruned.nodes[0], graph.nodes[0]);
});

test.run();
