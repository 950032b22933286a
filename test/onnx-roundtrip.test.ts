// Import → export → onnxruntime-node runs the exported file and agrees with onnxruntime on the
// original file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { importModel } from '../engine/onnx/import.js';
import { saveModel } from '../engine/onnx/export.js';
import { assertClose } from './helpers/compare.js';
import { DIGITS_MODELS, readFixture, readTensorFixture } from './helpers/fixtures.js';

async function runOrt(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run(feeds);
  await s.release();
  return out;
}

for (const name of [...DIGITS_MODELS, 'mobilenet_v2', 'shufflenet_v2_x1_0']) {
  test(`${name}: exported ONNX runs in onnxruntime-node with the original's outputs`, async () => {
    const isRef = !name.startsWith('digits');
    const bytes = isRef ? readFixture('reference-architectures', `${name}.onnx`) : readFixture('digits', `${name}.onnx`);
    const graph = importModel(bytes, name);
    const exported = saveModel(graph);
    let feed: ort.Tensor;
    if (isRef) {
      const data = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.01));
      feed = new ort.Tensor('float32', data, [1, 3, 224, 224]);
    } else {
      const t = readTensorFixture('digits', 'golden', name, 'input_0.pb');
      feed = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    }
    const inputName = graph.inputs[0].name;
    const a = await runOrt(bytes, { [inputName]: feed });
    const b = await runOrt(exported, { [inputName]: feed });
    assert.equal(Object.keys(b).sort(), Object.keys(a).sort());
    for (const k of Object.keys(a)) assertClose(b[k].data as Float32Array, a[k].data as Float32Array, { rtol: 0, atol: 0 }, `${name} ${k}`);
  });
}

test.run();
