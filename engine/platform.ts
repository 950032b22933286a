// The only place that touches Node-specific APIs. Everything else in the library runs in a
// browser as is; bundlers mark the `node:` imports below as external and never reach them.
import { EdgeRunError } from './errors.js';

export const isNode: boolean =
  typeof process !== 'undefined' && typeof process.versions === 'object' && !!process.versions.node;

/**
 * Node 20 (V8 11.3) ships relaxed SIMD behind --experimental-wasm-relaxed-simd. V8 accepts the
 * flag at run time, before the first module using it is compiled. Returns whether relaxed SIMD
 * validates afterwards. A no-op in browsers and newer Node, where it is on by default.
 */
export async function enableRelaxedSimdInNode(): Promise<boolean> {
  if (isNode) {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  return relaxedSimdSupported();
}


export function relaxedSimdSupported(): boolean {
  return validates(relaxedProbe());
}

export function simdSupported(): boolean {
  // (func (result v128) v128.const 0)
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
    0x03, 0x02, 0x01, 0x00,
    0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array(16).fill(0), 0x0b,
  ]);
  return validates(bytes);
}

function relaxedProbe(): Uint8Array {
  // (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))
  const konst = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0x00, ...konst, ...konst, ...konst, 0xfd, 0x85, 0x02, 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
    0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
}

function validates(bytes: Uint8Array): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
}

export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function readFileBytes(path: string): Promise<Uint8Array> {
  if (!isNode) throw new EdgeRunError('UnsupportedFeature', `cannot read '${path}': reading files needs Node.js; pass the bytes in a browser`);
  const fs = await import('node:fs/promises');
  return new Uint8Array(await fs.readFile(path));
}

export async function writeFileBytes(path: string, bytes: Uint8Array | string): Promise<void> {
  if (!isNode) throw new EdgeRunError('UnsupportedFeature', `cannot write '${path}': writing files needs Node.js`);
  const fs = await import('node:fs/promises');
  await fs.writeFile(path, bytes);
}

/** Whether stderr is an interactive terminal (progress bars show only there). */
export function stderrIsTTY(): boolean {
  return isNode && !!process.stderr.isTTY;
}

/** Writes to stderr (progress bars); a no-op outside Node. */
export function writeStderr(text: string): void {
  if (isNode) process.stderr.write(text);
}

/** Size of `bytes` gzip-compressed at the default level (Node only: node:zlib). */
export async function gzipSize(bytes: Uint8Array): Promise<number> {
  if (!isNode) throw new EdgeRunError('UnsupportedFeature', 'gzipSize needs Node.js (node:zlib)');
  const zlib = await import('node:zlib');
  return zlib.gzipSync(bytes).length;
}
