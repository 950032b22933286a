// The README's builder examples run and give what their comments say.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { saveModel } from '../index.js';
import * as perceptron from '../examples/perceptron.js';
import * as mlp from '../examples/mlp.js';
import * as cnn from '../examples/cnn.js';
import * as lstm from '../examples/lstm.js';
import * as autoencoder from '../examples/autoencoder.js';

test('perceptron computes AND', async () => assert.equal(await perceptron.main(), [0, 0, 0, 1]));
test('mlp', async () => assert.equal([...(await mlp.main())], [2, 10]));
test('cnn', async () => assert.equal([...(await cnn.main())], [1, 10]));
test('lstm', async () => assert.equal([...(await lstm.main())], [2, 4]));
test('autoencoder', async () => assert.equal((await autoencoder.main()).map((d) => [...d]), [[3, 4], [3, 64]]));

test('the standard-ONNX examples export to files onnxruntime-node loads', async () => {
  for (const graph of [mlp.mlp(), cnn.cnn(), lstm.lstmClassifier(), autoencoder.autoencoder()]) {
    const s = await ort.InferenceSession.create(saveModel(graph));
    assert.equal([...s.inputNames], graph.inputs.map((v) => v.name));
    await s.release();
  }
});

test.run();
