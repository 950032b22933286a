// GEMM with fp16 weights: C[M x N] (=|+=) A[M x K] · B[K x N] + bias, A and C float32, B stored
// as IEEE halves (half the bytes of the fp32 GEMM's panels) and widened to f32 on the fly.
//
// Packed B (kernels/f16-gemm.ts writes it): panel p holds columns 8p..8p+7 as
//   [bias: 8 floats][k=0: 8 halves][k=1: 8 halves] ... [k=K-1: 8 halves]
// so a panel is 32 + 16 K bytes, the last one zero-padded past N.
//
// M > 1 (or weights with inf/NaN): per K block and panel, the panel slice is widened exactly into
// a small f32 scratch (kc x 8 floats, L1-resident), then every row of A runs the fp32 4x8 / 1x8
// microkernels over it, so the widening is paid once per panel slice, not once per row strip.
// M = 1 with finite weights: GEMV kernels that widen in registers (lib/f16-gemm-rows.ts).
import { finiteHalvesHighToFloats, halvesHighToHigh32, halvesLowToHigh32, halvesToFloats } from './lib/f16-convert';
import { f16RowF32x8, f16TileF32x4x8 } from './lib/f16-gemm-tiles';
import { f16RowHalves1x16, f16RowHalves1x16Prescaled, f16RowHalves1x8, f16RowHalves1x8Prescaled } from './lib/f16-gemm-rows';
import { ACT_NONE } from './lib/activation';

/** Largest K slice widened at once: 512 x 8 floats = 16 KiB of scratch. */
const MAX_KC: i32 = 512;
const SCRATCH: usize = memory.data(MAX_KC * 32, 64);
const EDGE_TILE: usize = memory.data(4 * 8 * 4, 16);

/**
 * Panel slice of kc x 8 halves at `src` -> kc x 8 floats at SCRATCH. Finite weights take the
 * 4-op widening of the GEMV kernels; weights with inf/NaN the exact one (13 ops per 4).
 */
