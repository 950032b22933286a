import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  averagePoolF32, globalAveragePoolF32, globalMaxPoolF32, maxPoolF32, maxPoolF32Ptr, poolGeometry, poolOutputDims,
  type AveragePoolOptions, type MaxPoolResult,
} from '../kernels/pool.js';
import { averagePoolReference, globalPoolReference, maxPoolReference } from '../kernels/reference/pool.js';
import { assertClose, assertEqualArrays } from './helpers/compare.js';
import { ODD_SIZES, pick, randomF32, randomInt, rng } from './helpers/random.js';
import { RUNTIMES, expectEdgeRunError } from './helpers/runtimes.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);
const ref = (k: readonly number[], o: Partial<{ strides: number[]; pads: number[]; dilations: number[]; ceilMode: boolean }> = {}) => ({
  kernel: k, strides: o.strides ?? k.map(() => 1), pads: o.pads ?? [...k, ...k].map(() => 0), dilations: o.dilations ?? k.map(() => 1), ceilMode: !!o.ceilMode,
});

test('reference: ceil mode, pads and count_include_pad (hand-computed, matches onnxruntime)', () => {
  // ONNX's maxpool_2d_ceil example: 4x4 of 1..16, 3x3 window, stride 2.
  const m = maxPoolReference(iota(16), [1, 1, 4, 4], ref([3, 3], { strides: [2, 2], ceilMode: true }));
  assert.equal(m.dims, [1, 1, 2, 2]);
  assert.equal(Array.from(m.data), [11, 12, 15, 16]);
  // Width 5, window 2, stride 2, pad 1, ceil: a 4th window would start in the end padding and is dropped.
  assert.equal(Array.from(maxPoolReference(iota(5), [1, 1, 5], ref([2], { strides: [2], pads: [1, 1], ceilMode: true })).data), [1, 3, 5]);
  // Width 6, window 3, stride 2, pad 1, ceil: windows [-1..1] [1..3] [3..5] [5..7]; the padded extent ends at 7 (exclusive).
  const p = ref([3], { strides: [2], pads: [1, 1], ceilMode: true });
  assert.equal(Array.from(averagePoolReference(iota(6), [1, 1, 6], { ...p, countIncludePad: true }).data), [1, 3, 5, 3]);
  assert.equal(Array.from(averagePoolReference(iota(6), [1, 1, 6], { ...p, countIncludePad: false }).data), [1.5, 3, 5, 6]);
  // No pads, ceil: the last window [4..6] runs past the input; include-pad counts only taps inside the padded input.
  const q = ref([3], { strides: [2], ceilMode: true });
  assert.equal(Array.from(averagePoolReference(iota(6), [1, 1, 6], { ...q, countIncludePad: true }).data), [2, 4, 5.5]);
});

test('reference: MaxPool indices, row- and column-major, batch and channel offsets (hand-computed)', () => {
  // N=1, C=2, 2x2 planes; channel 1 is [[1, 5], [7, 3]]: the max 7 sits at (h=1, w=0).
  const x = Float32Array.from([0, 0, 0, 9, 1, 5, 7, 3]);
  const r = maxPoolReference(x, [1, 2, 2, 2], ref([2, 2]));
  assert.equal(Array.from(r.data), [9, 7]);
  assert.equal(Array.from(r.indices, Number), [3, 4 + 2]);
  const c = maxPoolReference(x, [1, 2, 2, 2], ref([2, 2]), undefined, 1);
  assert.equal(Array.from(c.indices, Number), [3, 4 + 1]);
});

test('reference: global pools (hand-computed)', () => {
  const g = globalPoolReference(Float32Array.from([1, 2, 3, 6, -1, -5, -3, -7]), [2, 1, 2, 2], 'average');
  assert.equal(g.dims, [2, 1, 1, 1]);
  assert.equal(Array.from(g.data), [3, -4]);
  assert.equal(Array.from(globalPoolReference(Float32Array.from([1, 2, 3, 6, -1, -5, -3, -7]), [1, 2, 4], 'max').data), [6, -1]);
});

