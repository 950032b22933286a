// Softmax and LogSoftmax over the middle axis of an [outer, n, inner] view (inner = 1: over
// contiguous rows, the ONNX opset-13 default of the last axis). Numerically stable: the row max is
// subtracted before exp, so no term exceeds 1 and the sum lies in [1, n].
// dst == src is allowed: the passes read an element before (or while) writing it.
import { vexpFull, vlog } from './lib/vmath';

// ---- inner == 1: each row is contiguous; vectorise along the row --------------------------

@inline
function rowMax(x: usize, n: i32): f32 {
  // A NaN is skipped here (pmax keeps the first operand), but exp(NaN - max) is NaN and spreads
  // through the sum to the whole row, as in the reference.
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.pmax(m0, v128.load(x + (<usize>i << 2)));
  m0 = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  let m = Mathf.max(Mathf.max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)),
    Mathf.max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v > m) m = v;
  }
  return m;
}

// Sum of exp(x - m); writes the terms to `dst` when `keep` (softmax), not for logsoftmax.
@inline
function rowExpSum(keep: bool, x: usize, dst: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let s0 = f32x4.splat(0), s1 = s0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const e0 = vexpFull(f32x4.sub(v128.load(x + o), mv));
    const e1 = vexpFull(f32x4.sub(v128.load(x + o, 16), mv));
    if (keep) {
      v128.store(dst + o, e0);
      v128.store(dst + o, e1, 16);
    }
    s0 = f32x4.add(s0, e0);
    s1 = f32x4.add(s1, e1);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e = vexpFull(f32x4.sub(v128.load(x + o), mv));
    if (keep) v128.store(dst + o, e);
    s0 = f32x4.add(s0, e);
  }
  s0 = f32x4.add(s0, s1);
  let s = (f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) +
    (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = f32x4.extract_lane(vexpFull(f32x4.splat(load<f32>(x + o) - m)), 0);
    if (keep) store<f32>(dst + o, e);
    s += e;
  }
  return s;
}

// dst = x·scale (softmax: x holds the exp terms) or dst = (x - m) - logSum (logsoftmax).
@inline
function rowFinish(log: bool, x: usize, dst: usize, n: i32, m: f32, k: f32): void {
  const mv = f32x4.splat(m);
  const kv = f32x4.splat(k);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(dst + o, log ? f32x4.sub(f32x4.sub(v, mv), kv) : f32x4.mul(v, kv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(dst + o, log ? (v - m) - k : v * k);
  }
}

@inline
function rows(log: bool, src: usize, dst: usize, outer: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < outer; r++) {
    const x = src + <usize>r * rowBytes;
    const y = dst + <usize>r * rowBytes;
    const m = rowMax(x, n);
    const s = rowExpSum(!log, x, y, n, m);
    if (log) rowFinish(true, x, y, n, m, logScalar(s));
    else rowFinish(false, y, y, n, m, <f32>1 / s);
  }
}

@inline
function logScalar(s: f32): f32 {
  return f32x4.extract_lane(vlog(f32x4.splat(s)), 0);
}

// ---- inner > 1: reduce down columns of an [n, inner] slab; vectorise across 4 columns ------

@inline
function ld(wide: bool, p: usize): v128 {
  return wide ? v128.load(p) : f32x4.splat(load<f32>(p));
}

