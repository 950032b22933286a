// Scalar pooling over NCHW tensors with 1 to 3 spatial dims: the oracle for wasm/pool.ts and
// the kernels of the reference runtime. Follows ONNX MaxPool / AveragePool (opset <= 19) as
// onnxruntime computes them:
// - output size floor/ceil((in + padBegin + padEnd - ((k - 1) * d + 1)) / s) + 1, and with
//   ceil_mode a last window that would start inside the end padding is dropped;
// - max ignores padding; the average divides by the taps inside the padded extent
//   [-padBegin, in + padEnd) when count_include_pad, else by the taps inside the input.
// Every spatial rank is run as 3-D with leading dims of size 1.

export interface PoolReferenceParams {
  kernel: readonly number[];
  strides: readonly number[];
  /** ONNX order: all begins, then all ends. */
  pads: readonly number[];
  dilations: readonly number[];
  ceilMode: boolean;
}

export function poolOutSize(inSize: number, k: number, s: number, d: number, padBegin: number, padEnd: number, ceilMode: boolean): number {
  const span = inSize + padBegin + padEnd - ((k - 1) * d + 1);
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= inSize + padBegin) out--;
  return out;
}

interface Axis {
  size: number;
  out: number;
  k: number;
  s: number;
  d: number;
  padBegin: number;
  padEnd: number;
}

function axes(spatial: readonly number[], p: PoolReferenceParams): Axis[] {
  const r = spatial.length;
  const list = spatial.map((size, i) => {
    const a = { size, k: p.kernel[i], s: p.strides[i], d: p.dilations[i], padBegin: p.pads[i], padEnd: p.pads[i + r] };
    return { ...a, out: poolOutSize(size, a.k, a.s, a.d, a.padBegin, a.padEnd, p.ceilMode) };
  });
  while (list.length < 3) list.unshift({ size: 1, out: 1, k: 1, s: 1, d: 1, padBegin: 0, padEnd: 0 });
  return list;
}

function outDims(inputDims: readonly number[], ax: Axis[]): number[] {
  const r = inputDims.length - 2;
  return [inputDims[0], inputDims[1], ...ax.slice(3 - r).map((a) => a.out)];
}

/** Input positions of output index o's taps along one axis, split into inside-input and inside-padded-extent counts. */
function taps(a: Axis, o: number): { inside: number[]; padded: number } {
  const inside: number[] = [];
  let padded = 0;
  for (let t = 0; t < a.k; t++) {
    const i = o * a.s - a.padBegin + t * a.d;
    if (i >= 0 && i < a.size) inside.push(i);
    if (i >= -a.padBegin && i < a.size + a.padEnd) padded++;
  }
  return { inside, padded };
}

export interface MaxPoolReferenceResult {
  data: Float32Array;
  dims: number[];
  /** ONNX MaxPool Indices: flat index into the input (batch and channel included). */
  indices: BigInt64Array;
}

/**
 * storageOrder 1 (column-major indices) reverses the spatial index order, as ONNX defines it
 * for MaxPool's second output.
 */
export function maxPoolReference(
  input: Float32Array,
  inputDims: readonly number[],
  p: PoolReferenceParams,
  out?: Float32Array,
  storageOrder = 0,
): MaxPoolReferenceResult {
  const ax = axes(inputDims.slice(2), p);
  const dims = outDims(inputDims, ax);
  const planes = inputDims[0] * inputDims[1];
  const [A, B, Cx] = ax;
  const inPlane = A.size * B.size * Cx.size;
  const outPlane = A.out * B.out * Cx.out;
  const data = out ?? new Float32Array(planes * outPlane);
  const indices = new BigInt64Array(planes * outPlane);
  // The spatial dims of the caller's rank, for column-major index strides.
  const spatial = inputDims.slice(2);
  for (let pl = 0; pl < planes; pl++) {
    for (let oa = 0; oa < A.out; oa++) {
      const ta = taps(A, oa).inside;
      for (let ob = 0; ob < B.out; ob++) {
        const tb = taps(B, ob).inside;
        for (let oc = 0; oc < Cx.out; oc++) {
          const tc = taps(Cx, oc).inside;
          // NaN never wins (like the kernels' pmax); ties keep the first tap in row-major order.
          let best = -Infinity;
          let where = [ta[0], tb[0], tc[0]];
          for (const ia of ta) for (const ib of tb) for (const ic of tc) {
            const v = input[pl * inPlane + (ia * B.size + ib) * Cx.size + ic];
            if (v > best) {
              best = v;
              where = [ia, ib, ic];
            }
          }
          const o = pl * outPlane + (oa * B.out + ob) * Cx.out + oc;
          data[o] = best;
          indices[o] = BigInt(pl * inPlane + spatialIndex(where, spatial, storageOrder));
        }
      }
    }
  }
  return { data, dims, indices };
}

function spatialIndex(where3: number[], spatial: readonly number[], storageOrder: number): number {
  const pos = where3.slice(3 - spatial.length);
  let idx = 0;
  if (storageOrder === 0) for (let i = 0; i < pos.length; i++) idx = idx * spatial[i] + pos[i];
  else for (let i = pos.length - 1; i >= 0; i--) idx = idx * spatial[i] + pos[i];
  return idx;
}

export function averagePoolReference(
  input: Float32Array,
  inputDims: readonly number[],
  p: PoolReferenceParams & { countIncludePad: boolean },
  out?: Float32Array,
): { data: Float32Array; dims: number[] } {
  const ax = axes(inputDims.slice(2), p);
  const dims = outDims(inputDims, ax);
  const planes = inputDims[0] * inputDims[1];
  const [A, B, Cx] = ax;
  const inPlane = A.size * B.size * Cx.size;
  const outPlane = A.out * B.out * Cx.out;
  const data = out ?? new Float32Array(planes * outPlane);
  for (let pl = 0; pl < planes; pl++) {
    for (let oa = 0; oa < A.out; oa++) {
      const ta = taps(A, oa);
      for (let ob = 0; ob < B.out; ob++) {
        const tb = taps(B, ob);
        for (let oc = 0; oc < Cx.out; oc++) {
          const tc = taps(Cx, oc);
          let sum = 0;
          for (const ia of ta.inside) for (const ib of tb.inside) for (const ic of tc.inside) {
            sum += input[pl * inPlane + (ia * B.size + ib) * Cx.size + ic];
          }
          const count = p.countIncludePad
            ? ta.padded * tb.padded * tc.padded
            : ta.inside.length * tb.inside.length * tc.inside.length;
          data[pl * outPlane + (oa * B.out + ob) * Cx.out + oc] = sum / count;
        }
      }
    }
  }
  return { data, dims };
}

/** GlobalAveragePool / GlobalMaxPool: one value per (n, c) over all spatial dims. */
export function globalPoolReference(
  input: Float32Array,
  inputDims: readonly number[],
  kind: 'average' | 'max',
  out?: Float32Array,
): { data: Float32Array; dims: number[] } {
  const planes = inputDims[0] * inputDims[1];
  const size = inputDims.slice(2).reduce((a, b) => a * b, 1);
  const data = out ?? new Float32Array(planes);
  for (let pl = 0; pl < planes; pl++) {
    let acc = kind === 'max' ? -Infinity : 0;
    for (let i = 0; i < size; i++) {
      const v = input[pl * size + i];
      acc = kind === 'max' ? (v > acc ? v : acc) : acc + v; // NaN never wins the max
    }
    data[pl] = kind === 'max' ? acc : acc / size;
  }
  return { data, dims: [inputDims[0], inputDims[1], ...inputDims.slice(2).map(() => 1)] };
}