function randomWindowCase(rand: () => number, rank: number): { dims: number[]; opts: AveragePoolOptions } | null {
  const spatial = Array.from({ length: rank }, () => (rank === 3 ? randomInt(rand, 1, 9) : pick(rand, ODD_SIZES)));
  const kernel = spatial.map(() => pick(rand, [1, 2, 2, 3, 3, 3, 4, 5]));
  const strides = spatial.map(() => pick(rand, [1, 1, 2, 2, 3]));
  const dilations = spatial.map(() => pick(rand, [1, 1, 1, 2, 3]));
  const pads = [...spatial, ...spatial].map((_, i) => randomInt(rand, 0, kernel[i % rank] - 1));
  const dims = [randomInt(rand, 1, 2), pick(rand, [1, 3, 7, 17]), ...spatial];
  const opts = { kernel, strides, dilations, pads, ceilMode: rand() < 0.5, countIncludePad: rand() < 0.5 };
  try {
    poolOutputDims(dims, opts);
  } catch {
    return null; // kernel larger than the padded input, or a window without input: tested below
  }
  return { dims, opts };
}

for (const rank of [2, 1, 3]) {
  test(`${rank}-D max and average pooling, every build vs the reference (strides, pads, dilations, ceil, count_include_pad)`, () => {
    let ran = 0;
    for (let seed = 1; ran < (rank === 2 ? 120 : 40); seed++) {
      const rand = rng(seed * 31 + rank);
      const c = randomWindowCase(rand, rank);
      if (!c) continue;
      ran++;
      const x = randomF32(rand, c.dims.reduce((a, b) => a * b, 1), -3, 3);
      const p = { ...ref(c.opts.kernel), ...c.opts, ceilMode: !!c.opts.ceilMode } as Parameters<typeof maxPoolReference>[2];
      const wantMax = maxPoolReference(x, c.dims, p);
      const wantAvg = averagePoolReference(x, c.dims, { ...p, countIncludePad: !!c.opts.countIncludePad });
      for (const rt of RUNTIMES) {
        const what = `${rt.build} seed ${seed} dims [${c.dims}] ${JSON.stringify(c.opts)}`;
        const gotMax = maxPoolF32(rt, x, c.dims, c.opts);
        assert.equal(gotMax.dims, wantMax.dims, what);
        assertEqualArrays(gotMax.data, wantMax.data, `max ${what}`);
        const gotAvg = averagePoolF32(rt, x, c.dims, c.opts);
        assertClose(gotAvg.data, wantAvg.data, TOL, `average ${what}`);
      }
    }
  });
}

