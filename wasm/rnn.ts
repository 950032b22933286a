// Recurrent cells (LSTM, GRU, RNN): the per-step recurrent GEMV over packed weights and the fused
// gate math. The input projection of all time steps is one GEMM done beforehand; each step here
// reads its precomputed gate row, adds Ht-1·Rᵀ, applies the activations and writes the new state.
//
// Weights are packed in panels of 8 output columns, `[bias×8][k0: 8][k1: 8]...[kK-1: 8]` (the
// GEMM's layout), with the hidden units padded to blocks of 8 and the gates of a block
// interleaved, so that one block of 8 units owns consecutive panels: LSTM [i o f c], GRU
// [z r h], RNN [h]. The gate kernels walk the same blocks.
import { madd, vexp, vsigmoid, vtanh } from './lib/vmath';

// Activation codes: keep in the order of RNN_ACT_CODES in kernels/rnn-common.ts.
const SIGMOID: i32 = 0;
const TANH: i32 = 1;
const RELU: i32 = 2;
const AFFINE: i32 = 3;
const LEAKY_RELU: i32 = 4;
const THRESHOLDED_RELU: i32 = 5;
const SCALED_TANH: i32 = 6;
const HARD_SIGMOID: i32 = 7;
const ELU: i32 = 8;
const SOFTSIGN: i32 = 9;
const SOFTPLUS: i32 = 10;

// log(1 + u) for u in [0, 1] via 2·atanh(s), s = u / (2 + u) ≤ 1/3: the odd series to s¹¹ is
// accurate to ~1e-7 there, and s is formed from u directly, so tiny u keeps its precision.
@inline
function vlog1pUnit(u: v128): v128 {
  const s = f32x4.div(u, f32x4.add(f32x4.splat(2), u));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(<f32>(1.0 / 11.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 9.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 7.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 5.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 3.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1));
  return f32x4.mul(f32x4.add(s, s), p);
}

// The branch chain runs once per vector of 4 units; `code` is the same for the whole call, so
// the branches predict perfectly, and the step's GEMV costs ~K times more than this anyway.
@inline
function act(x: v128, code: i32, alpha: f32, beta: f32): v128 {
  const zero = f32x4.splat(0);
  if (code == SIGMOID) return vsigmoid(x);
  if (code == TANH) return vtanh(x);
  if (code == RELU) return f32x4.pmax(zero, x);
  if (code == AFFINE) return f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta));
  if (code == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.ge(x, zero));
  if (code == THRESHOLDED_RELU) return v128.and(x, f32x4.gt(x, f32x4.splat(alpha)));
  if (code == SCALED_TANH) return f32x4.mul(f32x4.splat(alpha), vtanh(f32x4.mul(x, f32x4.splat(beta))));
  if (code == HARD_SIGMOID) {
    const y = f32x4.add(f32x4.mul(x, f32x4.splat(alpha)), f32x4.splat(beta));
    return f32x4.pmin(f32x4.splat(1), f32x4.pmax(zero, y));
  }
  if (code == ELU) {
    const e = f32x4.mul(f32x4.splat(alpha), f32x4.sub(vexp(x), f32x4.splat(1)));
    return v128.bitselect(x, e, f32x4.ge(x, zero));
  }
  if (code == SOFTSIGN) return f32x4.div(x, f32x4.add(f32x4.splat(1), f32x4.abs(x)));
  // softplus(x) = max(x, 0) + log(1 + e^-|x|): no overflow for large |x|.
  return f32x4.add(f32x4.pmax(zero, x), vlog1pUnit(vexp(f32x4.neg(f32x4.abs(x)))));
}

// Activation table: per activation {i32 code, f32 alpha, f32 beta}, 12 bytes each.
@inline
function actAt(x: v128, table: usize, n: i32): v128 {
  const p = table + <usize>n * 12;
  return act(x, load<i32>(p), load<f32>(p, 4), load<f32>(p, 8));
}

@inline
function clipv(x: v128, lim: v128): v128 {
  return f32x4.pmin(lim, f32x4.pmax(f32x4.neg(lim), x));
}

// Store the first `n` (0..4) lanes of v.
@inline
function storePartial(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
    return;
  }
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * out[0 .. 8·nPanels) = (init ? init : packed bias) + x[0..K)·W for packed panels at `w`.
 * `init` may equal `out`. Four panels at a time keep 8 independent accumulator chains in flight,
 * enough to hide the FMA latency at batch 1, and share each broadcast of x[k].
 */
