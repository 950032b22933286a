// Shared by the operator tests: one-node graphs run through InferenceSession on a given runtime,
// random tensors of any dtype, index arithmetic for the naive references, bitwise comparison.
import * as assert from 'uvu/assert';
import { EdgeRunError } from '../engine/errors.js';
import { GraphBuilder, type AttrInput } from '../engine/graph/builder.js';
import type { Dim, Graph } from '../engine/graph/ir.js';
import { InferenceSession } from '../engine/session.js';
import { Tensor, floatToHalf, sizeOf, type DType, type TypedData } from '../engine/tensor.js';
import type { Runtime } from '../kernels/runtime.js';

export interface NodeSpec {
  op: string;
  /** Graph inputs (fed) as [name, dtype, dims]; Tensors become constants. null: omitted optional input. */
  inputs: ([string, DType, Dim[]] | Tensor | null)[];
  attrs?: Record<string, AttrInput | undefined>;
  outputs?: number;
  opset?: number;
  model?: string;
  node?: string;
}

function buildNode(spec: NodeSpec): Graph {
  const g = new GraphBuilder(spec.model ?? `${spec.op.toLowerCase()}_test`, spec.opset ?? 17);
  const ins = spec.inputs.map((x) => (x === null ? null : x instanceof Tensor ? x : g.input(x[0], x[1], x[2])));
  const outs = g.node(spec.op, ins, spec.attrs ?? {}, { outputs: spec.outputs ?? 1, name: spec.node });
  outs.forEach((v, i) => g.output(v, `out${i}`));
  return g.build();
}

/**
 * Runs a one-node model; `feeds` by input name. Without optimisation by default, so the kernel
 * runs even where folding could have computed the node at load.
 */
export async function runNode(rt: Runtime, spec: NodeSpec, feeds: Record<string, Tensor>, optimize = false): Promise<Tensor[]> {
  const session = await InferenceSession.create(buildNode(spec), { runtime: rt, optimize });
  try {
    const result = session.runSync(feeds);
    return session.outputNames.map((n) => result[n]);
  } finally {
    await session.release();
  }
}

/** Loads a one-node model as users do (optimisation on: shapes are inferred at load). */
export async function loadNode(rt: Runtime, spec: NodeSpec): Promise<void> {
  const session = await InferenceSession.create(buildNode(spec), { runtime: rt });
  await session.release();
}

/** Random elements of any numeric dtype (floats in [-10, 10), integers in their range or [-100, 100]). */
export function randomTensor(rand: () => number, dtype: DType, dims: readonly number[]): Tensor {
  const n = sizeOf(dims);
  const f = () => -10 + 20 * rand();
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  switch (dtype) {
    case 'float32':
    case 'float64':
      return new Tensor(dtype, Array.from({ length: n }, f), dims);
    case 'float16':
      return new Tensor(dtype, Uint16Array.from({ length: n }, () => floatToHalf(f())), dims);
    case 'bool':
      return new Tensor(dtype, Uint8Array.from({ length: n }, () => int(0, 1)), dims);
    case 'uint8':
      return new Tensor(dtype, Array.from({ length: n }, () => int(0, 255)), dims);
    case 'int8':
      return new Tensor(dtype, Array.from({ length: n }, () => int(-128, 127)), dims);
    case 'int64':
      // Beyond 2^32 so the two halves of each element differ.
      return new Tensor(dtype, Array.from({ length: n }, () => BigInt(int(-100, 100)) * 10000000000n + BigInt(int(0, 99))), dims);
    default:
      return new Tensor(dtype, Array.from({ length: n }, () => int(-100, 100)), dims);
  }
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let k = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= dims[i];
  }
  return s;
}

export function coordsOf(flat: number, dims: readonly number[]): number[] {
  const c = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    c[i] = flat % dims[i];
    flat = Math.floor(flat / dims[i]);
  }
  return c;
}

export function offsetOf(coords: readonly number[], dims: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < dims.length; i++) o = o * dims[i] + coords[i];
  return o;
}

/** A tensor of `dims` whose element at each coordinate is `x`'s element at `source(coords)`. */
export function gatherBy(x: Tensor, dims: readonly number[], source: (coords: number[]) => number[]): Tensor {
  const n = sizeOf(dims);
  const src = x.data as TypedData;
  const Ctor = src.constructor as new (n: number) => TypedData;
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) (out as Float32Array)[i] = (src as Float32Array)[offsetOf(source(coordsOf(i, dims)), x.dims)];
  return new Tensor(x.type, out, dims);
}

/** Same dtype, dims and bits (NaN equal to NaN). */
export function assertSameTensor(actual: Tensor, expected: Tensor, what: string): void {
  assert.is(actual.type, expected.type, `${what}: dtype`);
  assert.equal([...actual.dims], [...expected.dims], `${what}: dims`);
  const a = actual.data as ArrayLike<number | bigint>;
  const e = expected.data as ArrayLike<number | bigint>;
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) {
      assert.unreachable(`${what}: first difference at [${i}] (coords [${coordsOf(i, expected.dims)}]): got ${x}, expected ${y}`);
    }
  }
}

/** Awaits `fn` and checks it fails with an EdgeRunError of `code` whose message matches every pattern. */
export async function expectRejection(fn: () => Promise<unknown>, code: string, patterns: RegExp[]): Promise<EdgeRunError> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof EdgeRunError)) assert.unreachable(`expected EdgeRunError ${code}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    const err = e as EdgeRunError;
    assert.is(err.code, code, `error code for: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return err;
  }
  assert.unreachable(`expected EdgeRunError ${code}, nothing was thrown`);
  throw new Error('unreachable');
}

export const int64 = (xs: readonly (number | bigint)[]): Tensor => new Tensor('int64', xs.map((x) => BigInt(x)), [xs.length]);