test('MobileNet / ResNet shapes: 3x3 s2 pad 1, 2x2 s2, 3x3 s1 same', () => {
  const rand = rng(77);
  const cases: [number[], AveragePoolOptions][] = [
    [[1, 8, 112, 112], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    [[1, 5, 56, 57], { kernel: [2, 2], strides: [2, 2], ceilMode: true }],
    [[1, 3, 35, 35], { kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: false }],
    [[1, 3, 35, 35], { kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: true }],
  ];
  for (const [dims, opts] of cases) {
    const x = randomF32(rand, dims.reduce((a, b) => a * b, 1));
    const g = { ...ref(opts.kernel), ...opts, ceilMode: !!opts.ceilMode };
    const wantMax = maxPoolReference(x, dims, g);
    const wantAvg = averagePoolReference(x, dims, { ...g, countIncludePad: !!opts.countIncludePad });
    for (const rt of RUNTIMES) {
      assertEqualArrays(maxPoolF32(rt, x, dims, opts).data, wantMax.data, `${rt.build} max [${dims}] ${JSON.stringify(opts)}`);
      assertClose(averagePoolF32(rt, x, dims, opts).data, wantAvg.data, TOL, `${rt.build} avg [${dims}] ${JSON.stringify(opts)}`);
    }
  }
});

test('auto_pad resolves to explicit pads (SAME puts the odd pad at the end for UPPER, the start for LOWER)', () => {
  // Width 5, window 2, stride 1: SAME keeps 5 outputs, one pad in total.
  assert.equal(poolGeometry([1, 1, 5], { kernel: [2], autoPad: 'SAME_UPPER' }).pads, [0, 1]);
  assert.equal(poolGeometry([1, 1, 5], { kernel: [2], autoPad: 'SAME_LOWER' }).pads, [1, 0]);
  // Width 7, window 3, stride 2: ceil(7/2) = 4 outputs need (4-1)*2 + 3 - 7 = 2 pads.
  const g = poolGeometry([1, 1, 7, 7], { kernel: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER', pads: [9, 9, 9, 9] });
  assert.equal(g.pads, [1, 1, 1, 1]);
  assert.equal(g.outputDims, [1, 1, 4, 4]);
  assert.equal(poolGeometry([1, 1, 7, 7], { kernel: [3, 3], autoPad: 'VALID', pads: [1, 1, 1, 1] }).outputDims, [1, 1, 5, 5]);
});

test('NaN never wins a max; -inf inputs stay -inf', () => {
  const x = Float32Array.from([NaN, 2, -Infinity, NaN, -Infinity, -Infinity, 1, NaN]);
  for (const rt of RUNTIMES) {
    assert.equal(Array.from(maxPoolF32(rt, x, [1, 1, 8], { kernel: [2], strides: [2] }).data), [2, -Infinity, -Infinity, 1], rt.build);
    assert.equal(Array.from(globalMaxPoolF32(rt, x, [1, 1, 8]).data), [2], rt.build);
  }
});

test('global pools, every build vs the reference, 1-3 spatial dims', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rand = rng(seed);
    const dims = [randomInt(rand, 1, 2), pick(rand, [1, 3, 17]), ...Array.from({ length: randomInt(rand, 1, 3) }, () => pick(rand, ODD_SIZES))];
    const x = randomF32(rand, dims.reduce((a, b) => a * b, 1));
    for (const rt of RUNTIMES) {
      const what = `${rt.build} seed ${seed} [${dims}]`;
      const avg = globalAveragePoolF32(rt, x, dims);
      assert.equal(avg.dims, [dims[0], dims[1], ...dims.slice(2).map(() => 1)], what);
      assertClose(avg.data, globalPoolReference(x, dims, 'average').data, { rtol: 1e-5, atol: 1e-6 }, `average ${what}`);
      assertEqualArrays(globalMaxPoolF32(rt, x, dims).data, globalPoolReference(x, dims, 'max').data, `max ${what}`);
    }
  }
});

test('pointer API writes only the output block', () => {
  for (const rt of RUNTIMES) {
    const x = randomF32(rng(3), 2 * 3 * 9 * 10);
    const inPtr = rt.arena.alloc(x.length * 4);
    const outCount = 2 * 3 * 5 * 5;
    const outPtr = rt.arena.alloc((outCount + 8) * 4);
    rt.arena.f32(inPtr, x.length).set(x);
    rt.arena.f32(outPtr, outCount + 8).fill(-7);
    const opts = { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 0] };
    assert.equal(maxPoolF32Ptr(rt, inPtr, [2, 3, 9, 10], outPtr, opts), [2, 3, 5, 5]);
    const out = rt.arena.f32(outPtr, outCount + 8);
    assertEqualArrays(out.subarray(0, outCount), maxPoolReference(x, [2, 3, 9, 10], { ...ref([3, 3]), ...opts, ceilMode: false }).data, rt.build);
    for (let i = outCount; i < outCount + 8; i++) assert.is(out[i], -7, `${rt.build}: wrote past the output`);
    rt.arena.free(inPtr);
    rt.arena.free(outPtr);
  }
});

