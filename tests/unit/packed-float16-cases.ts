/**
 * Shared by the binary16 tests (precision, fp16-kernels, packed-float16, packed-network; cpu and webgpu): the inputs,
 * the reference and the per-file setup. The expected value of every input is precision.ts's roundToFloat16, which
 * is computed independently (from doubles, not from bits).
 */
import * as tf from '../../src/core/tf';
import type { WebGpuBackendInternals } from '../../src/core/backend-internals';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Environment } from '../../src/core/environment';
import { createRng } from '../../src/core/rng';
import { initBackend } from '../../src/core/train/backend';
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

/** The overflow, subnormal, tie and signed-zero edges, by name, with the binary16 value each must become. */
export const EDGE_CASES: { x: number; expected: number }[] = [
  { x: 65504, expected: 65504 }, { x: -65504, expected: -65504 }, { x: 65519, expected: 65504 },
  { x: -65519, expected: -65504 }, { x: 65519.99, expected: 65504 }, { x: 65520, expected: Infinity },
  { x: -65520, expected: -Infinity }, { x: 65535, expected: Infinity }, { x: 65536, expected: Infinity },
  { x: 1e6, expected: Infinity }, { x: -1e6, expected: -Infinity }, { x: 3e38, expected: Infinity },
  { x: -3e38, expected: -Infinity }, { x: Infinity, expected: Infinity }, { x: -Infinity, expected: -Infinity },
  { x: 2 ** -14, expected: 2 ** -14 }, { x: 1023 * 2 ** -24, expected: 1023 * 2 ** -24 },
  { x: 2 ** -24, expected: 2 ** -24 }, { x: -(2 ** -24), expected: -(2 ** -24) }, { x: 2 ** -25, expected: 0 },
  { x: -(2 ** -25), expected: -0 }, { x: 2 ** -26, expected: 0 }, { x: 3 * 2 ** -25, expected: 2 ** -23 },
  { x: 5 * 2 ** -25, expected: 2 ** -23 }, { x: 1e-40, expected: 0 }, { x: -1e-40, expected: -0 },
  { x: 1e-45, expected: 0 }, { x: 0, expected: 0 }, { x: -0, expected: -0 }, { x: 1 + 2 ** -11, expected: 1 },
  { x: 1 + 3 * 2 ** -11, expected: 1 + 2 ** -9 }, { x: 2049, expected: 2048 }, { x: 2051, expected: 2052 },
  { x: 2 ** 15, expected: 2 ** 15 }, { x: 32768 + 16, expected: 32768 }, { x: 32768 + 48, expected: 32768 + 64 },
];

/**
 * ≈ 286k float32 inputs: every binary16 value; every midpoint between consecutive finite halves (ties) and both its
 * float32 neighbours, each with both signs; random magnitudes from 1e-11 to 1e6; random bit patterns (NaNs with
 * payloads, float32 subnormals, huge values); the edges. Its length is odd, so the last word of a packed tensor holds
 * one half and a pad (`padded` makes the vectorised shaders' lengths).
 */
export function float32Cases(): Float32Array {
  const rng = createRng(1016);
  const values: number[] = [];
  for (let bits = 0; bits < 0x10000; bits++) values.push(decodeHalf(bits));
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  for (let bits = 0; bits + 1 < 0x7c00; bits++) {
    f32[0] = (decodeHalf(bits) + decodeHalf(bits + 1)) / 2; // exact in float32: 12 significant bits
    const mid = i32[0]!;
    for (const delta of [-1, 0, 1]) {
      i32[0] = mid + delta;
      values.push(f32[0]!, -f32[0]!);
    }
  }
  for (let i = 0; i < 20_000; i++) values.push((rng.next() < 0.5 ? -1 : 1) * 10 ** (rng.next() * 17 - 11));
  values.push(...EDGE_CASES.map((c) => c.x), NaN);
  const randomBits = new Uint32Array(10_000).map(() => Math.floor(rng.next() * 2 ** 32));
  const length = values.length + randomBits.length;
  const all = new Float32Array(length % 2 === 1 ? length : length + 1);
  all.set(values);
  all.set(new Float32Array(randomBits.buffer), values.length);
  if (all.length > length) all[length] = 1.5; // keep the length odd
  return all;
}

/** `values` padded with 1.5 to a multiple of `multiple` (the vec4 shaders). */
export function padded(values: Float32Array, multiple: number): Float32Array {
  const out = new Float32Array(Math.ceil(values.length / multiple) * multiple).fill(1.5);
  out.set(values);
  return out;
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

/**
 * The file's tests run on `backend`, started once before them (a webgpu start loads tfjs-backend-webgpu only then),
 * and each fails if it leaves tensors behind. Returns the started environment, for tests that need it.
 */
export function onBackendWithoutLeaks(backend: 'cpu' | 'webgpu'): () => Environment {
  let environment: Environment | undefined;
  beforeAll(async () => {
    environment = await initBackend(backend);
    expect(environment.backend).toBe(backend);
  });
  let tensorsBefore = 0;
  beforeEach(() => {
    tensorsBefore = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
  return () => environment!;
}

/** Keys of the webgpu backend's pipeline cache (shaderKey + ranks + dtypes + dispatch kind) that `match`, sorted. */
export function pipelineKeys(match: RegExp): string[] {
  const cache = (tf.backend() as unknown as WebGpuBackendInternals).pipelineCache;
  return Object.keys(cache).filter((key) => match.test(key)).sort();
}
