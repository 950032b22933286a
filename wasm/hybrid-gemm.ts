// "Dynamic" (hybrid) int8 GEMM: C[M x N] (=|+=) act(dequant(quant(A) · W) + bias), float in and out.
//
// Weights: int8 in [-127, 127], symmetric per output column (scale per column), widened to int16
// at pack time. Activations: each row of A quantized at run time exactly like ONNX
// DynamicQuantizeLinear as onnxruntime computes it (uint8, range widened to include 0, scale =
// (max - min) / 255, or 1 when max == min; zero point = round_half_even(clamp(-min / scale, 0,
// 255)); q = clamp(round_half_even(x / scale) + zp, 0, 255)). The GEMM stores q - zp (in
// [-255, 255]) as int16, so i32x4.dot_i16x8_s sums exact products with no zero-point correction;
// |acc| <= K * 255 * 127 stays in int32 for K <= 66311 (kernels/hybrid-gemm.ts checks).
// Output: float(acc) * (rowScale * colScale) + bias (+ C), multiply and add kept separate (no
// FMA) so the reference twin reproduces every bit.
//
// Packed W (kernels/hybrid-gemm.ts writes it): panel p holds columns 8p..8p+7 as
//   [col scales: 8 floats][bias: 8 floats][k-pair 0: 16 int16][k-pair 1] ... ,
// a k-pair being (c0k0 c0k1 c1k0 c1k1 c2k0 c2k1 c3k0 c3k1)(c4k0 ... c7k1): one dot_i16x8_s of a
// broadcast (a[k0], a[k1]) pair gives 4 columns. K is padded to Kp (even) with zero weights.
import { applyAct, ACT_NONE } from './lib/activation';

const EDGE_TILE: usize = memory.data(4 * 8 * 4, 16);

// --- Row quantization (DynamicQuantizeLinear per row) -------------------------------------

let rowScale: f32 = 1;
let rowZero: i32 = 0;

/** Scale and zero point of x[0..n) into rowScale / rowZero (NaN anywhere: NaN scale, zero 0). */
function rowParams(x: usize, n: i32): void {
  let vmin = f32x4.splat(0), vmax = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    vmin = f32x4.min(vmin, v); vmax = f32x4.max(vmax, v);
  }
  let mn = min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
  let mx = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    mn = min(mn, v); mx = max(mx, v);
  }
  const scale: f32 = mx == mn ? 1 : (mx - mn) / 255;
  const zp = nearest<f32>(max<f32>(0, min<f32>(255, 0 - mn / scale)));
  rowScale = scale;
  rowZero = zp == zp ? <i32>zp : 0;
}

/** q - zp for 4 floats: clamp(x / scale, -zp, 255 - zp) (NaN -> -zp), rounded half to even. */
@inline
function quantize4(x: v128, vs: v128, lo: v128, hi: v128): v128 {
  const v = f32x4.pmin(f32x4.pmax(lo, f32x4.div(x, vs)), hi);
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(v));
}

/** Row x[0..n) -> n int16 (q - zp) at dst, then zeros up to `padded`. Needs rowParams first. */
function quantizeRowI16(x: usize, n: i32, dst: usize, padded: i32): void {
  const vs = f32x4.splat(rowScale);
  const lo = f32x4.splat(<f32>(-rowZero)), hi = f32x4.splat(<f32>(<i32>255 - rowZero));
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q0 = quantize4(v128.load(x + (<usize>i << 2)), vs, lo, hi);
    const q1 = quantize4(v128.load(x + (<usize>i << 2), 16), vs, lo, hi);
    v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_s(q0, q1));
  }
  for (; i < n; i++) {
    const q = quantize4(f32x4.splat(load<f32>(x + (<usize>i << 2))), vs, lo, hi);
    store<i16>(dst + (<usize>i << 1), <i16>i32x4.extract_lane(q, 0));
  }
  for (; i < padded; i++) store<i16>(dst + (<usize>i << 1), 0);
}

/**
 * ONNX DynamicQuantizeLinear on each of `rows` rows of `cols` floats (contiguous): uint8 q at
 * `q` (rows x cols bytes), one float scale per row at `scales`, one uint8 zero point per row at `zps`.
 */
export function hybrid_quantize_rows_u8(rows: i32, cols: i32, x: usize, q: usize, scales: usize, zps: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * (<usize>cols << 2);
    const qr = q + <usize>r * <usize>cols;
    rowParams(xr, cols);
    const vs = f32x4.splat(rowScale), vz = i32x4.splat(rowZero);
    const lo = f32x4.splat(<f32>(-rowZero)), hi = f32x4.splat(<f32>(<i32>255 - rowZero));
    let i = 0;
    for (; i + 8 <= cols; i += 8) {
      const q0 = i32x4.add(quantize4(v128.load(xr + (<usize>i << 2)), vs, lo, hi), vz);
      const q1 = i32x4.add(quantize4(v128.load(xr + (<usize>i << 2), 16), vs, lo, hi), vz);
      const h = i16x8.narrow_i32x4_s(q0, q1);
      v128.store_lane<i64>(qr + <usize>i, i8x16.narrow_i16x8_u(h, h), 0);
    }
    for (; i < cols; i++) {
      const v = i32x4.add(quantize4(f32x4.splat(load<f32>(xr + (<usize>i << 2))), vs, lo, hi), vz);
      store<u8>(qr + <usize>i, <u8>i32x4.extract_lane(v, 0));
    }
    store<f32>(scales + (<usize>r << 2), rowScale);
    store<u8>(zps + <usize>r, <u8>rowZero);
  }
}