export function rnn_gemv(K: i32, x: usize, w: usize, nPanels: i32, init: usize, out: usize): void {
  const stride = (<usize>K + 1) << 5;
  let p = 0;
  for (; p + 4 <= nPanels; p += 4) {
    const w0 = w + <usize>p * stride;
    const w1 = w0 + stride;
    const w2 = w1 + stride;
    const w3 = w2 + stride;
    const src = init ? init + (<usize>p << 5) : 0;
    let a0 = src ? v128.load(src) : v128.load(w0);
    let a1 = src ? v128.load(src, 16) : v128.load(w0, 16);
    let a2 = src ? v128.load(src, 32) : v128.load(w1);
    let a3 = src ? v128.load(src, 48) : v128.load(w1, 16);
    let a4 = src ? v128.load(src, 64) : v128.load(w2);
    let a5 = src ? v128.load(src, 80) : v128.load(w2, 16);
    let a6 = src ? v128.load(src, 96) : v128.load(w3);
    let a7 = src ? v128.load(src, 112) : v128.load(w3, 16);
    let o: usize = 32;
    const end: usize = stride;
    let xp = x;
    while (o < end) {
      const xv = v128.load_splat<f32>(xp);
      a0 = madd(xv, v128.load(w0 + o), a0);
      a1 = madd(xv, v128.load(w0 + o, 16), a1);
      a2 = madd(xv, v128.load(w1 + o), a2);
      a3 = madd(xv, v128.load(w1 + o, 16), a3);
      a4 = madd(xv, v128.load(w2 + o), a4);
      a5 = madd(xv, v128.load(w2 + o, 16), a5);
      a6 = madd(xv, v128.load(w3 + o), a6);
      a7 = madd(xv, v128.load(w3 + o, 16), a7);
      o += 32;
      xp += 4;
    }
    const d = out + (<usize>p << 5);
    v128.store(d, a0);
    v128.store(d, a1, 16);
    v128.store(d, a2, 32);
    v128.store(d, a3, 48);
    v128.store(d, a4, 64);
    v128.store(d, a5, 80);
    v128.store(d, a6, 96);
    v128.store(d, a7, 112);
  }
  for (; p < nPanels; p++) {
    const w0 = w + <usize>p * stride;
    const src = init ? init + (<usize>p << 5) : w0;
    let a0 = v128.load(src);
    let a1 = v128.load(src, 16);
    // A second pair of chains over odd k halves the dependency chain of a lone panel.
    let b0 = f32x4.splat(0);
    let b1 = f32x4.splat(0);
    let k = 0;
    let q = w0 + 32;
    for (; k + 2 <= K; k += 2) {
      const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
      const x1 = v128.load_splat<f32>(x + (<usize>k << 2), 4);
      a0 = madd(x0, v128.load(q), a0);
      a1 = madd(x0, v128.load(q, 16), a1);
      b0 = madd(x1, v128.load(q, 32), b0);
      b1 = madd(x1, v128.load(q, 48), b1);
      q += 64;
    }
    if (k < K) {
      const x0 = v128.load_splat<f32>(x + (<usize>k << 2));
      a0 = madd(x0, v128.load(q), a0);
      a1 = madd(x0, v128.load(q, 16), a1);
    }
    const d = out + (<usize>p << 5);
    v128.store(d, f32x4.add(a0, b0));
    v128.store(d, f32x4.add(a1, b1), 16);
  }
}

/**
 * LSTM gates for one batch row. `g` holds the pre-activations of Hp = 8·blocks units, per block
 * [i8 o8 f8 c8]; `c` (Hp) is updated in place; h goes to `hOut` (Hp) and, for the first H units,
 * to `y` when non-zero. `peep` is 0 or [Pi Po Pf] (Hp each). Activations f, g, h at `acts`.
 */
export function lstm_gates(
  Hp: i32, g: usize, c: usize, hOut: usize, y: usize, H: i32,
  peep: usize, acts: usize, clip: f32, inputForget: i32,
): void {
  const lim = f32x4.splat(clip);
  const one = f32x4.splat(1);
  const pStride = <usize>Hp << 2;
  for (let j = 0; j < Hp; j += 4) {
    // Unit j sits in block j>>3 at lane offset j&7 of each gate panel.
    const gp = g + (<usize>(j >> 3) << 7) + (<usize>(j & 7) << 2);
    const cp = c + (<usize>j << 2);
    const cPrev = v128.load(cp);
    let pi = v128.load(gp);
    let po = v128.load(gp, 32);
    let pf = v128.load(gp, 64);
    const pc = v128.load(gp, 96);
    if (peep) {
      const pp = peep + (<usize>j << 2);
      pi = madd(v128.load(pp), cPrev, pi);
      pf = madd(v128.load(pp + 2 * pStride), cPrev, pf);
    }
    const it = actAt(clipv(pi, lim), acts, 0);
    const ft = inputForget ? f32x4.sub(one, it) : actAt(clipv(pf, lim), acts, 0);
    const ct = actAt(clipv(pc, lim), acts, 1);
    const cNew = f32x4.add(f32x4.mul(ft, cPrev), f32x4.mul(it, ct));
    if (peep) po = madd(v128.load(peep + pStride + (<usize>j << 2)), cNew, po);
    const ot = actAt(clipv(po, lim), acts, 0);
    const h = f32x4.mul(ot, actAt(cNew, acts, 2));
    v128.store(cp, cNew);
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
  }
}

