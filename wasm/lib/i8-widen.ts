// Widening int8/uint8 activations to the int16 rows the GEMM tile broadcasts from, with the
// zero point subtracted: (a − za) lies in [−255, 255], so a pad value of 0 contributes nothing.

/**
 * `rows` rows of K bytes (stride `lda` bytes) → a strip of 4 rows interleaved by k-pair:
 * dst[j·16 + r·4 + (k & 1)·2] = a[r][2j + (k & 1)] − za, for j < kp; k ≥ K and rows ≥ `rows` are 0.
 */
export function widenStrip4(a: usize, lda: usize, rows: i32, K: i32, kp: i32, za: i32, unsigned: bool, dst: usize): void {
  const vza = i16x8.splat(<i16>za);
  let k = 0;
  if (rows == 4) {
    const a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (; k + 8 <= K; k += 8) {
      const o = <usize>k;
      let v0: v128, v1: v128, v2: v128, v3: v128;
      if (unsigned) {
        v0 = v128.load8x8_u(a + o); v1 = v128.load8x8_u(a1 + o); v2 = v128.load8x8_u(a2 + o); v3 = v128.load8x8_u(a3 + o);
      } else {
        v0 = v128.load8x8_s(a + o); v1 = v128.load8x8_s(a1 + o); v2 = v128.load8x8_s(a2 + o); v3 = v128.load8x8_s(a3 + o);
      }
      v0 = i16x8.sub(v0, vza); v1 = i16x8.sub(v1, vza); v2 = i16x8.sub(v2, vza); v3 = i16x8.sub(v3, vza);
      // 4×4 transpose of 32-bit (k-pair) lanes.
      const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7), t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
      const d = dst + (o << 3);
      v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
      v128.store(d, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
      v128.store(d, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
      v128.store(d, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
    }
  }
  for (; k < kp << 1; k++) {
    const d = dst + (<usize>(k >> 1) << 4) + (<usize>(k & 1) << 1);
    for (let r = 0; r < 4; r++) {
      let v = 0;
      if (r < rows && k < K) {
        const s = a + <usize>r * lda + <usize>k;
        v = (unsigned ? <i32>load<u8>(s) : <i32>load<i8>(s)) - za;
      }
      store<i16>(d + (<usize>r << 2), <i16>v);
    }
  }
}
