/**
 * The Float16RoundTrip kernel on tfjs's WebGPU backend in Node (Dawn; SwiftShader on machines without a GPU):
 * bit-exact against the scalar roundToFloat16, one dispatch per call, one pipeline for every shape, its gradient,
 * and no leaked tensors.
 *
 * fp16-kernels is imported statically, so its kernels are registered *before* tfjs-backend-webgpu is loaded (by
 * initBackend, in beforeAll): registering a kernel under a backend name does not need the backend to exist.
 */
import * as tf from '../../src/core/tf';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describe, expect, it, vi } from 'vitest';
import { FLOAT16_ROUND_TRIP, float16RoundTripKernel } from '../../src/core/kernels/fp16-kernels';
import { float16RoundTrip, roundToFloat16 } from '../../src/core/train/precision';
import { firstMismatch, float32Cases, onBackendWithoutLeaks, padded, pipelineKeys } from './packed-float16-cases';

const webgpuBackendAtImport = tf.findBackendFactory('webgpu');

/** The shared ≈ 286k inputs (packed-float16-cases.ts): odd length for the scalar shader, padded for the vec4 one. */
const ODD_CASES = float32Cases();
const VEC4_CASES = padded(ODD_CASES, 4);

/** Pipelines of this kernel in the backend's cache (keyed by shaderKey + ranks + dtypes + dispatch kind). */
const ourPipelines = () => pipelineKeys(/^float16RoundTrip/);

onBackendWithoutLeaks('webgpu');

describe('Float16RoundTrip kernel on Node WebGPU', () => {
  it('was registered before the webgpu backend existed, and runs on it', () => {
    expect(webgpuBackendAtImport).toBeNull();
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.getKernel(FLOAT16_ROUND_TRIP, 'webgpu')).toBeDefined();
  });

  it('equals roundToFloat16 bit for bit: vec4 shader (length % 4 = 0) and scalar shader (odd length)', async () => {
    expect([VEC4_CASES.length % 4, ODD_CASES.length % 2]).toEqual([0, 1]);
    for (const inputs of [VEC4_CASES, ODD_CASES]) {
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
    const run = vi.spyOn(tf.backend() as WebGPUBackend, 'runWebGPUProgram');
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
