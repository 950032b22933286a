// Mutation fuzzing of model files: flipped bytes, truncations and splices of the fixture models
// must give an EdgeRunError or a result — never another exception, never a hang.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EdgeRunError } from '../engine/errors.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor } from '../engine/tensor.js';
import { readFixture } from './helpers/fixtures.js';
import { rng, randomInt } from './helpers/random.js';

const MODELS = ['digits_mlp', 'digits_lenet', 'digits_dscnn', 'digits_lstm', 'digits_autoencoder', 'digits_gan_generator', 'digits_early_exit'];
const CASES = 2400;
const BUDGET_MS = 60_000;

function mutate(rand: () => number, bytes: Uint8Array, other: Uint8Array): Uint8Array {
  const out = bytes.slice();
  switch (randomInt(rand, 0, 3)) {
    case 0: { // flip a few bits
      const flips = randomInt(rand, 1, 8);
      for (let i = 0; i < flips; i++) out[randomInt(rand, 0, out.length - 1)] ^= 1 << randomInt(rand, 0, 7);
      return out;
    }
    case 1: // truncate
      return out.slice(0, randomInt(rand, 0, out.length - 1));
    case 2: { // splice a run of another model's bytes in
      const len = randomInt(rand, 1, 64);
      const from = randomInt(rand, 0, Math.max(0, other.length - len));
      const at = randomInt(rand, 0, out.length - 1);
      const spliced = new Uint8Array(out.length + len);
      spliced.set(out.subarray(0, at));
      spliced.set(other.subarray(from, from + len), at);
      spliced.set(out.subarray(at), at + len);
      return spliced;
    }
    default: { // overwrite bytes with random values (hits varints, lengths and tags)
      const n = randomInt(rand, 1, 6);
      for (let i = 0; i < n; i++) out[randomInt(rand, 0, out.length - 1)] = randomInt(rand, 0, 255);
      return out;
    }
  }
}

function feedsFor(session: InferenceSession): Record<string, Tensor> | null {
  const feeds: Record<string, Tensor> = {};
  for (const v of session.graph.inputs) {
    if (v.dtype !== 'float32' || !v.shape) return null;
    const dims = v.shape.map((d) => (typeof d === 'number' ? d : 2));
    const n = dims.reduce((a, b) => a * b, 1);
    if (n > 1 << 20) return null;
    feeds[v.name] = new Tensor('float32', Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 100) / 100), dims);
  }
  return feeds;
}

test('mutated models give EdgeRunError or a result', async () => {
  const rand = rng(20261125);
  const models = MODELS.map((m) => readFixture('digits', `${m}.onnx`));
  const started = performance.now();
  const counts = { ok: 0, rejected: 0 };
  for (let i = 0; i < CASES; i++) {
    const which = i % models.length;
    const bytes = mutate(rand, models[which], models[(which + 1) % models.length]);
    try {
      const session = await InferenceSession.create(bytes);
      const feeds = feedsFor(session);
      if (feeds) session.runSync(feeds);
      await session.release();
      counts.ok++;
    } catch (e) {
      if (!(e instanceof EdgeRunError)) {
        assert.unreachable(`case ${i} (${MODELS[which]}): ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
      }
      counts.rejected++;
    }
    assert.ok(performance.now() - started < BUDGET_MS, `fuzzing exceeded ${BUDGET_MS} ms at case ${i}`);
  }
  console.log(`  fuzz: ${CASES} mutated models, ${counts.ok} ran, ${counts.rejected} rejected with EdgeRunError in ${(performance.now() - started).toFixed(0)} ms`);
  assert.ok(counts.rejected > 0 && counts.ok > 0, 'both outcomes occur (the mutations reach past the parser)');
});

test.run();