// --- Microkernels over quantized rows (int16, row stride ldq bytes) -----------------------

/** float(acc) * (rowScale * colScale) + bias (+ C), then the activation. */
@inline
function epilogue(acc: v128, rs: v128, colScale: v128, bias: v128, c: usize, initFromC: bool, act: i32, p0: f32, p1: f32): v128 {
  let y = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc), f32x4.mul(rs, colScale)), bias);
  if (initFromC) y = f32x4.add(y, v128.load(c));
  return act != ACT_NONE ? applyAct(y, act, p0, p1) : y;
}

/** 4 quantized rows (at q, stride ldq; their scales at rs) times one panel; C stride ldc bytes. */
function tile4x8(q: usize, ldq: usize, rs: usize, panel: usize, kp: i32, c: usize, ldc: usize, initFromC: bool, act: i32, p0: f32, p1: f32): void {
  let x00 = i32x4.splat(0), x01 = x00, x10 = x00, x11 = x00, x20 = x00, x21 = x00, x30 = x00, x31 = x00;
  let a0 = q, a1 = q + ldq, a2 = a1 + ldq, a3 = a2 + ldq;
  let w = panel + 64;
  for (let k = kp; k > 0; k--) {
    const b0 = v128.load(w), b1 = v128.load(w, 16);
    let va = v128.load_splat<i32>(a0); x00 = i32x4.add(x00, i32x4.dot_i16x8_s(va, b0)); x01 = i32x4.add(x01, i32x4.dot_i16x8_s(va, b1));
    va = v128.load_splat<i32>(a1); x10 = i32x4.add(x10, i32x4.dot_i16x8_s(va, b0)); x11 = i32x4.add(x11, i32x4.dot_i16x8_s(va, b1));
    va = v128.load_splat<i32>(a2); x20 = i32x4.add(x20, i32x4.dot_i16x8_s(va, b0)); x21 = i32x4.add(x21, i32x4.dot_i16x8_s(va, b1));
    va = v128.load_splat<i32>(a3); x30 = i32x4.add(x30, i32x4.dot_i16x8_s(va, b0)); x31 = i32x4.add(x31, i32x4.dot_i16x8_s(va, b1));
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; w += 32;
  }
  const cs0 = v128.load(panel), cs1 = v128.load(panel, 16), bi0 = v128.load(panel, 32), bi1 = v128.load(panel, 48);
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let s = v128.load_splat<f32>(rs);
  v128.store(c, epilogue(x00, s, cs0, bi0, c, initFromC, act, p0, p1));
  v128.store(c, epilogue(x01, s, cs1, bi1, c + 16, initFromC, act, p0, p1), 16);
  s = v128.load_splat<f32>(rs, 4);
  v128.store(c1, epilogue(x10, s, cs0, bi0, c1, initFromC, act, p0, p1));
  v128.store(c1, epilogue(x11, s, cs1, bi1, c1 + 16, initFromC, act, p0, p1), 16);
  s = v128.load_splat<f32>(rs, 8);
  v128.store(c2, epilogue(x20, s, cs0, bi0, c2, initFromC, act, p0, p1));
  v128.store(c2, epilogue(x21, s, cs1, bi1, c2 + 16, initFromC, act, p0, p1), 16);
  s = v128.load_splat<f32>(rs, 12);
  v128.store(c3, epilogue(x30, s, cs0, bi0, c3, initFromC, act, p0, p1));
  v128.store(c3, epilogue(x31, s, cs1, bi1, c3 + 16, initFromC, act, p0, p1), 16);
}

/** One quantized row times `panels` (1 or 2) consecutive panels, pstride bytes apart. */
function row1xN(q: usize, rs: usize, panel: usize, pstride: usize, panels: i32, kp: i32, c: usize, initFromC: bool, act: i32, p0: f32, p1: f32): void {
  let x00 = i32x4.splat(0), x01 = x00, x10 = x00, x11 = x00;
  let w0 = panel + 64, w1 = panels > 1 ? w0 + pstride : w0;
  for (let k = kp; k > 0; k--) {
    const va = v128.load_splat<i32>(q);
    x00 = i32x4.add(x00, i32x4.dot_i16x8_s(va, v128.load(w0))); x01 = i32x4.add(x01, i32x4.dot_i16x8_s(va, v128.load(w0, 16)));
    x10 = i32x4.add(x10, i32x4.dot_i16x8_s(va, v128.load(w1))); x11 = i32x4.add(x11, i32x4.dot_i16x8_s(va, v128.load(w1, 16)));
    q += 4; w0 += 32; w1 += 32;
  }
  const s = v128.load_splat<f32>(rs);
  v128.store(c, epilogue(x00, s, v128.load(panel), v128.load(panel, 32), c, initFromC, act, p0, p1));
  v128.store(c, epilogue(x01, s, v128.load(panel, 16), v128.load(panel, 48), c + 16, initFromC, act, p0, p1), 16);
  if (panels > 1) {
    const p2 = panel + pstride;
    v128.store(c, epilogue(x10, s, v128.load(p2), v128.load(p2, 32), c + 32, initFromC, act, p0, p1), 32);
    v128.store(c, epilogue(x11, s, v128.load(p2, 16), v128.load(p2, 48), c + 48, initFromC, act, p0, p1), 48);
  }
}