test('bad input is an EdgeRunError naming the argument', () => {
  const rt = RUNTIMES[0];
  const x = new Float32Array(2 * 5 * 5);
  const max = (dims: number[], opts: object, input = x) => () => maxPoolF32(rt, input, dims, { kernel: [3, 3], ...opts });
  expectEdgeRunError(max([1, 2, 5, 5], { kernel: [7, 3] }), 'ShapeMismatch', /extent 7 .* padded input 5/);
  expectEdgeRunError(max([1, 2, 5, 5], { strides: [0, 1] }), 'InvalidArgument', /strides/);
  expectEdgeRunError(max([1, 2, 5, 5], { strides: [-2, 1] }), 'InvalidArgument', /strides/);
  expectEdgeRunError(max([1, 2, 5, 5], { strides: [1] }), 'InvalidArgument', /strides must have 2/);
  expectEdgeRunError(max([1, 2, 5, 5], { kernel: [3] }), 'InvalidArgument', /kernel must have 2/);
  expectEdgeRunError(max([1, 2, 5, 5], { kernel: [0, 3] }), 'InvalidArgument', /kernel/);
  expectEdgeRunError(max([1, 2, 5, 5], { pads: [1, 1, 1] }), 'InvalidArgument', /pads must have 4/);
  expectEdgeRunError(max([1, 2, 5, 5], { pads: [1, -1, 1, 1] }), 'InvalidArgument', /pads/);
  expectEdgeRunError(max([1, 2, 5, 5], { pads: [3, 0, 0, 0] }), 'InvalidArgument', /window 0 .* without any input/);
  expectEdgeRunError(max([1, 2, 5, 5], { dilations: [1, 0] }), 'InvalidArgument', /dilations/);
  expectEdgeRunError(max([1, 2, 5, 5], { autoPad: 'SAME' }), 'InvalidArgument', /autoPad/);
  expectEdgeRunError(max([1, 2, 5, 5], { storageOrder: 2 }), 'InvalidArgument', /storageOrder/);
  expectEdgeRunError(max([1, 2, 24], { kernel: [3] }, x), 'ShapeMismatch', /input has 50 values, dims \[1, 2, 24\] need 48/);
  expectEdgeRunError(max([2, 5, 5], { kernel: [3] }, new Float32Array(49)), 'ShapeMismatch', /input has 49 values/);
  expectEdgeRunError(max([1, 2], {}), 'ShapeMismatch', /input dims/);
  expectEdgeRunError(max([1, 2, 1, 1, 1, 1], {}), 'ShapeMismatch', /input dims/);
  expectEdgeRunError(max([1, 2, 0, 5], {}), 'ShapeMismatch', /input dims/);
  expectEdgeRunError(() => averagePoolF32(rt, x, [1, 2, 5, 5], { kernel: [3, 3], dilations: [3, 3] }), 'ShapeMismatch', /extent 7/);
  expectEdgeRunError(() => maxPoolF32Ptr(rt, 8, [1, 2, 5, 5], rt.arena.base, { kernel: [3, 3] }), 'InvalidArgument', /maxPool input/);
  expectEdgeRunError(() => globalAveragePoolF32(rt, x, [1, 2]), 'ShapeMismatch', /input dims/);
});

// The official ONNX node tests (the graph engine will run them through these kernels), read
// with a minimal protobuf walker: just the fields of ModelProto / NodeProto / AttributeProto /
// TensorProto that pooling cases use.
interface Field { no: number; v: bigint | Uint8Array }

