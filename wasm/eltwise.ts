// Binary elementwise ops with numpy/ONNX broadcasting. kernels/broadcast.ts collapses the two
// operand shapes into up to three outer loops around one contiguous inner run; in that run each
// operand is either a full vector or one value repeated (a scalar, a per-channel bias, ...):
//   RUN_VV  a and b both advance (equal shapes, or a row vector repeated over outer loops)
//   RUN_VS  a advances, b is one value for the whole run
//   RUN_SV  a is one value, b advances
// The output is always contiguous. Outer strides are in bytes (0 where an operand broadcasts).
// out may be a itself or b itself (in-place accumulate) when that operand has the output's shape:
// each element is read before it is written, at the same offset.
// Op codes are shared with kernels/eltwise.ts; keep both lists in the same order.

const ADD: i32 = 0;
const SUB: i32 = 1;
const MUL: i32 = 2;
const DIV: i32 = 3;
const MAX: i32 = 4;
const MIN: i32 = 5;
const POW: i32 = 6;
const PRELU: i32 = 7; // a < 0 ? b·a : a (b is the slope)

const RUN_VV: i32 = 0;
const RUN_VS: i32 = 1;
const RUN_SV: i32 = 2;

// C's powf, which ONNX runtimes use. AssemblyScript's Mathf.pow follows JavaScript instead,
// which differs in two places: pow(1, NaN) and pow(-1, ±Inf) are 1 in C, NaN in JavaScript.
function powC(a: f32, b: f32): f32 {
  if (a == 1) return 1;
  if (a == -1 && Mathf.abs(b) == Infinity) return 1;
  return Mathf.pow(a, b);
}

@inline
function lanePow(a: v128, b: v128): v128 {
  // No vector pow: one powf per lane.
  let r = f32x4.splat(powC(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, powC(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, powC(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  return f32x4.replace_lane(r, 3, powC(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
}

@inline
function binaryOp(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == DIV) return f32x4.div(a, b);
  // IEEE max/min (not pmax/pmin): NaN in either operand gives NaN, like numpy.maximum.
  if (op == MAX) return f32x4.max(a, b);
  if (op == MIN) return f32x4.min(a, b);
  if (op == POW) return lanePow(a, b);
  if (op == PRELU) return v128.bitselect(f32x4.mul(a, b), a, f32x4.lt(a, f32x4.splat(0)));
  return a;
}

@inline
function binaryScalar(op: i32, a: f32, b: f32): f32 {
  if (op == POW) return powC(a, b);
  return f32x4.extract_lane(binaryOp(op, f32x4.splat(a), f32x4.splat(b)), 0);
}

@inline
function runVV(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    v128.store(out + o, binaryOp(op, v128.load(a + o), v128.load(b + o)));
    v128.store(out + o, binaryOp(op, v128.load(a + o, 16), v128.load(b + o, 16)), 16);
    v128.store(out + o, binaryOp(op, v128.load(a + o, 32), v128.load(b + o, 32)), 32);
    v128.store(out + o, binaryOp(op, v128.load(a + o, 48), v128.load(b + o, 48)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, binaryOp(op, v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, binaryScalar(op, load<f32>(a + o), load<f32>(b + o)));
  }
}

// One operand is a vector `v`, the other one value `s`; `sFirst` says which side the value is on
// (it matters for sub, div, pow and prelu).
@inline
function runVS(op: i32, sFirst: bool, v: usize, sPtr: usize, out: usize, n: i32): void {
  const s = load<f32>(sPtr);
  if (op == POW && !sFirst && s == 2) {
    // x^2 is the common Pow (variance, L2 norms); x·x is exactly what pow rounds to.
    squareRun(v, out, n);
    return;
  }
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const x0 = v128.load(v + o), x1 = v128.load(v + o, 16);
    const x2 = v128.load(v + o, 32), x3 = v128.load(v + o, 48);
    v128.store(out + o, sFirst ? binaryOp(op, sv, x0) : binaryOp(op, x0, sv));
    v128.store(out + o, sFirst ? binaryOp(op, sv, x1) : binaryOp(op, x1, sv), 16);
    v128.store(out + o, sFirst ? binaryOp(op, sv, x2) : binaryOp(op, x2, sv), 32);
    v128.store(out + o, sFirst ? binaryOp(op, sv, x3) : binaryOp(op, x3, sv), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(v + o);
    v128.store(out + o, sFirst ? binaryOp(op, sv, x) : binaryOp(op, x, sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(v + o);
    store<f32>(out + o, sFirst ? binaryScalar(op, s, x) : binaryScalar(op, x, s));
  }
}

function squareRun(v: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(v + o);
    v128.store(out + o, f32x4.mul(x, x));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(v + o);
    store<f32>(out + o, x * x);
  }
}

@inline
function nest(
  op: i32, run: i32, a: usize, b: usize, out: usize, n: i32,
  d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32,
): void {
  const runBytes = <usize>n << 2;
  for (let i0 = 0; i0 < d0; i0++) {
    const a0 = a + <usize>(i0 * sa0), b0 = b + <usize>(i0 * sb0);
    for (let i1 = 0; i1 < d1; i1++) {
      const a1 = a0 + <usize>(i1 * sa1), b1 = b0 + <usize>(i1 * sb1);
      for (let i2 = 0; i2 < d2; i2++) {
        const a2 = a1 + <usize>(i2 * sa2), b2 = b1 + <usize>(i2 * sb2);
        if (run == RUN_VV) runVV(op, a2, b2, out, n);
        else if (run == RUN_VS) runVS(op, false, a2, b2, out, n);
        else runVS(op, true, b2, a2, out, n);
        out += runBytes;
      }
    }
  }
}

@inline
function byRun(
  op: i32, run: i32, a: usize, b: usize, out: usize, n: i32,
  d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32,
): void {
  if (run == RUN_VV) nest(op, RUN_VV, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (run == RUN_VS) nest(op, RUN_VS, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else nest(op, RUN_SV, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}

// One function per op: the op is a literal inside each body, so the optimizer specialises every
// loop to that op. (With a switch over inlined bodies, Binaryen folds the eight near-identical
// arms back into one loop that branches on the op per vector.)
function addAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(ADD, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function subAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(SUB, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function mulAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(MUL, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function divAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(DIV, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function maxAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(MAX, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function minAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(MIN, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function powAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(POW, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}
function preluAll(run: i32, a: usize, b: usize, out: usize, n: i32, d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32): void {
  byRun(PRELU, run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
}

/**
 * out[i0,i1,i2,:] = a[...] op b[...] over d0·d1·d2 runs of n elements. sa0..2 and sb0..2 are byte
 * strides of the three outer loops; within a run, `run` says which operand advances.
 */
export function f32_eltwise_binary(
  op: i32, run: i32, a: usize, b: usize, out: usize, n: i32,
  d0: i32, d1: i32, d2: i32, sa0: i32, sa1: i32, sa2: i32, sb0: i32, sb1: i32, sb2: i32,
): void {
  if (op == ADD) addAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == SUB) subAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == MUL) mulAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == DIV) divAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == MAX) maxAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == MIN) minAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == POW) powAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else if (op == PRELU) preluAll(run, a, b, out, n, d0, d1, d2, sa0, sa1, sa2, sb0, sb1, sb2);
  else unreachable();
}
