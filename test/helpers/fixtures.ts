// Paths to and readers of the test fixtures (copied into the repo so a fresh clone is
// self-contained).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensorFromBytes } from '../../engine/onnx/tensor-proto.js';
import type { Tensor } from '../../engine/tensor.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(...parts)));
}

export function readTensorFixture(...parts: string[]): Tensor {
  return tensorFromBytes(readFixture(...parts), parts.join('/'));
}

export const DIGITS_MODELS = ['digits_mlp', 'digits_lenet', 'digits_dscnn', 'digits_lstm', 'digits_autoencoder', 'digits_gan_generator', 'digits_early_exit'] as const;
export const DIGITS_CLASSIFIERS = ['digits_mlp', 'digits_lenet', 'digits_dscnn', 'digits_lstm', 'digits_early_exit'] as const;

/** Index of the largest value in each row of a [rows, cols] float tensor. */
export function argmaxRows(t: Tensor): number[] {
  const [rows, cols] = [t.dims[0], t.size / t.dims[0]];
  const d = t.data as Float32Array;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (d[r * cols + c] > d[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}
