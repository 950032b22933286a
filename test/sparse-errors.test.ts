// Bad input to the sparse and codebook kernels: an EdgeRunError naming the argument, never a trap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseKernel } from '../kernels/sparse/choose.js';
import { codebookGemmF32, packCodebookGemm } from '../kernels/sparse/codebook.js';
import { packSparseConv2d, sparseConv2dF32 } from '../kernels/sparse/conv.js';
import { packSparseGemm, spmmF32, spmmF32Ptr, spmmI8 } from '../kernels/sparse/spmm.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const lists = (o: Record<string, unknown>) => ({ K: 4, N: 2, ptr: Int32Array.from([0, 1, 2]), k: Int32Array.from([0, 3]), w: Float32Array.from([1, 2]), ...o });

RUNTIMES.forEach((rt) => {
  test(`${rt.build}: packSparseGemm rejects bad weights, formats and column lists`, () => {
    expectEdgeRunError(() => packSparseGemm(rt, new Float32Array(5), 2, 3), 'ShapeMismatch', /weights have 5 elements/);
    expectEdgeRunError(() => packSparseGemm(rt, [1, 2] as unknown as Float32Array, 1, 2), 'DTypeMismatch', /weights/);
    expectEdgeRunError(() => packSparseGemm(rt, new Float32Array(4), 2, 2, { format: 'bsr8x8' as never }), 'InvalidArgument', /format/);
    expectEdgeRunError(() => packSparseGemm(rt, Float32Array.from([1, NaN, 0, 0]), 2, 2), 'InvalidArgument', /weights\[1\]/);
    expectEdgeRunError(() => packSparseGemm(rt, Float32Array.from([1, 1, 1, 0, 0, 0, 0, 0]), 4, 2, { format: '2:4', transB: true }), 'InvalidArgument', /not 2:4/);
    expectEdgeRunError(() => packSparseGemm(rt, new Int8Array(4), 2, 2), 'InvalidArgument', /scales/);
    expectEdgeRunError(() => packSparseGemm(rt, new Int8Array(4), 2, 2, { scales: [1] }), 'ShapeMismatch', /scales has 1/);
    expectEdgeRunError(() => packSparseGemm(rt, new Int8Array(4), 2, 2, { scales: [1, -1] }), 'InvalidArgument', /scales\[1\]/);
    expectEdgeRunError(() => packSparseGemm(rt, new Float32Array(4), 2, 2, { scales: 2 }), 'InvalidArgument', /int8 weights only/);
    expectEdgeRunError(() => packSparseGemm(rt, new Float32Array(4), 2, 2, { bias: new Float32Array(3) }), 'ShapeMismatch', /bias/);
    expectEdgeRunError(() => packSparseGemm(rt, new Float32Array(4), -2, -2), 'InvalidArgument', /K/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({ ptr: Int32Array.from([0, 2]) }) as never, 4, 2), 'ShapeMismatch', /ptr has 2 entries/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({ k: Int32Array.from([0, 4]) }) as never, 4, 2), 'InvalidArgument', /k\[1\] = 4.*out of range/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({ k: Int32Array.from([0, -1]) }) as never, 4, 2), 'InvalidArgument', /out of range/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({ ptr: Int32Array.from([0, 3, 2]) }) as never, 4, 2), 'InvalidArgument', /ptr decreases at column 1/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({ w: Float32Array.from([1]) }) as never, 4, 2), 'ShapeMismatch', /k has 2 entries but w has 1/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({ ptr: Int32Array.from([0, 2, 2]), k: Int32Array.from([3, 1]) }) as never, 4, 2), 'InvalidArgument', /strictly increasing/);
    expectEdgeRunError(() => packSparseGemm(rt, lists({}) as never, 5, 2), 'ShapeMismatch', /column lists are 4×2/);
    expectEdgeRunError(() => packSparseGemm(rt, new Float32Array(65537), 65537, 1), 'UnsupportedFeature', /65536/);
  });

  test(`${rt.build}: sparse runs reject bad inputs, freed or foreign weights`, () => {
    const p = packSparseGemm(rt, Float32Array.from([1, 0, 0, 2]), 2, 2);
    expectEdgeRunError(() => spmmF32(rt, new Float32Array(3), 1, p), 'ShapeMismatch', /x has 3 elements/);
    expectEdgeRunError(() => spmmF32(rt, new Float32Array(2), 1, p, { act: { kind: 'clip', min: 2, max: 1 } }), 'InvalidArgument', /clip/);
    expectEdgeRunError(() => spmmF32Ptr(rt, 1, rt.arena.base, 1, p, rt.arena.base, 2), 'InvalidArgument', /lda 1 is smaller than K/);
    expectEdgeRunError(() => spmmF32Ptr(rt, 1, 1 << 30, 2, p, rt.arena.base, 2), 'InvalidArgument', /x/);
    expectEdgeRunError(() => spmmI8(rt, new Int8Array(2), 1, p), 'DTypeMismatch', /float32/);
    const other = RUNTIMES.find((r) => r !== rt)!;
    expectEdgeRunError(() => spmmF32(other, new Float32Array(2), 1, p), 'InvalidArgument', /another runtime/);
    p.free();
    expectEdgeRunError(() => spmmF32(rt, new Float32Array(2), 1, p), 'InvalidArgument', /freed/);
    expectEdgeRunError(() => p.free(), 'InvalidArgument', /already freed/);
    const q = packSparseGemm(rt, Int8Array.from([1, 0, 0, 2]), 2, 2, { scales: 1 });
    expectEdgeRunError(() => spmmI8(rt, new Int8Array(2), 1, q, { zeroPoint: 300 }), 'InvalidArgument', /zeroPoint 300/);
    q.free();
  });

  test(`${rt.build}: sparse convolution rejects groups, bad dims and mismatched inputs`, () => {
    expectEdgeRunError(() => packSparseConv2d(rt, new Float32Array(8), [4, 2, 1, 1], { group: 2 }), 'UnsupportedFeature', /group/);
    expectEdgeRunError(() => packSparseConv2d(rt, new Float32Array(7), [4, 2, 1, 1]), 'ShapeMismatch', /weight/);
    expectEdgeRunError(() => packSparseConv2d(rt, new Float32Array(8), [4, 2, 1]), 'InvalidArgument', /weight dims/);
    const p = packSparseConv2d(rt, new Float32Array(8).fill(1), [4, 2, 1, 1]);
    expectEdgeRunError(() => sparseConv2dF32(rt, new Float32Array(9), [1, 3, 3, 1], p), 'ShapeMismatch', /3 channels/);
    expectEdgeRunError(() => sparseConv2dF32(rt, new Float32Array(5), [1, 2, 3, 1], p), 'ShapeMismatch', /input has 5 elements/);
    p.free();
  });

  test(`${rt.build}: codebook packing rejects bad codebooks and indices`, () => {
    const ok = { centroids: Float32Array.from([0.5, -1]), indices: new Uint8Array(6), bits: 4 as const };
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, bits: 3 as never }, 2, 3), 'InvalidArgument', /bits must be 2, 4 or 8/);
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, centroids: new Float32Array(17) }, 2, 3), 'InvalidArgument', /17 centroids, more than 4-bit/);
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, centroids: new Float32Array(257), bits: 8 }, 2, 3), 'InvalidArgument', /at most 256/);
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, indices: Uint8Array.from([0, 1, 2, 0, 0, 0]) }, 2, 3), 'InvalidArgument', /indices\[2\] = 2 is out of range/);
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, indices: new Uint8Array(5) }, 2, 3), 'ShapeMismatch', /indices has 5/);
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, perColumn: true }, 2, 3), 'ShapeMismatch', /per-column/);
    expectEdgeRunError(() => packCodebookGemm(rt, { ...ok, centroids: Float32Array.from([Infinity]) }, 2, 3), 'InvalidArgument', /centroids\[0\]/);
    expectEdgeRunError(() => packCodebookGemm(rt, ok, 2, 3, { design: 'magic' as never }), 'InvalidArgument', /design/);
    const p = packCodebookGemm(rt, ok, 2, 3);
    expectEdgeRunError(() => codebookGemmF32(rt, new Float32Array(3), 1, p), 'ShapeMismatch', /x has 3/);
    p.free();
    expectEdgeRunError(() => codebookGemmF32(rt, new Float32Array(2), 1, p), 'InvalidArgument', /freed/);
  });
});

