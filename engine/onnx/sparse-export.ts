// Compact storage of pruned and clustered weights, chosen per weight when a model is saved
// (saveModel(graph, { sparse, codebook })). Every form decodes to exactly the stored tensor:
//   dense          the TensorProto initializer;
//   sparse         an ONNX sparse_initializer: the nonzero values + their int64 linear indices
//                  (the ONNX checker requires int64 indices); standard ONNX, onnxruntime loads it;
//   codebook       ai.edgerun.CodebookDecode(codebook, indices): ≤ 256 distinct values per tensor
//                  (or per channel), each element a 2/4/8-bit index;
//   codebook+mask  CodebookDecode(codebook, indices, mask): one bit per element says "nonzero",
//                  indices only for the nonzero elements (pruned AND clustered weights);
//   codebook+huffman, codebook+rice-huffman
//                  CodebookDecode(codebook, stream) with coding = "rice-huffman": the indices
//                  Huffman-coded, and (+rice) the positions of the nonzeros as Rice-coded zero
//                  runs — Deep Compression's entropy-coding stage (engine/compress/entropy.ts).
// The smallest eligible form wins; a form is eligible only when it is smaller than dense (or,
// for sparse, when the zero fraction reaches a threshold the caller set). Values are compared
// by bit pattern, so −0, NaN payloads and every float survive the round trip exactly.
// See docs/compressed-format.md.
import { EdgeRunError } from '../errors.js';
import { Graph, Node, Value, type Attribute } from '../graph/ir.js';
import { CODEBOOK_DECODE } from '../ops/codebook-ops.js';
import { EDGERUN_DOMAIN } from '../ops/fused-activation.js';
import { DTYPE_ARRAY, DTYPE_BYTES, Tensor, type DType, type TypedData } from '../tensor.js';
import type { IndexBits } from '../compress/codebook.js';
import { encodeCodebook, keysOf, planCodebook, type CodebookPlan } from './codebook-forms.js';
import { onnx } from './proto.js';
import { tensorToProto } from './tensor-proto.js';

export interface CompactOptions {
  /**
   * Weights with many zeros as ONNX sparse initializers: true = whenever that is smaller than
   * dense; a number in [0, 1) = whenever the fraction of zeros reaches it.
   */
  sparse?: boolean | number;
  /** Weights with few distinct values as ai.edgerun.CodebookDecode (a file only edgerun reads; `edgerun decompress` makes it standard). */
  codebook?: boolean;
}

export type StorageForm = 'dense' | 'sparse' | 'codebook' | 'codebook+mask' | 'codebook+huffman' | 'codebook+rice-huffman';

export interface StoredWeight {
  name: string;
  dtype: DType;
  shape: number[];
  form: StorageForm;
  /** Bytes of the stored tensors (values, indices, codebook, mask). */
  bytes: number;
  /** Bytes as a dense initializer of its type. */
  denseBytes: number;
  zeros: number;
  /** Codebook forms: entries per codebook, index bits, per-channel axis (null per tensor). */
  entries?: number;
  bits?: IndexBits;
  axis?: number | null;
  /** The stored bytes, tensor by tensor (what a file compressor sees). */
  parts: Uint8Array[];
}

export interface CompactResult {
  graph: Graph;
  /** Constants to write as sparse_initializer. */
  sparse: Set<string>;
  weights: StoredWeight[];
}

const TYPES: readonly DType[] = ['float32', 'float16', 'int8', 'uint8'];
/** Tensors below this many elements stay dense: the node and names would outweigh the saving. */
const MIN_ELEMENTS = 64;
/** Weight inputs of layers, as engine/compress/size.ts counts them. */
const WEIGHT_SLOTS: Record<string, number[]> = {
  Conv: [1], FusedConv: [1], ConvTranspose: [1], Gemm: [1], FusedGemm: [1], MatMul: [1], LSTM: [1, 2], GRU: [1, 2], RNN: [1, 2],
  QLinearConv: [3], QLinearMatMul: [3], QConv: [3], QGemm: [3], ConvInteger: [1], MatMulInteger: [1],
};

export function checkCompactOptions(opts: CompactOptions): void {
  const s = opts.sparse;
  if (s !== undefined && typeof s !== 'boolean' && !(typeof s === 'number' && s >= 0 && s < 1)) {
    throw new EdgeRunError('InvalidArgument', `saveModel: sparse ${String(s)} must be true, false or a zero fraction in [0, 1)`);
  }
  if (opts.codebook !== undefined && typeof opts.codebook !== 'boolean') throw new EdgeRunError('InvalidArgument', `saveModel: codebook ${String(opts.codebook)} must be true or false`);
}

/** The weights of `graph` and the axes a per-channel codebook may run along. */
function weightConstants(graph: Graph): Map<Value, Set<number>> {
  const out = new Map<Value, Set<number>>();
  const add = (v: Value | null | undefined, axis: number | null) => {
    if (!v?.constant || !TYPES.includes(v.constant.type)) return;
    const axes = out.get(v) ?? new Set<number>();
    if (axis !== null && axis >= 0 && axis < v.constant.dims.length) axes.add(axis);
    out.set(v, axes);
  };
  for (const n of graph.nodes) {
    for (const i of WEIGHT_SLOTS[n.op] ?? []) {
      const w = n.inputs[i];
      const axis = outputAxis(n, w?.constant?.dims.length ?? w?.shape?.length ?? 0);
      if (w?.constant) add(w, axis);
      const dq = w?.producer;
      if (dq && dq.op === 'DequantizeLinear' && dq.domain === '') {
        const rank = dq.inputs[0]?.constant?.dims.length ?? 0;
        const perAxis = (dq.inputs[1]?.constant?.size ?? 1) > 1;
        add(dq.inputs[0], perAxis ? (dq.int('axis', 1) + rank) % Math.max(1, rank) : axis);
      }
    }
  }
  return out;
}

