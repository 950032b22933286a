// Computes one node on constant inputs with the CPU kernels: how constant folding (at load and
// at plan time) gets its numbers, with the same code that runs the node at run time.
import type { Tensor } from '../../tensor.js';
import type { Node } from '../../graph/ir.js';
import type { NodeEvaluator } from '../../graph/infer.js';
import { getOpDef, paramsOf, type OpContext } from '../../ops/registry.js';
import type { Runtime } from '../../../kernels/runtime.js';
import { getCpuKernel, type CpuTensor } from './kernel-def.js';
import { bytesOf, readTensor, viewOf, writeTensor } from './arena-tensors.js';
import { isKnown } from '../../ops/dims.js';

export function cpuEvaluator(rt: Runtime): NodeEvaluator {
  return (node: Node, inputs: (Tensor | null)[], op: OpContext) => evaluateNode(rt, node, inputs, op);
}

export function evaluateNode(rt: Runtime, node: Node, inputs: (Tensor | null)[], op: OpContext): Tensor[] {
  const def = getOpDef(node.op, node.domain);
  const kernel = getCpuKernel(node.op, node.domain);
  if (!def || !kernel) throw op.error('UnsupportedOperator', 'no CPU kernel to evaluate it');
  const params = paramsOf(def, op);
  const infos = def.infer(
    op,
    inputs.map((t) => (t ? { dtype: t.type, shape: [...t.dims], value: t } : null)),
    params,
  );
  const arena = rt.arena;
  const blocks: number[] = [];
  const kept: { value: unknown; free?: (v: unknown) => void }[] = [];
  const place = (bytes: number) => {
    const p = arena.alloc(bytes, `folding ${node.label}`);
    blocks.push(p);
    return p;
  };
  try {
    const inTensors: (CpuTensor | null)[] = inputs.map((t) => {
      if (!t) return null;
      const ptr = place(bytesOf(t.type, t.dims));
      writeTensor(arena, t, ptr);
      return { dtype: t.type, dims: t.dims, size: t.size, ptr, value: t };
    });
    const aliases = new Map((kernel.aliases?.(params) ?? []).map(([o, i]) => [o, i] as const));
    const outTensors: CpuTensor[] = infos.map((info, k) => {
      if (!isKnown(info.shape)) throw op.error('Internal', `output ${k} shape unknown while folding`);
      const dims = info.shape;
      const src = aliases.get(k);
      const size = dims.reduce((a, b) => a * b, 1);
      const ptr = src !== undefined ? inTensors[src]!.ptr : place(bytesOf(info.dtype, dims));
      return { dtype: info.dtype, dims, size, ptr, value: null };
    });
    if (aliases.size < outTensors.length) {
      const run = kernel.prepare({
        rt,
        node,
        params,
        op,
        inputs: inTensors,
        outputs: outTensors,
        keep: (_k, make, free) => {
          const value = make();
          kept.push({ value, free: free as (v: unknown) => void });
          return value;
        },
        view: (t) => viewOf(arena, t.dtype, t.ptr, t.size),
        error: (code, msg) => op.error(code, msg),
      });
      run();
    }
    return outTensors.map((t) => readTensor(arena, t.dtype, t.dims, t.ptr));
  } finally {
    for (const k of kept) k.free?.(k.value);
    for (const p of blocks) arena.free(p);
  }
}
