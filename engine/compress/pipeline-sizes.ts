// How much smaller a compressed model is, measured two ways because they tell different stories:
// raw bytes (what sits in memory once loaded in compact form, what a device stores uncompressed)
// and gzip (what travels over the wire). "Weights" are the layer weight tensors — the float32
// kernels/matrices of the original, and whatever stores them in the compressed file (int8
// values, codebooks, packed indices, masks, sparse indices); biases, scales and graph structure
// count in the file sizes only.
import type { Graph } from '../graph/ir.js';
import { saveModel, saveModelWithReport, type SaveOptions } from '../onnx/export.js';
import type { StoredWeight } from '../onnx/sparse-export.js';
import { gzipSize } from '../platform.js';
import { findLayerWeights } from './weights.js';

export interface CompressionSizes {
  file: { before: number; after: number; beforeGzip: number; afterGzip: number };
  weights: { float32: number; stored: number; float32Gzip: number; storedGzip: number };
  /** How each weight of the compressed file is stored. */
  stored: StoredWeight[];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Saves `compressed` (compact forms by default) and measures it against `original` (Node: gzip needs node:zlib). */
export async function compressionSizes(original: Graph, compressed: Graph, opts: { originalBytes?: Uint8Array; save?: SaveOptions } = {}): Promise<{ bytes: Uint8Array; sizes: CompressionSizes }> {
  const before = opts.originalBytes ?? saveModel(original);
  const { bytes, weights } = saveModelWithReport(compressed, opts.save ?? { sparse: true, codebook: true });
  const floats = findLayerWeights(original).map((l) => {
    const d = l.tensor.data as Float32Array;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  });
  const stored = weights.flatMap((w) => w.parts);
  return {
    bytes,
    sizes: {
      file: { before: before.length, after: bytes.length, beforeGzip: await gzipSize(before), afterGzip: await gzipSize(bytes) },
      weights: {
        float32: floats.reduce((s, p) => s + p.length, 0),
        stored: weights.reduce((s, w) => s + w.bytes, 0),
        float32Gzip: await gzipSize(concat(floats)),
        storedGzip: await gzipSize(concat(stored)),
      },
      stored: weights,
    },
  };
}
