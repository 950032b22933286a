// Memory planning as TensorFlow Lite Micro's GreedyMemoryPlanner does it: every intermediate
// tensor gets an offset in one arena block, decided ahead of the run from tensor lifetimes.
// Buffers are placed largest first, each at the lowest offset where it overlaps no
// already-placed buffer that is alive at the same time.

export interface BufferRequest {
  id: number;
  bytes: number;
  /** First schedule step that writes it (-1: before the first step, e.g. a feed). */
  first: number;
  /** Last schedule step that reads it (inclusive). */
  last: number;
  /** For printing. */
  name?: string;
}

export interface MemoryPlan {
  /** Offset of each request by id (bytes, aligned). */
  offsets: Map<number, number>;
  /** Bytes the block needs: the highest offset + size. */
  peak: number;
  /** No plan can use less: the largest sum of sizes alive at one step. */
  lowerBound: number;
  /** The step where the lower bound occurs. */
  busiestStep: number;
}

const ALIGN = 64;

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function overlaps(a: BufferRequest, b: BufferRequest): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function planMemory(requests: readonly BufferRequest[]): MemoryPlan {
  const sorted = [...requests].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.id - b.id);
  const placed: { req: BufferRequest; offset: number; size: number }[] = [];
  const offsets = new Map<number, number>();
  let peak = 0;
  for (const req of sorted) {
    const size = align(req.bytes);
    const conflicts = placed.filter((p) => overlaps(p.req, req)).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (c.offset - offset >= size) break;
      offset = Math.max(offset, c.offset + c.size);
    }
    placed.push({ req, offset, size });
    offsets.set(req.id, offset);
    peak = Math.max(peak, offset + size);
  }
  const { bytes: lowerBound, step: busiestStep } = liveBytesPeak(requests);
  return { offsets, peak, lowerBound, busiestStep };
}

function liveBytesPeak(requests: readonly BufferRequest[]): { bytes: number; step: number } {
  if (requests.length === 0) return { bytes: 0, step: -1 };
  // Sweep over step boundaries: +size at first, -size after last.
  const events = new Map<number, number>();
  for (const r of requests) {
    const s = align(r.bytes);
    events.set(r.first, (events.get(r.first) ?? 0) + s);
    events.set(r.last + 1, (events.get(r.last + 1) ?? 0) - s);
  }
  let live = 0;
  let best = 0;
  let step = -1;
  for (const t of [...events.keys()].sort((a, b) => a - b)) {
    live += events.get(t)!;
    if (live > best) {
      best = live;
      step = t;
    }
  }
  return { bytes: best, step };
}

/** A readable table of the plan (TFLM prints its plan the same way). */
export function formatMemoryPlan(requests: readonly BufferRequest[], plan: MemoryPlan, steps: number): string {
  const lines = [`memory plan: peak ${plan.peak} B, lower bound ${plan.lowerBound} B (${(plan.peak / Math.max(1, plan.lowerBound)).toFixed(3)}×)`];
  const width = 60;
  const scale = width / Math.max(1, steps + 1);
  for (const r of [...requests].sort((a, b) => plan.offsets.get(a.id)! - plan.offsets.get(b.id)!)) {
    const from = Math.floor((r.first + 1) * scale);
    const to = Math.max(from + 1, Math.ceil((r.last + 2) * scale));
    const bar = ' '.repeat(from) + '█'.repeat(to - from);
    lines.push(`${String(plan.offsets.get(r.id)).padStart(10)} ${String(r.bytes).padStart(10)}  ${bar.padEnd(width)}  ${r.name ?? r.id}`);
  }
  return lines.join('\n');
}
