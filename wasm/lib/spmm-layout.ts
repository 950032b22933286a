// Activation layouts the sparse kernels want, made per call:
//  - X[M x K] (row-major, lda bytes) transposed to XT[K x Mp] (Mp = M rounded up to 4, the
//    extra rows zero), so the column kernels (spmm-sell4.ts) load 4 consecutive batch rows of
//    one k with one v128 load, as they load 4 consecutive pixels of an NCHW input;
//  - int8/uint8 activations widened to int32 with their zero point subtracted, so the integer
//    kernels multiply plain int32 lanes and need no zero-point correction sums.

/** XT[k * Mp + m] = X[m][k] (f32); rows M..Mp-1 of XT are zero. */
export function transposeRows(x: usize, lda: usize, M: i32, K: i32, out: usize, Mp: i32): void {
  const ldo: usize = <usize>Mp << 2;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const r0 = x + <usize>m * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
    let o = out + (<usize>m << 2);
    let k: usize = 0;
    for (; k + 4 <= <usize>K; k += 4) {
      const v0 = v128.load(r0 + (k << 2)), v1 = v128.load(r1 + (k << 2));
      const v2 = v128.load(r2 + (k << 2)), v3 = v128.load(r3 + (k << 2));
      const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
      v128.store(o, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(o + ldo, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(o + 2 * ldo, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(o + 3 * ldo, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
      o += ldo << 2;
    }
    for (; k < <usize>K; k++) {
      store<f32>(o, load<f32>(r0 + (k << 2))); store<f32>(o, load<f32>(r1 + (k << 2)), 4);
      store<f32>(o, load<f32>(r2 + (k << 2)), 8); store<f32>(o, load<f32>(r3 + (k << 2)), 12);
      o += ldo;
    }
  }
  for (let k: usize = 0; k < <usize>K; k++) {
    const o = out + k * ldo;
    for (let r = m; r < Mp; r++) store<f32>(o + (<usize>r << 2), r < M ? load<f32>(x + <usize>r * lda + (k << 2)) : 0);
  }
}

/**
 * int8 (signed != 0) or uint8 activations X[M x K] (lda bytes per row) minus zeroPoint, as
 * int32, transposed like transposeRows: XT[k * Mp + m]. With M = Mp = 1 this is one widened row.
 */
export function widenTranspose(x: usize, lda: usize, M: i32, K: i32, zeroPoint: i32, signed: i32, out: usize, Mp: i32): void {
  const ldo: usize = <usize>Mp << 2;
  for (let r = 0; r < Mp; r++) {
    const row = x + <usize>r * lda;
    let o = out + (<usize>r << 2);
    for (let k: usize = 0; k < <usize>K; k++) {
      const v = r >= M ? 0 : (signed != 0 ? <i32>load<i8>(row + k) : <i32>load<u8>(row + k)) - zeroPoint;
      store<i32>(o, v);
      o += ldo;
    }
  }
}
