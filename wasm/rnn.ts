// Recurrent cells (LSTM, GRU, RNN): the per-step recurrent GEMV over packed weights and the fused
// gate math. The input projection of all time steps is one GEMM done beforehand; each step here
// reads its precomputed gate row, adds Ht-1·Rᵀ, applies the activations and writes the new state.
//
// Output columns come in panels of 8, with the hidden units padded to blocks of 8 and the gates
// of a block interleaved, so that one block of 8 units owns consecutive panels: LSTM [i o f c],
// GRU [z r h], RNN [h]. The input projection (the shared GEMM) and the gate kernels use this
// column order; the recurrent weights are stored k-major per group of panels (see rnn_gemv).
import { madd } from './lib/vmath';
import { recurrentGemv } from './lib/rnn-gemv';
import { actAlpha, actBeta, actCode, rnnAct, SIGMOID, TANH } from './lib/rnn-act';

/** out[0 .. 8·nPanels) = (init ? init : packed bias) + x[0..K)·W (see lib/rnn-gemv.ts). */
export function rnn_gemv(K: i32, x: usize, w: usize, nPanels: i32, init: usize, out: usize): void {
  recurrentGemv(K, x, w, nPanels, init, out);
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

// Each gate loop is an @inline function taking the activation codes; the exported entry calls
// it once with constant codes for the ONNX defaults (so the dispatch folds away) and once with
// the codes read from the table for everything else.

@inline
function lstmGatesLoop(
  Hp: i32, g: usize, c: usize, hOut: usize, y: usize, H: i32, peep: usize, lim: v128, inputForget: i32,
  fc: i32, fa: f32, fb: f32, gc: i32, ga: f32, gb: f32, hc: i32, ha: f32, hb: f32,
): void {
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
    const it = rnnAct(clipv(pi, lim), fc, fa, fb);
    const ft = inputForget ? f32x4.sub(one, it) : rnnAct(clipv(pf, lim), fc, fa, fb);
    const ct = rnnAct(clipv(pc, lim), gc, ga, gb);
    const cNew = madd(ft, cPrev, f32x4.mul(it, ct));
    if (peep) po = madd(v128.load(peep + pStride + (<usize>j << 2)), cNew, po);
    const ot = rnnAct(clipv(po, lim), fc, fa, fb);
    const h = f32x4.mul(ot, rnnAct(cNew, hc, ha, hb));
    v128.store(cp, cNew);
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
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
  const fc = actCode(acts, 0), gc = actCode(acts, 1), hc = actCode(acts, 2);
  if (fc == SIGMOID && gc == TANH && hc == TANH) {
    lstmGatesLoop(Hp, g, c, hOut, y, H, peep, lim, inputForget, SIGMOID, 0, 0, TANH, 0, 0, TANH, 0, 0);
  } else {
    lstmGatesLoop(
      Hp, g, c, hOut, y, H, peep, lim, inputForget,
      fc, actAlpha(acts, 0), actBeta(acts, 0), gc, actAlpha(acts, 1), actBeta(acts, 1), hc, actAlpha(acts, 2), actBeta(acts, 2),
    );
  }
}

/** One LSTM step for one batch row: g = gIn + hPrev·Rᵀ (into `scratch`), then the gates. */
export function lstm_step(
  Hp: i32, hPrev: usize, r: usize, gIn: usize, scratch: usize,
  c: usize, hOut: usize, y: usize, H: i32, peep: usize, acts: usize, clip: f32, inputForget: i32,
): void {
  recurrentGemv(Hp, hPrev, r, Hp >> 1, gIn, scratch);
  lstm_gates(Hp, scratch, c, hOut, y, H, peep, acts, clip, inputForget);
}

// GRU, linear_before_reset = 1: `s` = Ht-1·Rᵀ + Rb per block [z8 r8 h8], like `g`.
@inline
function gruGatesLbr(
  Hp: i32, g: usize, s: usize, hPrev: usize, hOut: usize, y: usize, H: i32, lim: v128,
  fc: i32, fa: f32, fb: f32, gc: i32, ga: f32, gb: f32,
): void {
  for (let j = 0; j < Hp; j += 4) {
    const off = (<usize>(j >> 3) * 96) + (<usize>(j & 7) << 2);
    const gp = g + off;
    const sp = s + off;
    const z = rnnAct(clipv(f32x4.add(v128.load(gp), v128.load(sp)), lim), fc, fa, fb);
    const r = rnnAct(clipv(f32x4.add(v128.load(gp, 32), v128.load(sp, 32)), lim), fc, fa, fb);
    const ht = rnnAct(clipv(madd(r, v128.load(sp, 64), v128.load(gp, 64)), lim), gc, ga, gb);
    const hp = v128.load(hPrev + (<usize>j << 2));
    const h = madd(z, f32x4.sub(hp, ht), ht); // (1 - z)·ht + z·Ht-1
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
  }
}

// GRU, linear_before_reset = 0, first half: z (kept in `s`) and r⊙Ht-1 (into `rh`).
// `s` = Ht-1·Rᵀ + Rb for z, r per block [z8 r8].
@inline
function gruGatesZr(
  Hp: i32, g: usize, s: usize, hPrev: usize, rh: usize, lim: v128, fc: i32, fa: f32, fb: f32,
): void {
  for (let j = 0; j < Hp; j += 4) {
    const gp = g + (<usize>(j >> 3) * 96) + (<usize>(j & 7) << 2);
    const sp = s + (<usize>(j >> 3) << 6) + (<usize>(j & 7) << 2);
    const z = rnnAct(clipv(f32x4.add(v128.load(gp), v128.load(sp)), lim), fc, fa, fb);
    const r = rnnAct(clipv(f32x4.add(v128.load(gp, 32), v128.load(sp, 32)), lim), fc, fa, fb);
    v128.store(sp, z);
    v128.store(rh + (<usize>j << 2), f32x4.mul(r, v128.load(hPrev + (<usize>j << 2))));
  }
}

// Second half: `sh` = (r⊙Ht-1)·Rhᵀ + Rbh (Hp floats, natural order), z from the first half.
@inline
function gruGatesH(
  Hp: i32, g: usize, s: usize, sh: usize, hPrev: usize, hOut: usize, y: usize, H: i32, lim: v128,
  gc: i32, ga: f32, gb: f32,
): void {
  for (let j = 0; j < Hp; j += 4) {
    const gp = g + (<usize>(j >> 3) * 96) + (<usize>(j & 7) << 2);
    const z = v128.load(s + (<usize>(j >> 3) << 6) + (<usize>(j & 7) << 2));
    const ht = rnnAct(clipv(f32x4.add(v128.load(gp, 64), v128.load(sh + (<usize>j << 2))), lim), gc, ga, gb);
    const hp = v128.load(hPrev + (<usize>j << 2));
    const h = madd(z, f32x4.sub(hp, ht), ht);
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
  }
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
  const fc = actCode(acts, 0), gc = actCode(acts, 1);
  const dflt = fc == SIGMOID && gc == TANH;
  const fa = actAlpha(acts, 0), fb = actBeta(acts, 0), ga = actAlpha(acts, 1), gb = actBeta(acts, 1);
  if (linearBeforeReset) {
    recurrentGemv(Hp, hPrev, rzr, (Hp >> 3) * 3, 0, scratch);
    if (dflt) gruGatesLbr(Hp, gIn, scratch, hPrev, hOut, y, H, lim, SIGMOID, 0, 0, TANH, 0, 0);
    else gruGatesLbr(Hp, gIn, scratch, hPrev, hOut, y, H, lim, fc, fa, fb, gc, ga, gb);
    return;
  }
  // z and r first: r⊙Ht-1 is the input of the second GEMV.
  recurrentGemv(Hp, hPrev, rzr, Hp >> 2, 0, scratch);
  if (dflt) gruGatesZr(Hp, gIn, scratch, hPrev, tmp, lim, SIGMOID, 0, 0);
  else gruGatesZr(Hp, gIn, scratch, hPrev, tmp, lim, fc, fa, fb);
  const sh = scratch + (<usize>Hp << 3);
  recurrentGemv(Hp, tmp, rh, Hp >> 3, 0, sh);
  if (dflt) gruGatesH(Hp, gIn, scratch, sh, hPrev, hOut, y, H, lim, TANH, 0, 0);
  else gruGatesH(Hp, gIn, scratch, sh, hPrev, hOut, y, H, lim, gc, ga, gb);
}

@inline
function rnnGatesLoop(Hp: i32, s: usize, hOut: usize, y: usize, H: i32, lim: v128, fc: i32, fa: f32, fb: f32): void {
  for (let j = 0; j < Hp; j += 4) {
    const h = rnnAct(clipv(v128.load(s + (<usize>j << 2)), lim), fc, fa, fb);
    v128.store(hOut + (<usize>j << 2), h);
    if (y) storePartial(y + (<usize>j << 2), h, H - j);
  }
}

/** One plain RNN step for one batch row: Ht = f(clip(gIn + Ht-1·Rᵀ)). */
export function rnn_step(
  Hp: i32, hPrev: usize, r: usize, gIn: usize, scratch: usize,
  hOut: usize, y: usize, H: i32, acts: usize, clip: f32,
): void {
  recurrentGemv(Hp, hPrev, r, Hp >> 3, gIn, scratch);
  const lim = f32x4.splat(clip);
  const fc = actCode(acts, 0);
  if (fc == TANH) rnnGatesLoop(Hp, scratch, hOut, y, H, lim, TANH, 0, 0);
  else rnnGatesLoop(Hp, scratch, hOut, y, H, lim, fc, actAlpha(acts, 0), actBeta(acts, 0));
}
