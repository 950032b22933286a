// Scalar twin of the softmax kernels, in double precision: for each of the outer × inner
// columns of an [outer, n, inner] array, y = exp(x - max) / sum, or (x - max) - log(sum).
export function softmaxRef(log: boolean, src: Float32Array, dst: Float32Array, outer: number, n: number, inner: number): void {
  const x = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const base = o * n * inner + c;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        x[j] = src[base + j * inner];
        max = Math.max(max, x[j]);
      }
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(x[j] - max);
      const logSum = Math.log(sum);
      for (let j = 0; j < n; j++) {
        dst[base + j * inner] = log ? x[j] - max - logSum : Math.exp(x[j] - max) / sum;
      }
    }
  }
}