@inline
function st(wide: bool, p: usize, v: v128): void {
  if (wide) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

// 4 adjacent columns (wide) or 1 column, each reduced over n elements `stride` bytes apart.
@inline
function columns(log: bool, wide: bool, x: usize, y: usize, n: i32, stride: usize): void {
  let m = f32x4.splat(-Infinity);
  for (let j = 0; j < n; j++) m = f32x4.pmax(m, ld(wide, x + <usize>j * stride));
  let s = f32x4.splat(0);
  for (let j = 0; j < n; j++) {
    const o = <usize>j * stride;
    const e = vexpFull(f32x4.sub(ld(wide, x + o), m));
    if (!log) st(wide, y + o, e);
    s = f32x4.add(s, e);
  }
  if (log) {
    const ls = vlog(s);
    for (let j = 0; j < n; j++) {
      const o = <usize>j * stride;
      st(wide, y + o, f32x4.sub(f32x4.sub(ld(wide, x + o), m), ls));
    }
  } else {
    const k = f32x4.div(f32x4.splat(1), s);
    for (let j = 0; j < n; j++) {
      const o = <usize>j * stride;
      st(wide, y + o, f32x4.mul(ld(wide, y + o), k));
    }
  }
}

// 16 adjacent columns: four vectors per row use whole cache lines and give four independent
// exp chains.
@inline
function columns16(log: bool, x: usize, y: usize, n: i32, stride: usize): void {
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  for (let j = 0; j < n; j++) {
    const p = x + <usize>j * stride;
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  for (let j = 0; j < n; j++) {
    const o = <usize>j * stride;
    const e0 = vexpFull(f32x4.sub(v128.load(x + o), m0));
    const e1 = vexpFull(f32x4.sub(v128.load(x + o, 16), m1));
    const e2 = vexpFull(f32x4.sub(v128.load(x + o, 32), m2));
    const e3 = vexpFull(f32x4.sub(v128.load(x + o, 48), m3));
    if (!log) {
      v128.store(y + o, e0);
      v128.store(y + o, e1, 16);
      v128.store(y + o, e2, 32);
      v128.store(y + o, e3, 48);
    }
    s0 = f32x4.add(s0, e0);
    s1 = f32x4.add(s1, e1);
    s2 = f32x4.add(s2, e2);
    s3 = f32x4.add(s3, e3);
  }
  if (log) {
    // (x - m) - log(sum): subtracting the max first keeps the result exact near 0.
    const l0 = vlog(s0), l1 = vlog(s1), l2 = vlog(s2), l3 = vlog(s3);
    for (let j = 0; j < n; j++) {
      const o = <usize>j * stride;
      v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o), m0), l0));
      v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o, 16), m1), l1), 16);
      v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o, 32), m2), l2), 32);
      v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o, 48), m3), l3), 48);
    }
  } else {
    const one = f32x4.splat(1);
    const k0 = f32x4.div(one, s0), k1 = f32x4.div(one, s1), k2 = f32x4.div(one, s2), k3 = f32x4.div(one, s3);
    for (let j = 0; j < n; j++) {
      const o = <usize>j * stride;
      v128.store(y + o, f32x4.mul(v128.load(y + o), k0));
      v128.store(y + o, f32x4.mul(v128.load(y + o, 16), k1), 16);
      v128.store(y + o, f32x4.mul(v128.load(y + o, 32), k2), 32);
      v128.store(y + o, f32x4.mul(v128.load(y + o, 48), k3), 48);
    }
  }
}

@inline
function strided(log: bool, src: usize, dst: usize, outer: i32, n: i32, inner: i32): void {
  const stride = <usize>inner << 2;
  const slab = <usize>n * stride;
  for (let o = 0; o < outer; o++) {
    const x = src + <usize>o * slab;
    const y = dst + <usize>o * slab;
    let c = 0;
    for (; c + 16 <= inner; c += 16) columns16(log, x + (<usize>c << 2), y + (<usize>c << 2), n, stride);
    for (; c + 4 <= inner; c += 4) columns(log, true, x + (<usize>c << 2), y + (<usize>c << 2), n, stride);
    for (; c < inner; c++) columns(log, false, x + (<usize>c << 2), y + (<usize>c << 2), n, stride);
  }
}

/** Softmax (log = 0) or LogSoftmax (log = 1) over axis 1 of the [outer, n, inner] array at src. */
export function f32_softmax(src: usize, dst: usize, outer: i32, n: i32, inner: i32, log: i32): void {
  if (inner == 1) {
    if (log) rows(true, src, dst, outer, n);
    else rows(false, src, dst, outer, n);
  } else if (log) strided(true, src, dst, outer, n, inner);
  else strided(false, src, dst, outer, n, inner);
}
