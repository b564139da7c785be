/**
 * The Float16RoundTrip kernel on tfjs's WebGPU backend in Node (Dawn; SwiftShader on machines without a GPU):
 * bit-exact against the scalar roundToFloat16, one dispatch per call, one pipeline for every shape, its gradient,
 * and no leaked tensors.
 *
 * fp16-kernels is imported statically, so its kernels are registered *before* tfjs-backend-webgpu is loaded (by
 * initBackend, in beforeAll): registering a kernel under a backend name does not need the backend to exist.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FLOAT16_ROUND_TRIP, float16RoundTripKernel } from '../../src/core/train/fp16-kernels';
import { float16RoundTrip, roundToFloat16 } from '../../src/core/train/precision';
import { initBackend } from '../../src/core/train/backend';
import { createRng } from '../../src/core/rng';

const webgpuBackendAtImport = tf.findBackendFactory('webgpu');

/** The value of a binary16 bit pattern, from the IEEE 754 definition. */
function decodeHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * ≈ 180k float32 inputs (as in fp16-kernels.test.ts): every binary16 value; every midpoint between consecutive
 * finite halves with both signs and a float32 neighbour of each; random magnitudes; random bit patterns (NaNs,
 * float32 subnormals, huge values); the edges. Its length is a multiple of 4 (the vec4 shader).
 */
function float32Cases(): Float32Array {
  const rng = createRng(61);
  const values: number[] = [];
  for (let bits = 0; bits < 0x10000; bits++) values.push(decodeHalf(bits));
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let bits = 0; bits + 1 < 0x7c00; bits++) {
    const mid = (decodeHalf(bits) + decodeHalf(bits + 1)) / 2;
    values.push(mid, -mid);
    f32[0] = mid;
    u32[0] = u32[0]! + (rng.next() < 0.5 ? 1 : -1);
    values.push(rng.next() < 0.5 ? f32[0]! : -f32[0]!);
  }
  for (let i = 0; i < 10_000; i++) values.push((rng.next() < 0.5 ? -1 : 1) * 10 ** (rng.next() * 17 - 11));
  values.push(0, -0, NaN, Infinity, -Infinity, 65504, -65504, 65519, -65519, 65519.99, 65520, -65520, 65536, 1e6,
    -1e6, 3e38, -3e38, 2 ** -14, 2 ** -24, -(2 ** -24), 2 ** -25, -(2 ** -25), 3 * 2 ** -25, 2 ** -26, 1e-40, -1e-40,
    1e-45, 1 + 2 ** -11, 2049, 2051, 32768 + 16, 32768 + 48);
  const randomBits = new Uint32Array(10_000).map(() => Math.floor(rng.next() * 2 ** 32));
  const total = Math.ceil((values.length + randomBits.length) / 4) * 4;
  const all = new Float32Array(total); // padded with zeros to a multiple of 4
  all.set(values);
  all.set(new Float32Array(randomBits.buffer), values.length);
  return all;
}

function firstMismatch(inputs: Float32Array, actual: ArrayLike<number>): string | null {
  for (let i = 0; i < inputs.length; i++) {
    const expected = Math.fround(roundToFloat16(inputs[i]!));
    const got = actual[i]!;
    if (!(Object.is(got, expected) || (Number.isNaN(got) && Number.isNaN(expected)))) {
      return `x = ${inputs[i]} (index ${i}) → ${got}, expected ${expected}`;
    }
  }
  return null;
}

const CASES = float32Cases();
let backend: WebGPUBackend;

