// torchvision's MobileNetV2 and ShuffleNetV2 (as exported to ONNX) load and match
// onnxruntime-node on the same input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { assertClose } from './helpers/compare.js';
import { readFixture } from './helpers/fixtures.js';
import { rng, randomF32 } from './helpers/random.js';

for (const name of ['mobilenet_v2', 'shufflenet_v2_x1_0']) {
  test(`${name} matches onnxruntime-node`, async () => {
    const bytes = readFixture('reference-architectures', `${name}.onnx`);
    const input = randomF32(rng(42), 3 * 224 * 224, -2, 2);
    const theirs = await ort.InferenceSession.create(bytes);
    const expected = (await theirs.run({ input: new ort.Tensor('float32', input, [1, 3, 224, 224]) }))[theirs.outputNames[0]];
    const session = await InferenceSession.create(bytes);
    const out = await session.run({ [session.inputNames[0]]: new Tensor('float32', input, [1, 3, 224, 224]) });
    const got = out[session.outputNames[0]];
    assert.equal([...got.dims], [...expected.dims]);
    // Logits of an untrained net accumulate rounding over ~50 layers: compare relative to their spread.
    const e = expected.data as Float32Array;
    const scale = Math.max(...Array.from(e, Math.abs));
    assertClose(got.data as Float32Array, e, { rtol: 1e-3, atol: 1e-4 * scale }, name);
    await session.release();
    await theirs.release();
  });
}

test.run();
