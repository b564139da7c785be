/**
 * Inputs and the reference for the packed-half kernels' tests (cpu and webgpu): the expected value of every input is
 * precision.ts's roundToFloat16, which is computed independently (from doubles, not from bits).
 */
import { createRng } from '../../src/core/rng';
import { roundToFloat16 } from '../../src/core/train/precision';

/** The value of a binary16 bit pattern, from the IEEE 754 definition. */
export function decodeHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** The overflow, subnormal and signed-zero edges, by name, with the binary16 value each must become. */
export const EDGE_CASES: { x: number; expected: number }[] = [
  { x: 65504, expected: 65504 }, { x: 65519, expected: 65504 }, { x: 65519.99, expected: 65504 },
  { x: 65520, expected: Infinity }, { x: -65520, expected: -Infinity }, { x: 1e6, expected: Infinity },
  { x: -1e6, expected: -Infinity }, { x: 3e38, expected: Infinity }, { x: Infinity, expected: Infinity },
  { x: -Infinity, expected: -Infinity }, { x: 2 ** -14, expected: 2 ** -14 }, { x: 2 ** -24, expected: 2 ** -24 },
  { x: -(2 ** -24), expected: -(2 ** -24) }, { x: 2 ** -25, expected: 0 }, { x: -(2 ** -25), expected: -0 },
  { x: 3 * 2 ** -25, expected: 2 ** -23 }, { x: 5 * 2 ** -25, expected: 2 ** -23 }, { x: 1e-40, expected: 0 },
  { x: -1e-40, expected: -0 }, { x: 0, expected: 0 }, { x: -0, expected: -0 }, { x: 1 + 2 ** -11, expected: 1 },
  { x: 1 + 3 * 2 ** -11, expected: 1 + 2 ** -9 }, { x: 2049, expected: 2048 }, { x: 2051, expected: 2052 },
];

/**
 * ≈ 180k float32 inputs: every binary16 value; every midpoint between consecutive finite halves (ties) with both
 * signs and a float32 neighbour of each; random magnitudes from 1e-11 to 1e6; random bit patterns (NaNs, float32
 * subnormals, huge values); the edges. Its length is odd, so the last word of a packed tensor holds one half and a pad.
 */
export function float32Cases(): Float32Array {
  const rng = createRng(1016);
  const values: number[] = [];
  for (let bits = 0; bits < 0x10000; bits++) values.push(decodeHalf(bits));
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let bits = 0; bits + 1 < 0x7c00; bits++) {
    const mid = (decodeHalf(bits) + decodeHalf(bits + 1)) / 2; // exact in float32: 12 significant bits
    values.push(mid, -mid);
    f32[0] = mid;
    u32[0] = u32[0]! + (rng.next() < 0.5 ? 1 : -1);
    values.push(rng.next() < 0.5 ? f32[0]! : -f32[0]!);
  }
  for (let i = 0; i < 10_000; i++) values.push((rng.next() < 0.5 ? -1 : 1) * 10 ** (rng.next() * 17 - 11));
  values.push(...EDGE_CASES.map((c) => c.x), NaN);
  const randomBits = new Uint32Array(10_000).map(() => Math.floor(rng.next() * 2 ** 32));
  const length = values.length + randomBits.length;
  const all = new Float32Array(length % 2 === 1 ? length : length + 1);
  all.set(values);
  all.set(new Float32Array(randomBits.buffer), values.length);
  if (all.length > length) all[length] = 1.5; // keep the length odd
  return all;
}

/** Index and description of the first element where unpacked ≠ roundToFloat16(input) (NaN matches NaN; −0 ≠ 0). */
export function firstMismatch(inputs: Float32Array, unpacked: ArrayLike<number>): string | null {
  if (unpacked.length !== inputs.length) return `length ${unpacked.length}, expected ${inputs.length}`;
  for (let i = 0; i < inputs.length; i++) {
    const expected = Math.fround(roundToFloat16(inputs[i]!));
    const got = unpacked[i]!;
    if (!(Object.is(got, expected) || (Number.isNaN(got) && Number.isNaN(expected)))) {
      return `x = ${inputs[i]} (index ${i}) → ${got}, expected ${expected}`;
    }
  }
  return null;
}