/** Pipelines of this kernel in the backend's cache (keyed by shaderKey + ranks + dtypes + dispatch kind). */
function ourPipelines(): string[] {
  const cache = (backend as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache;
  return Object.keys(cache).filter((key) => key.startsWith('float16RoundTrip')).sort();
}

beforeAll(async () => {
  const environment = await initBackend('webgpu');
  expect(environment.backend).toBe('webgpu');
  backend = tf.backend() as WebGPUBackend;
});

let tensorsBefore = 0;
beforeEach(() => {
  tensorsBefore = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

describe('Float16RoundTrip kernel on Node WebGPU', () => {
  it('was registered before the webgpu backend existed, and runs on it', () => {
    expect(webgpuBackendAtImport).toBeNull();
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(FLOAT16_ROUND_TRIP, 'webgpu')).toBeDefined();
  });

  it('equals roundToFloat16 bit for bit: vec4 shader (length % 4 = 0) and scalar shader (odd length)', async () => {
    expect(CASES.length % 4).toBe(0);
    for (const inputs of [CASES, CASES.subarray(0, CASES.length - 1)]) {
      const x = tf.tensor1d(inputs);
      const y = float16RoundTripKernel(x);
      const actual = await y.data();
      tf.dispose([x, y]);
      expect(actual.length).toBe(inputs.length);
      expect(firstMismatch(inputs, actual)).toBeNull();
    }
    const pipelines = ourPipelines();
    expect(pipelines).toHaveLength(2);
    expect(pipelines.filter((key) => key.startsWith('float16RoundTrip_vec4'))).toHaveLength(1);
  });

  it('dispatches one kernel per call and reuses one pipeline for every shape and rank', async () => {
    const run = vi.spyOn(backend, 'runWebGPUProgram');
    const shapes = [[32, 28, 28, 16], [7, 12], [3, 4, 5], [2, 1, 2, 3, 1, 2], [5], [3, 5, 7]];
    try {
      for (const shape of shapes) {
        const x = tf.randomUniform(shape, -70000, 70000);
        await x.data(); // so the count below sees only our kernel
        run.mockClear();
        const y = float16RoundTripKernel(x);
        expect(run).toHaveBeenCalledTimes(1);
        expect(y.shape).toEqual(shape);
        const [inputs, actual] = [await x.data() as Float32Array, await y.data()];
        expect(firstMismatch(inputs, actual)).toBeNull();
        tf.dispose([x, y]);
      }
    } finally {
      run.mockRestore();
    }
    // Flat 1-D views: one vec4 pipeline (element count % 4 = 0) and one scalar pipeline, whatever the shape.
    expect(ourPipelines().filter((key) => key.includes('float32,float32'))).toHaveLength(2);
  });

  it('casts int32 input (a float32 label on an int32 buffer) and keeps rank-0 and empty tensors', async () => {
    const cases: Array<[tf.Tensor, number[]]> = [
      [tf.tensor1d([2049, 65519, 65520, -3, 1, 2, 3, 70000], 'int32'), [2048, 65504, Infinity, -3, 1, 2, 3, Infinity]],
      [tf.tensor1d([2049, 65519, 65520], 'int32'), [2048, 65504, Infinity]],
      [tf.scalar(1 / 3), [0.333251953125]],
      [tf.tensor2d([], [0, 4]), []],
    ];
    for (const [x, expected] of cases) {
      const y = float16RoundTripKernel(x);
      expect(y.shape).toEqual(x.shape);
      const values = Array.from(await y.data());
      tf.dispose([x, y]);
      expect(values).toEqual(expected);
    }
  });

  it('float16RoundTrip: forward and gradient rounded to binary16, one kernel each way, no leaks', async () => {
    const xs = [0.1, 1 / 3, 1 + 2 ** -11, 3, -7, 1e-6, 2 ** -26, 70000];
    const ws = [0.1, 70000, 2 ** -26, -Math.PI, 65519, -(2 ** -25), 1e-7, 2049];
    const x = tf.tensor1d(xs);
    const w = tf.tensor1d(ws);
    const forward = float16RoundTrip(x);
    expect(Array.from(await forward.data())).toEqual(xs.map(roundToFloat16));
    const profile = await tf.profile(async () => {
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(float16RoundTrip(t), w)))(x);
      const g = Array.from(await grad.data());
      expect(g.every((v, i) => Object.is(v, roundToFloat16(ws[i]!)))).toBe(true);
      grad.dispose();
    });
    expect(profile.kernels.filter((k) => k.name === FLOAT16_ROUND_TRIP)).toHaveLength(2); // forward + backward
    tf.dispose([x, w, forward]);
  });
});