test('chooseKernel: measured table decides, with a report; bad input rejected', () => {
  const K = 64, N = 64;
  const dense = Float32Array.from({ length: K * N }, (_, i) => ((i * 7919) % 13) - 6.5);
  assert.is(chooseKernel(dense, K, N).kernel, 'dense');
  const sparse = dense.map((v, i) => ((i * 2654435761) >>> 0) % 100 < 95 ? 0 : v);
  const c = chooseKernel(sparse, K, N, { batch: 16 });
  assert.is(c.kernel, 'csr');
  assert.match(c.report, /zeros/);
  const blocks = dense.map((v, i) => (Math.floor(i / 4) % 5 === 0 ? v : 0));
  assert.is(chooseKernel(blocks, K, N).kernel, 'bsr1x4');
  const few = dense.map((v) => Math.sign(v));
  assert.is(chooseKernel(few, K, N).kernel, 'dense', 'codebook is measured slower here');
  assert.is(chooseKernel(few, K, N, { preferSmall: true }).kernel, 'codebook');
  expectEdgeRunError(() => chooseKernel(dense, K, N + 1), 'ShapeMismatch', /weights have/);
  expectEdgeRunError(() => chooseKernel(dense, K, N, { batch: 0 }), 'InvalidArgument', /batch/);
});

test.run();
