// The bundled digits models against onnxruntime's outputs on the 360-image test split:
// every output within rtol 1e-4 / atol 1e-5, and the classifiers at onnxruntime's accuracy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { InferenceSession } from '../engine/session.js';
import { assertClose } from './helpers/compare.js';
import { argmaxRows, DIGITS_CLASSIFIERS, DIGITS_MODELS, fixturePath, readFixture, readTensorFixture } from './helpers/fixtures.js';
import { RUNTIMES } from './helpers/runtimes.js';

const labels = readTensorFixture('digits', 'digits_test_y.pb').toNumbers();

for (const rt of RUNTIMES) {
  for (const name of DIGITS_MODELS) {
    test(`${rt.build}: ${name} matches onnxruntime on the test split`, async () => {
      const session = await InferenceSession.create(readFixture('digits', `${name}.onnx`), { runtime: rt });
      const input = readTensorFixture('digits', 'golden', name, 'input_0.pb');
      const outputs = await session.run({ [session.inputNames[0]]: input });
      const files = readdirSync(fixturePath('digits', 'golden', name)).filter((f) => f.startsWith('output_')).sort();
      assert.is(files.length, session.outputNames.length, 'one golden file per output');
      files.forEach((file, k) => {
        const expected = readTensorFixture('digits', 'golden', name, file);
        const got = outputs[session.outputNames[k]];
        assert.equal([...got.dims], [...expected.dims], `${name} output ${k} shape`);
        assertClose(got.data as Float32Array, expected.data as Float32Array, { rtol: 1e-4, atol: 1e-5 }, `${name} output ${k}`);
        if ((DIGITS_CLASSIFIERS as readonly string[]).includes(name)) {
          const ours = argmaxRows(got);
          const theirs = argmaxRows(expected);
          const acc = (p: number[]) => p.filter((c, i) => c === labels[i]).length / labels.length;
          assert.is(acc(ours), acc(theirs), `${name} output ${k}: accuracy ${acc(ours)} vs onnxruntime ${acc(theirs)}`);
        }
      });
      await session.release();
    });
  }
}

test.run();
