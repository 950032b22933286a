// IEEE binary16 ("half") <-> float32 at the bit level: the oracle of the WASM converters and
// the fp16 weight packing. Written with exact double arithmetic (every half and every float32
// is exactly a double), independent of the bit tricks the WASM code uses.
//
// NaN: half -> float keeps sign and payload (bits shifted into place); float -> half gives the
// quiet NaN 0x7e00 with the input's sign (payload dropped). So a signalling or payload-carrying
// half NaN does not round-trip bit-exactly: it comes back as 0x7e00 | sign.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round half to even on a non-negative double. */
function roundHalfEven(r: number): number {
  const f = Math.floor(r);
  const d = r - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Half bits -> float32 bits. */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  // Every finite half is m * 2^-24 (e = 0) or (1024 + m) * 2^(e - 25): exact in float32.
  f32[0] = e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
  return (sign | u32[0]) >>> 0;
}

/** Half bits -> number (NaN for every NaN half). */
export function halfToNumber(h: number): number {
  u32[0] = halfToFloatBits(h);
  return f32[0];
}

/** float32 bits -> half bits, round to nearest even, overflow to ±inf, NaN -> 0x7e00 | sign. */
export function floatBitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  u32[0] = bits & 0x7fffffff;
  const a = f32[0];
  if (Number.isNaN(a)) return sign | 0x7e00;
  if (a < 2 ** -14) {
    // Subnormal range: multiples of 2^-24; a result of 1024 is the smallest normal, 0x0400.
    return sign | roundHalfEven(a / 2 ** -24);
  }
  let e = Math.floor(Math.log2(a));
  // log2 of a double can be off by one next to powers of two: settle e so 2^e <= a < 2^(e+1).
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven(a / 2 ** (e - 10)); // in [1024, 2048]
  if (m === 2048) {
    m = 1024;
    e++;
  }
  if (e + 15 >= 31) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (m - 1024);
}

/** number -> half bits (the number is first rounded to float32, as a Float32Array store does). */
export function numberToHalf(x: number): number {
  f32[0] = x;
  return floatBitsToHalf(u32[0]);
}

/** dst[i] = float(src[i]) as float32 bits. */
export function halvesToFloatsRef(src: Uint16Array, dstBits: Uint32Array): void {
  for (let i = 0; i < src.length; i++) dstBits[i] = halfToFloatBits(src[i]);
}

/** dst[i] = half(src[i]) from float32 bits. */
export function floatsToHalvesRef(srcBits: Uint32Array, dst: Uint16Array): void {
  for (let i = 0; i < srcBits.length; i++) dst[i] = floatBitsToHalf(srcBits[i]);
}
