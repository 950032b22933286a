// The recurrent GEMV of the LSTM/GRU/RNN steps (wasm/rnn.ts): out = init + x·W at batch 1.
import { madd } from './vmath';

// The recurrent weights use a k-major variant of the panel layout: consecutive panels are
// grouped 8 at a time (then 4, 2, 1 for the remainder) and each group stores, per k, the 8·width
// weights of all its panels side by side: `[bias × 8w][k0: 8w][k1: 8w]...`. One stream per group
// and immediate load offsets; 8 panels give 16 independent accumulator chains. Measured at batch
// 1 (K 256, N 1024): ~1.3x the GEMM's 4-panel 1-row kernel over the plain panel layout, which
// keeps only 8 chains in flight (FMA latency 4 × 2 per cycle needs 8, with no slack).
//
// Baseline build (madd = mul + add, no FMA; 16 accumulators + x + a load temp may spill): measured
// 2026-11-25 at K 256, N 1024, against the relaxed build in the same process, this kernel is only
// 0-4% slower than with FMA: it is bound by streaming the weights in (~41-46 GB/s alike at 128
// KiB, L2-resident, and at the LSTM's 1 MiB), not by the adds or by spills. Alternatives for
// baseline were slower: two 8-chain passes over each group (half of every k row, stride 256 B)
// 1.35-1.43x the relaxed time; groups of 4 panels (8 chains, contiguous) 1.46-1.72x; this loop
// unrolled over k by 2 (both builds) ~1.4x its own time. The baseline LSTM's remaining gap to
// relaxed is the input projection (shared f32 GEMM, M = T·B rows), not this kernel.

@inline
function group8(K: i32, x: usize, q: usize, src: usize, dst: usize): void {
  let a0 = v128.load(src), a1 = v128.load(src, 16), a2 = v128.load(src, 32), a3 = v128.load(src, 48);
  let a4 = v128.load(src, 64), a5 = v128.load(src, 80), a6 = v128.load(src, 96), a7 = v128.load(src, 112);
  let b0 = v128.load(src, 128), b1 = v128.load(src, 144), b2 = v128.load(src, 160), b3 = v128.load(src, 176);
  let b4 = v128.load(src, 192), b5 = v128.load(src, 208), b6 = v128.load(src, 224), b7 = v128.load(src, 240);
  const xe = x + (<usize>K << 2);
  for (let xp = x; xp < xe; xp += 4) {
    const xv = v128.load_splat<f32>(xp);
    a0 = madd(xv, v128.load(q), a0); a1 = madd(xv, v128.load(q, 16), a1);
    a2 = madd(xv, v128.load(q, 32), a2); a3 = madd(xv, v128.load(q, 48), a3);
    a4 = madd(xv, v128.load(q, 64), a4); a5 = madd(xv, v128.load(q, 80), a5);
    a6 = madd(xv, v128.load(q, 96), a6); a7 = madd(xv, v128.load(q, 112), a7);
    b0 = madd(xv, v128.load(q, 128), b0); b1 = madd(xv, v128.load(q, 144), b1);
    b2 = madd(xv, v128.load(q, 160), b2); b3 = madd(xv, v128.load(q, 176), b3);
    b4 = madd(xv, v128.load(q, 192), b4); b5 = madd(xv, v128.load(q, 208), b5);
    b6 = madd(xv, v128.load(q, 224), b6); b7 = madd(xv, v128.load(q, 240), b7);
    q += 256;
  }
  v128.store(dst, a0); v128.store(dst, a1, 16); v128.store(dst, a2, 32); v128.store(dst, a3, 48);
  v128.store(dst, a4, 64); v128.store(dst, a5, 80); v128.store(dst, a6, 96); v128.store(dst, a7, 112);
  v128.store(dst, b0, 128); v128.store(dst, b1, 144); v128.store(dst, b2, 160); v128.store(dst, b3, 176);
  v128.store(dst, b4, 192); v128.store(dst, b5, 208); v128.store(dst, b6, 224); v128.store(dst, b7, 240);
}

// Narrower groups split k into even/odd (and, for one panel, four) chains to keep 8 in flight.
@inline
function group4(K: i32, x: usize, q: usize, src: usize, dst: usize): void {
  let a0 = v128.load(src), a1 = v128.load(src, 16), a2 = v128.load(src, 32), a3 = v128.load(src, 48);
  let a4 = v128.load(src, 64), a5 = v128.load(src, 80), a6 = v128.load(src, 96), a7 = v128.load(src, 112);
  let b0 = f32x4.splat(0), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
  let k = 0;
  for (; k + 2 <= K; k += 2) {
    const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
    const x1 = v128.load_splat<f32>(x + (<usize>k << 2), 4);
    a0 = madd(x0, v128.load(q), a0); a1 = madd(x0, v128.load(q, 16), a1);
    a2 = madd(x0, v128.load(q, 32), a2); a3 = madd(x0, v128.load(q, 48), a3);
    a4 = madd(x0, v128.load(q, 64), a4); a5 = madd(x0, v128.load(q, 80), a5);
    a6 = madd(x0, v128.load(q, 96), a6); a7 = madd(x0, v128.load(q, 112), a7);
    b0 = madd(x1, v128.load(q, 128), b0); b1 = madd(x1, v128.load(q, 144), b1);
    b2 = madd(x1, v128.load(q, 160), b2); b3 = madd(x1, v128.load(q, 176), b3);
    b4 = madd(x1, v128.load(q, 192), b4); b5 = madd(x1, v128.load(q, 208), b5);
    b6 = madd(x1, v128.load(q, 224), b6); b7 = madd(x1, v128.load(q, 240), b7);
    q += 256;
  }
  if (k < K) {
    const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
    a0 = madd(x0, v128.load(q), a0); a1 = madd(x0, v128.load(q, 16), a1);
    a2 = madd(x0, v128.load(q, 32), a2); a3 = madd(x0, v128.load(q, 48), a3);
    a4 = madd(x0, v128.load(q, 64), a4); a5 = madd(x0, v128.load(q, 80), a5);
    a6 = madd(x0, v128.load(q, 96), a6); a7 = madd(x0, v128.load(q, 112), a7);
  }
  v128.store(dst, f32x4.add(a0, b0)); v128.store(dst, f32x4.add(a1, b1), 16);
  v128.store(dst, f32x4.add(a2, b2), 32); v128.store(dst, f32x4.add(a3, b3), 48);
  v128.store(dst, f32x4.add(a4, b4), 64); v128.store(dst, f32x4.add(a5, b5), 80);
  v128.store(dst, f32x4.add(a6, b6), 96); v128.store(dst, f32x4.add(a7, b7), 112);
}