function widenSlice(src: usize, kc: i32, finite: bool): void {
  let dst = SCRATCH;
  if (finite) {
    for (let k = 0; k < kc; k++) {
      const h = v128.load(src);
      v128.store(dst, finiteHalvesHighToFloats(halvesLowToHigh32(h)));
      v128.store(dst, finiteHalvesHighToFloats(halvesHighToHigh32(h)), 16);
      src += 16; dst += 32;
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    const h = v128.load(src);
    v128.store(dst, halvesToFloats(i32x4.extend_low_i16x8_u(h)));
    v128.store(dst, halvesToFloats(i32x4.extend_high_i16x8_u(h)), 16);
    src += 16; dst += 32;
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

/** Rows [0, M) of A (byte stride lda) times one widened panel slice; `cols` valid columns. */
function rowsTimesScratch(
  M: i32, kc: i32, a: usize, lda: usize, c: usize, ldc: usize, cols: i32,
  bias: usize, initFromC: bool, act: i32, p0: f32, p1: f32,
): void {
  const M4 = M & ~3;
  for (let m = 0; m < M4; m += 4) {
    const am = a + <usize>m * lda, cm = c + <usize>m * ldc;
    if (cols == 8) {
      f16TileF32x4x8(am, lda, SCRATCH, kc, cm, ldc, bias, initFromC, act, p0, p1);
    } else {
      if (initFromC) copyToEdge(cm, ldc, 4, cols);
      f16TileF32x4x8(am, lda, SCRATCH, kc, EDGE_TILE, 32, bias, initFromC, act, p0, p1);
      copyFromEdge(cm, ldc, 4, cols);
    }
  }
  for (let m = M4; m < M; m++) {
    const am = a + <usize>m * lda, cm = c + <usize>m * ldc;
    if (cols == 8) {
      f16RowF32x8(am, SCRATCH, kc, cm, bias, initFromC, act, p0, p1);
    } else {
      if (initFromC) copyToEdge(cm, ldc, 1, cols);
      f16RowF32x8(am, SCRATCH, kc, EDGE_TILE, bias, initFromC, act, p0, p1);
      copyFromEdge(cm, ldc, 1, cols);
    }
  }
}

/** Whether every |a[k]| < 2^16 (NaN fails too), so a * 2^112 stays finite. */
function fitsPrescale(a: usize, K: i32): bool {
  const limit = f32x4.splat(65536);
  let ok = i32x4.splat(-1);
  let k = 0;
  for (; k + 4 <= K; k += 4) ok = v128.and(ok, f32x4.lt(f32x4.abs(v128.load(a + (<usize>k << 2))), limit));
  for (; k < K; k++) if (!(abs<f32>(load<f32>(a + (<usize>k << 2))) < 65536)) return false;
  return i32x4.all_true(ok);
}

/** One row of A times every panel, halves widened in registers. */
function gemvHalves(K: i32, N: i32, a: usize, w: usize, pstride: usize, c: usize, initFromC: bool, act: i32, p0: f32, p1: f32): void {
  const prescaled = fitsPrescale(a, K);
  const full = N >> 3;
  let p = 0;
  for (; p + 2 <= full; p += 2) {
    const wp = w + <usize>p * pstride;
    if (prescaled) f16RowHalves1x16Prescaled(a, wp + 32, pstride, K, c + (<usize>p << 5), wp, initFromC, act, p0, p1);
    else f16RowHalves1x16(a, wp + 32, pstride, K, c + (<usize>p << 5), wp, initFromC, act, p0, p1);
  }
  if (p < full) {
    const wp = w + <usize>p * pstride;
    if (prescaled) f16RowHalves1x8Prescaled(a, wp + 32, K, c + (<usize>p << 5), wp, initFromC, act, p0, p1);
    else f16RowHalves1x8(a, wp + 32, K, c + (<usize>p << 5), wp, initFromC, act, p0, p1);
    p++;
  }
  const cols = N & 7;
  if (cols != 0) {
    const wp = w + <usize>p * pstride;
    const cp = c + (<usize>p << 5);
    if (initFromC) copyToEdge(cp, 0, 1, cols);
    if (prescaled) f16RowHalves1x8Prescaled(a, wp + 32, K, EDGE_TILE, wp, initFromC, act, p0, p1);
    else f16RowHalves1x8(a, wp + 32, K, EDGE_TILE, wp, initFromC, act, p0, p1);
    copyFromEdge(cp, 0, 1, cols);
  }
}

/**
 * Addresses are byte addresses; lda/ldc are row strides in floats. accumulate != 0 adds the
 * product onto what C holds. finite != 0 promises that no weight half is inf/NaN (the GEMV
 * widening relies on it). kcBlock: K slice widened at once (<= 0 or > 512: 512); mcBlock: rows
 * of A per pass over the panels (<= 0: all).
 */
export function f16_gemm(
  M: i32, K: i32, N: i32, a: usize, lda: i32, w: usize, c: usize, ldc: i32,
  accumulate: i32, act: i32, p0: f32, p1: f32, finite: i32, kcBlock: i32, mcBlock: i32,
): void {
  if (M <= 0 || N <= 0) return;
  const pstride: usize = 32 + (<usize>K << 4);
  const ldaB: usize = <usize>lda << 2;
  const ldcB: usize = <usize>ldc << 2;
  if (M == 1 && finite != 0 && K > 0) {
    gemvHalves(K, N, a, w, pstride, c, accumulate != 0, act, p0, p1);
    return;
  }
  const kcB = kcBlock > 0 && kcBlock < MAX_KC ? kcBlock : MAX_KC;
  const mcB = mcBlock > 0 ? (mcBlock + 3) & ~3 : M;
  const panels = (N + 7) >> 3;
  let k0 = 0;
  do {
    const kc = min(kcB, K - k0);
    const first = k0 == 0;
    const initFromC = !first || accumulate != 0;
    const actNow = k0 + kc >= K ? act : ACT_NONE;
    for (let m0 = 0; m0 < M; m0 += mcB) {
      const mc = min(mcB, M - m0);
      for (let p = 0; p < panels; p++) {
        const wp = w + <usize>p * pstride;
        widenSlice(wp + 32 + (<usize>k0 << 4), kc, finite != 0);
        rowsTimesScratch(
          mc, kc, a + <usize>m0 * ldaB + (<usize>k0 << 2), ldaB, c + <usize>m0 * ldcB + (<usize>p << 5), ldcB,
          min(8, N - (p << 3)), first ? wp : 0, initFromC, actNow, p0, p1,
        );
      }
    }
    k0 += kc;
  } while (k0 < K);
}
