// One arena per runtime: all tensors the kernels touch live in it. For a WASM build the arena
// is the module's linear memory; for the reference (pure TypeScript) runtime it is a plain
// ArrayBuffer, so both kinds of runtime take the same pointer-based calls.
//
// Views are never cached across a grow: WebAssembly.Memory.grow detaches the old ArrayBuffer,
// so every view is made from `arena.buffer` at the moment of use (ArenaTensor.data does that,
// keyed by `arena.generation`).
import { EdgeRunError } from '../engine/errors.js';

const PAGE = 65536;
/** wasm32 addresses 4 GiB; V8 caps a memory at 65536 pages. */
export const MAX_ARENA_BYTES = 65536 * PAGE;
/** Kernels may read (never write) up to one vector past a buffer's end; every block is padded. */
const TAIL_PAD = 16;

interface Backing {
  readonly buffer: ArrayBuffer;
  /** Make at least `bytes` bytes addressable. */
  ensure(bytes: number): void;
}

class WasmBacking implements Backing {
  constructor(private readonly memory: WebAssembly.Memory) {}
  get buffer(): ArrayBuffer {
    return this.memory.buffer as ArrayBuffer;
  }
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    // Grow geometrically so a run of small allocations does not grow (and detach) every time.
    const want = Math.min(MAX_ARENA_BYTES, Math.max(bytes, Math.floor(have * 1.5)));
    this.memory.grow(Math.ceil((want - have) / PAGE));
  }
}

class HostBacking implements Backing {
  buffer: ArrayBuffer;
  constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }
  ensure(bytes: number): void {
    const have = this.buffer.byteLength;
    if (bytes <= have) return;
    const next = new ArrayBuffer(Math.min(MAX_ARENA_BYTES, Math.max(bytes, Math.floor(have * 1.5))));
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
  }
}

interface FreeBlock {
  ptr: number;
  bytes: number;
}

export class Arena {
  private readonly backing: Backing;
  /** Lowest usable address (after the module's static data). */
  readonly base: number;
  /** End of the highest block ever handed out. */
  private top: number;
  /** Free blocks below `top`, sorted by address, never adjacent (coalesced). */
  private readonly freeList: FreeBlock[] = [];
  private readonly live = new Map<number, number>();
  private lastBuffer: ArrayBuffer;
  private gen = 0;

  private constructor(backing: Backing, base: number) {
    this.backing = backing;
    this.base = alignUp(base, 64);
    this.top = this.base;
    this.lastBuffer = backing.buffer;
  }

  static overWasmMemory(memory: WebAssembly.Memory, base: number): Arena {
    return new Arena(new WasmBacking(memory), base);
  }

  static overHostMemory(initialBytes = 1 << 20): Arena {
    return new Arena(new HostBacking(initialBytes), 64);
  }

  /** The current backing buffer. Re-read it after any allocation: it may have been replaced. */
  get buffer(): ArrayBuffer {
    return this.backing.buffer;
  }

  /** Increments whenever the backing buffer is replaced, i.e. whenever old views went stale. */
  get generation(): number {
    const b = this.backing.buffer;
    if (b !== this.lastBuffer) {
      this.lastBuffer = b;
      this.gen++;
    }
    return this.gen;
  }

  /** Bytes between base and the highest block handed out (what the arena occupies). */
  get highWater(): number {
    return this.top - this.base;
  }

  get liveBytes(): number {
    let n = 0;
    for (const b of this.live.values()) n += b;
    return n;
  }

  /** Allocate `bytes` (64-byte aligned, padded for vector over-reads). Returns the address. */
  alloc(bytes: number, what = 'buffer'): number {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new EdgeRunError('InvalidArgument', `cannot allocate ${bytes} bytes for ${what}`);
    }
    const size = alignUp(bytes + TAIL_PAD, 64);
    for (let i = 0; i < this.freeList.length; i++) {
      const f = this.freeList[i];
      if (f.bytes < size) continue;
      const ptr = f.ptr;
      if (f.bytes === size) this.freeList.splice(i, 1);
      else {
        f.ptr += size;
        f.bytes -= size;
      }
      this.live.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > MAX_ARENA_BYTES) {
      throw new EdgeRunError(
        'OutOfMemory',
        `${what} needs ${formatBytes(bytes)} but the arena can address only ${formatBytes(MAX_ARENA_BYTES - ptr)} more (4 GiB WebAssembly limit)`,
      );
    }
    try {
      this.backing.ensure(end);
    } catch (e) {
      if (e instanceof EdgeRunError) throw e;
      throw new EdgeRunError('OutOfMemory', `growing memory to ${formatBytes(end)} for ${what} failed: ${(e as Error).message}`);
    }
    this.top = end;
    this.live.set(ptr, size);
    return ptr;
  }

  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new EdgeRunError('InvalidArgument', `free of address ${ptr} that is not allocated`);
    this.live.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // The block below may be free too: pull `top` down over it.
      const last = this.freeList[this.freeList.length - 1];
      if (last && last.ptr + last.bytes === this.top) {
        this.top = last.ptr;
        this.freeList.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.freeList.length && this.freeList[i].ptr < ptr) i++;
    const prev = this.freeList[i - 1];
    const next = this.freeList[i];
    if (prev && prev.ptr + prev.bytes === ptr) {
      prev.bytes += size;
      if (next && prev.ptr + prev.bytes === next.ptr) {
        prev.bytes += next.bytes;
        this.freeList.splice(i, 1);
      }
    } else if (next && ptr + size === next.ptr) {
      next.ptr = ptr;
      next.bytes += size;
    } else {
      this.freeList.splice(i, 0, { ptr, bytes: size });
    }
  }

  /** Throws unless [ptr, ptr + bytes) lies inside one live allocation. */
  check(ptr: number, bytes: number, what: string): void {
    if (!Number.isInteger(ptr) || ptr < this.base) {
      throw new EdgeRunError('InvalidArgument', `${what}: address ${ptr} is not inside the arena`);
    }
    if (ptr + bytes > this.top) {
      throw new EdgeRunError('InvalidArgument', `${what}: ${bytes} bytes at ${ptr} run past the end of the arena`);
    }
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.backing.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.backing.buffer, ptr, length);
  }
  u16(ptr: number, length: number): Uint16Array {
    return new Uint16Array(this.backing.buffer, ptr, length);
  }
  i16(ptr: number, length: number): Int16Array {
    return new Int16Array(this.backing.buffer, ptr, length);
  }
  i8(ptr: number, length: number): Int8Array {
    return new Int8Array(this.backing.buffer, ptr, length);
  }
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.backing.buffer, ptr, length);
  }
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