/** One LSTM step for one batch row: g = gIn + hPrev·Rᵀ (into `scratch`), then the gates. */
export function lstm_step(
  Hp: i32, hPrev: usize, r: usize, gIn: usize, scratch: usize,
  c: usize, hOut: usize, y: usize, H: i32, peep: usize, acts: usize, clip: f32, inputForget: i32,
): void {
  rnn_gemv(Hp, hPrev, r, Hp >> 1, gIn, scratch);
  lstm_gates(Hp, scratch, c, hOut, y, H, peep, acts, clip, inputForget);
}

/**
 * One GRU step for one batch row. `gIn` holds Xt·Wᵀ + Wb per block [z8 r8 h8]; the recurrent
 * packs carry Rb as their bias. linear_before_reset = 0: `rzr` = [z8 r8] panels of R, `rh` = [h8]
 * panels, `tmp` (Hp floats) receives r⊙Ht-1. linear_before_reset = 1: `rzr` = [z8 r8 h8] panels
 * and `rh`, `tmp` are unused. `scratch` holds 3·Hp floats.
 */
export function gru_step(
  Hp: i32, hPrev: usize, rzr: usize, rh: usize, gIn: usize, scratch: usize, tmp: usize,
  hOut: usize, y: usize, H: i32, acts: usize, clip: f32, linearBeforeReset: i32,
): void {
  const lim = f32x4.splat(clip);
  if (linearBeforeReset) {
    rnn_gemv(Hp, hPrev, rzr, (Hp >> 3) * 3, 0, scratch);
    for (let j = 0; j < Hp; j += 4) {
      const off = (<usize>(j >> 3) * 96) + (<usize>(j & 7) << 2);
      const gp = gIn + off;
      const sp = scratch + off;
      const z = actAt(clipv(f32x4.add(v128.load(gp), v128.load(sp)), lim), acts, 0);
      const r = actAt(clipv(f32x4.add(v128.load(gp, 32), v128.load(sp, 32)), lim), acts, 0);
      const pre = madd(r, v128.load(sp, 64), v128.load(gp, 64));
      const ht = actAt(clipv(pre, lim), acts, 1);
      const hp = v128.load(hPrev + (<usize>j << 2));
      const h = madd(z, f32x4.sub(hp, ht), ht); // (1 - z)·ht + z·hPrev
      v128.store(hOut + (<usize>j << 2), h);
      if (y) storePartial(y + (<usize>j << 2), h, H - j);
    }
    return;
  }
  // z and r first: (r⊙Ht-1) is the input of the second GEMV.
  rnn_gemv(Hp, hPrev, rzr, Hp >> 2, 0, scratch);
  for (let j = 0; j < Hp; j += 4) {
    const off = (<usize>(j >> 3) << 6) + (<usize>(j & 7) << 2);
    const gp = gIn + (<usize>(j >> 3) * 96) + (<usize>(j & 7) << 2);
    const sp = scratch + off;
    const z = actAt(clipv(f32x4.add(v128.load(gp), v128.load(sp)), lim), acts, 0);
    const r = actAt(clipv(f32x4.add(v128.load(gp, 32), v128.load(sp, 32)), lim), acts, 0);
    v128.store(sp, z);
    v128.store(tmp + (<usize>j << 2), f32x4.mul(r, v128.load(hPrev + (<usize>j << 2))));
  }
  const sh = scratch + (<usize>Hp << 3);
  rnn_gemv(Hp, tmp, rh, Hp >> 3, 0, sh);
  for (let j = 0; j < Hp; j += 4) {
    const gp = gIn + (<usize>(j >> 3) * 96) + (<usize>(j & 7) << 2);
    const z = v128.load(scratch + (<usize>(j >> 3) << 6) + (<usize>(j & 7) << 2));
    const ht = actAt(clipv(f32x4.add(v128.load(gp, 64), v128.load(sh + (<usize>j << 2))), lim), acts, 1);
    const hp = v128.load(hPrev + (<usize>j << 2));
    const h = madd(z, f32x4.sub(hp, ht), ht);
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
  }
}

/** One plain RNN step for one batch row: Ht = f(clip(gIn + Ht-1·Rᵀ)). */
export function rnn_step(
  Hp: i32, hPrev: usize, r: usize, gIn: usize, scratch: usize,
  hOut: usize, y: usize, H: i32, acts: usize, clip: f32,
): void {
  rnn_gemv(Hp, hPrev, r, Hp >> 3, gIn, scratch);
  const lim = f32x4.splat(clip);
  for (let j = 0; j < Hp; j += 4) {
    const h = actAt(clipv(v128.load(scratch + (<usize>j << 2)), lim), acts, 0);
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
  }
}