function outputAxis(n: Node, rank: number): number | null {
  if (n.op === 'Gemm' || n.op === 'FusedGemm' || n.op === 'QGemm') return n.int('transB', 0) ? 0 : 1;
  if (n.op === 'MatMul' || n.op === 'MatMulInteger' || n.op === 'QLinearMatMul') return rank >= 2 ? rank - 1 : null;
  if (n.op === 'ConvTranspose') return n.int('group', 1) === 1 ? 1 : null;
  if (n.op.includes('Conv')) return 0;
  return null;
}

/**
 * A clone of `graph` whose weights are stored in the smallest eligible form: codebook forms become
 * CodebookDecode nodes (the weight Value is their output, so readers are untouched); sparse ones
 * are listed for the writer. The input graph is not modified.
 */
export function compactGraph(graph: Graph, opts: CompactOptions): CompactResult {
  checkCompactOptions(opts);
  const g = graph.clone();
  const sparse = new Set<string>();
  const weights: StoredWeight[] = [];
  const threshold = typeof opts.sparse === 'number' ? opts.sparse : null;
  const names = new Set<string>([...g.values().keys(), ...g.nodes.map((n) => n.name)]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };
  const decoders: Node[] = [];
  for (const [v, axes] of weightConstants(g)) {
    if (g.outputs.includes(v)) continue;
    const t = v.constant!;
    const width = DTYPE_BYTES[t.type];
    const keys = keysOf(t);
    let zeros = 0;
    for (let i = 0; i < t.size; i++) if (keys[i] === 0) zeros++;
    const denseBytes = t.size * width;
    const record: StoredWeight = { name: v.name, dtype: t.type, shape: [...t.dims], form: 'dense', bytes: denseBytes, denseBytes, zeros, parts: [bytesOf(t)] };
    const sparseBytes = (t.size - zeros) * (width + 8);
    const small = t.size < MIN_ELEMENTS;
    const sparseOk = !small && opts.sparse !== undefined && opts.sparse !== false && (threshold === null ? sparseBytes < denseBytes : zeros / t.size >= threshold && zeros > 0);
    const plan = opts.codebook && !small ? planCodebook(t, keys, axes, zeros) : null;
    const planOk = plan !== null && plan.bytes < denseBytes;
    if (planOk && (!sparseOk || plan.bytes < sparseBytes)) {
      const { codebook, indices, mask } = encodeCodebook(t, plan);
      const constant = (suffix: string, x: Tensor) => {
        const c = new Value(fresh(`${v.name}_${suffix}`), x.type, [...x.dims]);
        c.constant = x;
        return c;
      };
      const inputs = [constant('codebook', codebook), constant('indices', new Tensor('uint8', indices, [indices.length]))];
      if (mask) inputs.push(constant('mask', new Tensor('uint8', mask, [mask.length])));
      const attrs = new Map<string, Attribute>([
        ['shape', { type: 'ints', value: [...t.dims] }],
        ['bits', { type: 'int', value: plan.bits }],
      ]);
      if (plan.axis !== null) attrs.set('axis', { type: 'int', value: plan.axis });
      if (plan.coding !== 'packed') attrs.set('coding', { type: 'string', value: plan.coding });
      const node = new Node(CODEBOOK_DECODE, fresh(`${v.name}_${CODEBOOK_DECODE}`), inputs, [v], attrs, EDGERUN_DOMAIN);
      v.constant = null;
      v.producer = node;
      v.dtype = t.type;
      v.shape = [...t.dims];
      decoders.push(node);
      const parts = inputs.map((c) => bytesOf(c.constant!));
      Object.assign(record, { form: formOf(plan), bytes: plan.bytes, entries: plan.entries, bits: plan.bits, axis: plan.axis, parts });
    } else if (sparseOk) {
      sparse.add(v.name);
      const p = sparseTensorProto(t, v.name);
      Object.assign(record, { form: 'sparse', bytes: sparseBytes, parts: [p.values!.rawData, p.indices!.rawData] });
    }
    weights.push(record);
  }
  g.nodes = [...decoders, ...g.nodes];
  if (decoders.length && !g.opsets.some((o) => o.domain === EDGERUN_DOMAIN)) g.opsets = [...g.opsets, { domain: EDGERUN_DOMAIN, version: 1 }];
  return { graph: g, sparse, weights };
}

function formOf(plan: CodebookPlan): StorageForm {
  if (plan.coding === 'rice-huffman') return plan.masked ? 'codebook+rice-huffman' : 'codebook+huffman';
  return plan.masked ? 'codebook+mask' : 'codebook';
}

function bytesOf(t: Tensor): Uint8Array {
  const d = t.data as TypedData;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** ONNX SparseTensorProto of a constant: nonzero values (named as the tensor) + int64 linear indices. */
export function sparseTensorProto(t: Tensor, name: string): onnx.SparseTensorProto {
  const keys = keysOf(t);
  const data = t.data as TypedData as Float32Array;
  const at: number[] = [];
  for (let i = 0; i < t.size; i++) if (keys[i] !== 0) at.push(i);
  const Ctor = DTYPE_ARRAY[t.type as 'float32'];
  const values = Ctor.from(at, (i) => data[i]) as TypedData;
  const indices = BigInt64Array.from(at, (i) => BigInt(i));
  return onnx.SparseTensorProto.create({
    values: tensorToProto(new Tensor(t.type, values, [at.length]), name),
    indices: tensorToProto(new Tensor('int64', indices, [at.length]), `${name}_indices`),
    dims: [...t.dims],
  });
}
