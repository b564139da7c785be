/**
 * The Float16RoundTrip kernel on tfjs's CPU backend: bit-exact against the scalar roundToFloat16 (precision.ts),
 * one kernel per call, its gradient, registration, and no leaked tensors. The webgpu kernel is checked the same way
 * in fp16-kernels.webgpu.test.ts; the cpu kernel is the JavaScript form of the shaders' integer algorithm.
 */
import * as tf from '../../src/core/tf';
import { describe, expect, it, vi } from 'vitest';
import {
  FLOAT16_ROUND_TRIP, float16RoundTripKernel, hasFloat16RoundTripKernel, registerFloat16RoundTripKernels,
  roundFloat32BitsToFloat16,
} from '../../src/core/kernels/fp16-kernels';
import { float16RoundTrip, roundToFloat16 } from '../../src/core/train/precision';
import { roundToFloat16ByOps } from './float16-reference';
import { firstMismatch, float32Cases, onBackendWithoutLeaks } from './packed-float16-cases';

const CASES = float32Cases();

onBackendWithoutLeaks('cpu');

describe('Float16RoundTrip kernel (cpu)', () => {
  it('covers ≈ 286k inputs of every kind', () => {
    expect(CASES.length).toBeGreaterThan(150_000);
    const kinds = { nan: 0, inf: 0, f32Subnormal: 0, halfSubnormal: 0, overflow: 0 };
    for (const v of CASES) {
      const a = Math.abs(v);
      if (Number.isNaN(v)) kinds.nan++;
      else if (a === Infinity) kinds.inf++;
      else if (a > 0 && a < 2 ** -126) kinds.f32Subnormal++;
      else if (a > 0 && a < 2 ** -14) kinds.halfSubnormal++;
      else if (a >= 65520) kinds.overflow++;
    }
    for (const count of Object.values(kinds)) expect(count).toBeGreaterThan(2);
  });

  it('equals roundToFloat16 bit for bit on every input', () => {
    const x = tf.tensor1d(CASES);
    const y = tf.engine().runKernel(FLOAT16_ROUND_TRIP, { x }) as tf.Tensor;
    const actual = y.dataSync();
    tf.dispose([x, y]);
    expect(y.dtype).toBe('float32');
    expect(firstMismatch(CASES, actual)).toBeNull(); // the length too
  });

  it('agrees with the op-by-op reference roundToFloat16ByOps', () => {
    const x = tf.tensor1d(CASES);
    const [kernel, reference] = [float16RoundTripKernel(x), roundToFloat16ByOps(x)];
    const [a, b] = [new Uint32Array(kernel.dataSync().buffer), new Uint32Array(reference.dataSync().buffer)];
    tf.dispose([x, kernel, reference]);
    let differing = 0;
    for (let i = 0; i < a.length; i++) {
      const nan = (bits: number) => (bits & 0x7fffffff) > 0x7f800000;
      if (a[i] !== b[i] && !(nan(a[i]!) && nan(b[i]!))) differing++;
    }
    expect(differing).toBe(0);
  });

  it("is the shaders' algorithm: its bit-level form matches on runs of patterns spread over all of float32", () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const out = new Float32Array(1);
    const outBits = new Uint32Array(out.buffer);
    const mismatches: string[] = [];
    // 300 runs of 1000 consecutive patterns, staggered so that they land at different places in each binade.
    for (let run = 0; run < 300; run++) {
      const start = Math.floor(run * (2 ** 32 / 300)) + run * 7919;
      for (let k = 0; k < 1000; k++) {
        u32[0] = start + k;
        outBits[0] = roundFloat32BitsToFloat16(u32[0]!);
        const expected = Math.fround(roundToFloat16(f32[0]!));
        const ok = Number.isNaN(expected) ? outBits[0] === u32[0] : Object.is(out[0], expected); // NaN keeps its payload
        if (!ok && mismatches.length < 5) mismatches.push(`${u32[0]!.toString(16)}: ${f32[0]} → ${out[0]}, expected ${expected}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('keeps shape, handles rank 0, rank 6 and empty tensors, and casts int32 input', () => {
    const cases: Array<[tf.Tensor, number[]]> = [
      [tf.scalar(0.1), [0.0999755859375]],
      [tf.tensor([1 / 3, -70000, 2 ** -26, -(2 ** -26)], [1, 1, 2, 1, 2, 1]), [0.333251953125, -Infinity, 0, -0]],
      [tf.tensor2d([], [0, 3]), []],
      [tf.tensor1d([2049, 65519, 65520, -3], 'int32'), [2048, 65504, Infinity, -3]],
    ];
    for (const [x, expected] of cases) {
      const y = float16RoundTripKernel(x);
      expect(y.shape).toEqual(x.shape);
      expect(y.dtype).toBe('float32');
      const values = Array.from(y.dataSync());
      expect(values.every((v, i) => Object.is(v, expected[i]))).toBe(true);
      tf.dispose([x, y]);
    }
  });

  it('runs exactly one kernel per call, and float16RoundTrip one forward kernel', async () => {
    const x = tf.randomNormal([4, 5, 6]);
    const profile = await tf.profile(() => {
      tf.dispose(float16RoundTripKernel(x));
    });
    expect(profile.kernels.map((k) => k.name)).toEqual([FLOAT16_ROUND_TRIP]);
    const wrapped = await tf.profile(() => {
      tf.dispose(float16RoundTrip(x));
    });
    // tf.customGrad records its own scope as one more profile entry (named after the scope): no computation.
    expect(wrapped.kernels.filter((k) => k.name === FLOAT16_ROUND_TRIP)).toHaveLength(1);
    expect(wrapped.kernels.length).toBeLessThanOrEqual(2);
    x.dispose();
  });
});

describe('gradients', () => {
  const xs = [0.1, 1 / 3, 1 + 2 ** -11, 3, -7, 1e-6];
  const ws = [0.1, 70000, 2 ** -26, -Math.PI, 65519, -(2 ** -25)];
  const roundedW = ws.map(roundToFloat16);

  it.each([
    ['float16RoundTrip (customGrad wrapper)', float16RoundTrip],
    ['the raw kernel (its registered gradient)', float16RoundTripKernel],
  ])('d/dx sum(%s(x) · w) is w rounded to binary16', (_, roundTrip) => {
    const x = tf.tensor1d(xs);
    const w = tf.tensor1d(ws);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roundTrip(t), w)))(x);
    const g = Array.from(grad.dataSync());
    expect(g.every((v, i) => Object.is(v, roundedW[i]))).toBe(true);
    tf.dispose([x, w, grad]);
  });

  it('the backward pass is one Float16RoundTrip kernel on dy, and nothing leaks across repeated steps', async () => {
    const init = tf.randomNormal([8, 16]);
    const x = tf.variable(init);
    init.dispose();
    const w = tf.randomNormal([8, 16]);
    const step = () => tf.tidy(() => tf.variableGrads(() => tf.sum(tf.mul(float16RoundTrip(x), w))).grads[x.name]!.clone());
    const after = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(after);
    const profile = await tf.profile(() => {
      step().dispose();
    });
    expect(profile.kernels.filter((k) => k.name === FLOAT16_ROUND_TRIP)).toHaveLength(2); // forward + backward
    tf.dispose([x, w]);
  });
});

describe('registration', () => {
  it('is registered for cpu, webgl and webgpu by name, whether or not those backends exist', () => {
    expect(tf.findBackendFactory('webgpu')).toBeNull(); // tfjs-backend-webgpu is not loaded in this Node test
    for (const backend of ['cpu', 'webgl', 'webgpu']) expect(tf.getKernel(FLOAT16_ROUND_TRIP, backend)).toBeDefined();
    expect(hasFloat16RoundTripKernel('cpu')).toBe(true);
    expect(hasFloat16RoundTripKernel()).toBe(true);
    expect(hasFloat16RoundTripKernel('wasm')).toBe(false);
  });

  it('is idempotent: registering again neither warns nor replaces anything', () => {
    const before = tf.getKernel(FLOAT16_ROUND_TRIP, 'webgpu');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      registerFloat16RoundTripKernels();
      registerFloat16RoundTripKernels();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(tf.getKernel(FLOAT16_ROUND_TRIP, 'webgpu')).toBe(before);
  });

  it('rejects a non-float32 input at the kernel level with a clear message', () => {
    const x = tf.tensor1d([1, 2], 'int32');
    expect(() => tf.engine().runKernel(FLOAT16_ROUND_TRIP, { x })).toThrow(/float32/);
    x.dispose();
  });
});