function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let r = 0n;
    for (let s = 0n; ; s += 7n) {
      const x = b[i++];
      r |= BigInt(x & 127) << s;
      if (x < 128) return r;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const wire = key & 7;
    const len = wire === 2 ? Number(varint()) : wire === 5 ? 4 : wire === 1 ? 8 : 0;
    out.push({ no: key >> 3, v: wire === 0 ? varint() : b.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/** Repeated int64 field, packed or not. */
function ints(fs: Field[], no: number): number[] {
  return fs.filter((f) => f.no === no).flatMap((f) =>
    typeof f.v === 'bigint' ? [f.v] : fields(Uint8Array.from([...f.v].flatMap((x, j, a) => (j === 0 || a[j - 1] < 128 ? [8, x] : [x])))).map((g) => g.v as bigint),
  ).map((v) => Number(BigInt.asIntN(64, v)));
}

const bytesOf = (fs: Field[], no: number) => fs.find((f) => f.no === no)?.v as Uint8Array | undefined;
const text = (u: Uint8Array | undefined) => new TextDecoder().decode(u);

function tensor(bytes: Uint8Array): { dims: number[]; data: ArrayLike<number | bigint> } {
  const fs = fields(bytes);
  const type = ints(fs, 2)[0];
  const raw = bytesOf(fs, 9);
  // Copies: readFileSync's Buffer is a view into a shared pool, and may be misaligned.
  const copy = raw && new Uint8Array(raw).buffer;
  if (type === 1) return { dims: ints(fs, 1), data: new Float32Array(copy ?? new Uint8Array(bytesOf(fs, 4)!).buffer) };
  if (type === 2) return { dims: ints(fs, 1), data: raw! };
  if (type === 7) return { dims: ints(fs, 1), data: copy ? new BigInt64Array(copy) : ints(fs, 7) };
  throw new Error(`tensor data type ${type} not handled by this reader`);
}

interface ConformanceCase {
  name: string;
  op: string;
  attrs: Record<string, number | number[] | string>;
  input: ReturnType<typeof tensor>;
  outputs: ReturnType<typeof tensor>[];
}

function readCase(dir: string): ConformanceCase {
  const graph = fields(bytesOf(fields(readFileSync(join(dir, 'model.onnx'))), 7)!);
  const node = fields(bytesOf(graph, 1)!);
  const attrs: ConformanceCase['attrs'] = {};
  for (const a of node.filter((f) => f.no === 5).map((f) => fields(f.v as Uint8Array))) {
    const type = ints(a, 20)[0];
    attrs[text(bytesOf(a, 1))] = type === 2 ? ints(a, 3)[0] : type === 7 ? ints(a, 8) : text(bytesOf(a, 4));
  }
  const data = join(dir, 'test_data_set_0');
  const outputs = readdirSync(data).filter((f) => f.startsWith('output_')).sort().map((f) => tensor(readFileSync(join(data, f))));
  return { name: dir.split('/').pop()!, op: text(bytesOf(node, 4)), attrs, input: tensor(readFileSync(join(data, 'input_0.pb'))), outputs };
}

const CONFORMANCE_DIR = '/work/shared/conformance/onnx-node';
const conformance = readdirSync(CONFORMANCE_DIR)
  .filter((d) => /^test_(maxpool|averagepool|globalaveragepool|globalmaxpool)/.test(d))
  .map((d) => readCase(join(CONFORMANCE_DIR, d)));

test(`ONNX conformance cases (${conformance.length}) reproduce on every build`, () => {
  assert.ok(conformance.length >= 25, `found ${conformance.length} pooling conformance cases`);
  for (const c of conformance) {
    for (const rt of RUNTIMES) {
      const what = `${c.name} on ${rt.build}`;
      const a = c.attrs;
      const opts = {
        kernel: (a.kernel_shape as number[]) ?? [], strides: a.strides as number[] | undefined, pads: a.pads as number[] | undefined,
        dilations: a.dilations as number[] | undefined, ceilMode: a.ceil_mode === 1, autoPad: a.auto_pad as never,
        countIncludePad: a.count_include_pad === 1, storageOrder: (a.storage_order ?? 0) as 0 | 1, indices: c.outputs.length > 1,
      };
      const input = Float32Array.from(c.input.data as ArrayLike<number>);
      const got = c.op === 'MaxPool' ? maxPoolF32(rt, input, c.input.dims, opts)
        : c.op === 'AveragePool' ? averagePoolF32(rt, input, c.input.dims, opts)
        : c.op === 'GlobalMaxPool' ? globalMaxPoolF32(rt, input, c.input.dims)
        : globalAveragePoolF32(rt, input, c.input.dims);
      assert.equal(got.dims, c.outputs[0].dims, `${what}: dims`);
      assertClose(got.data, Float32Array.from(c.outputs[0].data as ArrayLike<number>), { rtol: 1e-5, atol: 1e-6 }, what);
      if (c.outputs[1]) assert.equal(Array.from((got as MaxPoolResult).indices!, Number), Array.from(c.outputs[1].data as ArrayLike<number>, Number), `${what}: indices`);
    }
  }
});

test.run();
