// int8/uint8 softmax over rows, TFLite's Reference integer kernel (see
// kernels/reference/int8/softmax.ts). `exps` is depth int32 of scratch.
import { srdhmScalar as srdhm, rdbpotScalar as rdbpot } from './lib/requant';
import { expOnNegativeQ5, oneOverOnePlusX } from './lib/i8-fixedpoint';

export function i8_softmax(
  x: usize, out: usize, rows: i32, depth: i32, unsignedIO: i32,
  multiplier: i32, leftShift: i32, diffMin: i32, exps: usize,
): void {
  const u = unsignedIO != 0;
  const outMin = u ? 0 : -128, outMax = u ? 255 : 127;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>depth;
    const orow = out + <usize>r * <usize>depth;
    let rowMax = -256;
    for (let c = 0; c < depth; c++) rowMax = max(rowMax, u ? <i32>load<u8>(row + <usize>c) : <i32>load<i8>(row + <usize>c));
    let sum = 0;
    for (let c = 0; c < depth; c++) {
      const diff = (u ? <i32>load<u8>(row + <usize>c) : <i32>load<i8>(row + <usize>c)) - rowMax;
      if (diff >= diffMin) {
        const e = expOnNegativeQ5(srdhm(diff << leftShift, multiplier));
        store<i32>(exps + (<usize>c << 2), e);
        sum += rdbpot(e, 12);
      }
    }
    const headroomPlusOne = <i32>clz(<u32>sum);
    const scale = oneOverOnePlusX(<i32>((<u32>sum << <u32>headroomPlusOne) - 0x80000000));
    const exponent = 12 - headroomPlusOne + 31 - 8;
    for (let c = 0; c < depth; c++) {
      const diff = (u ? <i32>load<u8>(row + <usize>c) : <i32>load<i8>(row + <usize>c)) - rowMax;
      let v = outMin;
      if (diff >= diffMin) {
        v = rdbpot(srdhm(scale, load<i32>(exps + (<usize>c << 2))), exponent) + outMin;
        v = v < outMin ? outMin : v > outMax ? outMax : v;
      }
      store<u8>(orow + <usize>c, <u8>v);
    }
  }
}