@inline
function group2(K: i32, x: usize, q: usize, src: usize, dst: usize): void {
  let a0 = v128.load(src), a1 = v128.load(src, 16), a2 = v128.load(src, 32), a3 = v128.load(src, 48);
  let b0 = f32x4.splat(0), b1 = b0, b2 = b0, b3 = b0;
  let k = 0;
  for (; k + 2 <= K; k += 2) {
    const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
    const x1 = v128.load_splat<f32>(x + (<usize>k << 2), 4);
    a0 = madd(x0, v128.load(q), a0); a1 = madd(x0, v128.load(q, 16), a1);
    a2 = madd(x0, v128.load(q, 32), a2); a3 = madd(x0, v128.load(q, 48), a3);
    b0 = madd(x1, v128.load(q, 64), b0); b1 = madd(x1, v128.load(q, 80), b1);
    b2 = madd(x1, v128.load(q, 96), b2); b3 = madd(x1, v128.load(q, 112), b3);
    q += 128;
  }
  if (k < K) {
    const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
    a0 = madd(x0, v128.load(q), a0); a1 = madd(x0, v128.load(q, 16), a1);
    a2 = madd(x0, v128.load(q, 32), a2); a3 = madd(x0, v128.load(q, 48), a3);
  }
  v128.store(dst, f32x4.add(a0, b0)); v128.store(dst, f32x4.add(a1, b1), 16);
  v128.store(dst, f32x4.add(a2, b2), 32); v128.store(dst, f32x4.add(a3, b3), 48);
}

@inline
function group1(K: i32, x: usize, q: usize, src: usize, dst: usize): void {
  let a0 = v128.load(src), a1 = v128.load(src, 16);
  let b0 = f32x4.splat(0), b1 = b0, c0 = b0, c1 = b0, d0 = b0, d1 = b0;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const xk = x + (<usize>k << 2);
    const x0 = v128.load_splat<f32>(xk), x1 = v128.load_splat<f32>(xk, 4);
    const x2 = v128.load_splat<f32>(xk, 8), x3 = v128.load_splat<f32>(xk, 12);
    a0 = madd(x0, v128.load(q), a0); a1 = madd(x0, v128.load(q, 16), a1);
    b0 = madd(x1, v128.load(q, 32), b0); b1 = madd(x1, v128.load(q, 48), b1);
    c0 = madd(x2, v128.load(q, 64), c0); c1 = madd(x2, v128.load(q, 80), c1);
    d0 = madd(x3, v128.load(q, 96), d0); d1 = madd(x3, v128.load(q, 112), d1);
    q += 128;
  }
  for (; k < K; k++) {
    const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
    a0 = madd(x0, v128.load(q), a0); a1 = madd(x0, v128.load(q, 16), a1);
    q += 32;
  }
  v128.store(dst, f32x4.add(f32x4.add(a0, b0), f32x4.add(c0, d0)));
  v128.store(dst, f32x4.add(f32x4.add(a1, b1), f32x4.add(c1, d1)), 16);
}

/** Width (in panels) of the group starting at panel p of nPanels: 8, then 4, 2, 1 for the rest. */
@inline
function groupWidth(left: i32): i32 {
  return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

/**
 * out[0 .. 8·nPanels) = (init ? init : packed bias) + x[0..K)·W, W in the grouped layout above.
 * `init` may equal `out`.
 */
export function recurrentGemv(K: i32, x: usize, w: usize, nPanels: i32, init: usize, out: usize): void {
  let p = 0;
  let q = w;
  while (p < nPanels) {
    const gw = groupWidth(nPanels - p);
    const src = init ? init + (<usize>p << 5) : q;
    const dst = out + (<usize>p << 5);
    const body = q + (<usize>gw << 5);
    if (gw == 8) group8(K, x, body, src, dst);
    else if (gw == 4) group4(K, x, body, src, dst);
    else if (gw == 2) group2(K, x, body, src, dst);
    else group1(K, x, body, src, dst);
    q += (<usize>K + 1) * (<usize>gw << 5);
    p += gw;
  }
}