function copyToEdge(c: usize, ldc: usize, rows: i32, cols: i32): void {
  for (let r: usize = 0; r < <usize>rows; r++) {
    for (let j: usize = 0; j < <usize>cols; j++) store<f32>(EDGE_TILE + ((r * 8 + j) << 2), load<f32>(c + r * ldc + (j << 2)));
  }
}

function copyFromEdge(c: usize, ldc: usize, rows: i32, cols: i32): void {
  for (let r: usize = 0; r < <usize>rows; r++) {
    for (let j: usize = 0; j < <usize>cols; j++) store<f32>(c + r * ldc + (j << 2), load<f32>(EDGE_TILE + ((r * 8 + j) << 2)));
  }
}

/** `rows` quantized rows times every panel. */
function rowsTimesPanels(rows: i32, q: usize, ldq: usize, rs: usize, w: usize, pstride: usize, N: i32, kp: i32, c: usize, ldc: usize, initFromC: bool, act: i32, p0: f32, p1: f32): void {
  const full = N >> 3, cols = N & 7;
  const R4 = rows & ~3;
  for (let p = 0; p < full; p++) {
    const panel = w + <usize>p * pstride, cp = c + (<usize>p << 5);
    for (let r = 0; r < R4; r += 4) tile4x8(q + <usize>r * ldq, ldq, rs + (<usize>r << 2), panel, kp, cp + <usize>r * ldc, ldc, initFromC, act, p0, p1);
  }
  for (let r = R4; r < rows; r++) {
    const qr = q + <usize>r * ldq, rr = rs + (<usize>r << 2), cr = c + <usize>r * ldc;
    let p = 0;
    for (; p + 2 <= full; p += 2) row1xN(qr, rr, w + <usize>p * pstride, pstride, 2, kp, cr + (<usize>p << 5), initFromC, act, p0, p1);
    if (p < full) row1xN(qr, rr, w + <usize>p * pstride, pstride, 1, kp, cr + (<usize>p << 5), initFromC, act, p0, p1);
  }
  if (cols != 0) {
    const panel = w + <usize>full * pstride, cp = c + (<usize>full << 5);
    for (let r = 0; r < R4; r += 4) {
      if (initFromC) copyToEdge(cp + <usize>r * ldc, ldc, 4, cols);
      tile4x8(q + <usize>r * ldq, ldq, rs + (<usize>r << 2), panel, kp, EDGE_TILE, 32, initFromC, act, p0, p1);
      copyFromEdge(cp + <usize>r * ldc, ldc, 4, cols);
    }
    for (let r = R4; r < rows; r++) {
      if (initFromC) copyToEdge(cp + <usize>r * ldc, 0, 1, cols);
      row1xN(q + <usize>r * ldq, rs + (<usize>r << 2), panel, pstride, 1, kp, EDGE_TILE, initFromC, act, p0, p1);
      copyFromEdge(cp + <usize>r * ldc, 0, 1, cols);
    }
  }
}

/**
 * Addresses are byte addresses; lda/ldc are row strides in floats. `scratch` holds mcBlock
 * quantized rows (ldq = round_up(Kp * 2, 16) bytes each) followed by mcBlock floats of row scales;
 * A is quantized and multiplied mcBlock rows at a time (mcBlock >= 1).
 */
export function hybrid_gemm(
  M: i32, K: i32, N: i32, a: usize, lda: i32, w: usize, c: usize, ldc: i32,
  accumulate: i32, act: i32, p0: f32, p1: f32, scratch: usize, mcBlock: i32,
): void {
  if (M <= 0 || N <= 0) return;
  const Kp = (K + 1) & ~1;
  const pstride: usize = 64 + (<usize>Kp << 4);
  const ldq: usize = ((<usize>Kp << 1) + 15) & ~15;
  const rs = scratch + <usize>mcBlock * ldq;
  for (let m0 = 0; m0 < M; m0 += mcBlock) {
    const mc = min(mcBlock, M - m0);
    for (let r = 0; r < mc; r++) {
      const ar = a + (<usize>(m0 + r) * <usize>lda << 2);
      rowParams(ar, K);
      quantizeRowI16(ar, K, scratch + <usize>r * ldq, Kp);
      store<f32>(rs + (<usize>r << 2), rowScale);
    }
    rowsTimesPanels(mc, scratch, ldq, rs, w, pstride, N, Kp >> 1, c + (<usize>m0 * <usize>ldc << 2), <usize>ldc << 2, accumulate != 0, act, p0, p1);
  }
}
