import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DynamicLossScaler, FLOAT16_MAX, allFinite, float16RoundTrip, roundToFloat16, unscaleGradients,
} from '../../src/core/train/precision';
import { createRng } from '../../src/core/rng';
import { decodeHalf, firstMismatch, float32Cases } from './packed-float16-cases';
import { roundToFloat16ByOps } from './float16-reference';

/** Finite non-negative halves in increasing order (bit patterns 0x0000..0x7bff are monotonic). */
const POSITIVE_HALVES = Array.from({ length: 0x7c00 }, (_, bits) => decodeHalf(bits));

/** Neighbouring doubles, to probe just either side of a tie. */
function nextDouble(x: number, direction: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(x > 0 ? direction : -direction));
  return view.getFloat64(0);
}

function expectSame(actual: number, expected: number, input: number): void {
  if (!Object.is(actual, expected)) throw new Error(`round(${input}) = ${actual}, expected ${expected}`);
}

describe('roundToFloat16 (scalar)', () => {
  it('maps every binary16 value to itself, signed zeros, infinities and NaN included', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const h = decodeHalf(bits);
      const r = roundToFloat16(h);
      if (Number.isNaN(h)) expect(r).toBeNaN();
      else expectSame(r, h, h);
    }
  });

  it('rounds every midpoint between consecutive halves to the even significand, and its neighbours to the nearer', () => {
    for (let i = 0; i + 1 < POSITIVE_HALVES.length; i++) {
      const [lo, hi] = [POSITIVE_HALVES[i]!, POSITIVE_HALVES[i + 1]!];
      const mid = (lo + hi) / 2;
      const even = i % 2 === 0 ? lo : hi; // the bit pattern's last bit is the significand's last bit
      for (const sign of [1, -1]) {
        expectSame(roundToFloat16(sign * mid), sign * even, sign * mid);
        expectSame(roundToFloat16(sign * nextDouble(mid, -1)), sign * lo, sign * nextDouble(mid, -1));
        expectSame(roundToFloat16(sign * nextDouble(mid, 1)), sign * hi, sign * nextDouble(mid, 1));
      }
    }
  });

  it('has max 65504 and overflows to ±Infinity from 65520 (the tie with 2^16) up', () => {
    expect(FLOAT16_MAX).toBe(65504);
    expect(roundToFloat16(65504)).toBe(65504);
    expect(roundToFloat16(65519)).toBe(65504);
    expect(roundToFloat16(65519.99)).toBe(65504);
    expect(roundToFloat16(65520)).toBe(Infinity);
    expect(roundToFloat16(-65520)).toBe(-Infinity);
    expect(roundToFloat16(65536)).toBe(Infinity);
    expect(roundToFloat16(1e6)).toBe(Infinity);
    expect(roundToFloat16(-1e300)).toBe(-Infinity);
    expect(roundToFloat16(Infinity)).toBe(Infinity);
    expect(roundToFloat16(32768 + 16)).toBe(32768); // spacing 32 in the top binade, tie goes to even
    expect(roundToFloat16(32768 + 48)).toBe(32768 + 64);
  });

  it('has subnormals down to 2^-24 and flushes below 2^-25 to a signed zero', () => {
    expect(roundToFloat16(2 ** -24)).toBe(5.960464477539063e-8);
    expect(roundToFloat16(1023 * 2 ** -24)).toBe(6.097555160522461e-5); // largest subnormal
    expect(roundToFloat16(2 ** -14)).toBe(6.103515625e-5); // smallest normal
    expect(roundToFloat16(2 ** -25)).toBe(0); // tie between 0 and 2^-24: 0 is even
    expect(roundToFloat16(2 ** -25 * (1 + 2 ** -20))).toBe(2 ** -24);
    expect(roundToFloat16(3 * 2 ** -25)).toBe(2 ** -23); // tie between 2^-24 and 2^-23: 2^-23 is even
    expectSame(roundToFloat16(-(2 ** -25)), -0, -(2 ** -25));
    expectSame(roundToFloat16(-1e-30), -0, -1e-30);
    expectSame(roundToFloat16(1e-30), 0, 1e-30);
    expectSame(roundToFloat16(Number.MIN_VALUE), 0, Number.MIN_VALUE);
  });

  it('rounds half to even and matches known binary16 values', () => {
    expect(roundToFloat16(1 + 2 ** -11)).toBe(1);
    expect(roundToFloat16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToFloat16(2049)).toBe(2048);
    expect(roundToFloat16(2051)).toBe(2052);
    expect(roundToFloat16(0.1)).toBe(0.0999755859375);
    expect(roundToFloat16(1 / 3)).toBe(0.333251953125);
    expect(roundToFloat16(Math.PI)).toBe(3.140625);
    expect(roundToFloat16(-Math.E)).toBe(-2.71875);
    // One rounding from the double: through float32 first this would become the tie 1 + 2^-11 and then 1.
    expect(roundToFloat16(1 + 2 ** -11 + 2 ** -40)).toBe(1 + 2 ** -10);
  });

  it('preserves signed zero and NaN', () => {
    expectSame(roundToFloat16(0), 0, 0);
    expectSame(roundToFloat16(-0), -0, -0);
    expect(roundToFloat16(NaN)).toBeNaN();
  });

  const f16round = (Math as { f16round?: (x: number) => number }).f16round;
  it.skipIf(typeof f16round !== 'function')('agrees with Math.f16round over many magnitudes', () => {
    const rng = createRng(7);
    for (let i = 0; i < 200_000; i++) {
      const x = (rng.next() < 0.5 ? -1 : 1) * 10 ** (rng.next() * 16 - 10);
      expectSame(roundToFloat16(x), f16round!(x), x);
    }
  });
});

describe('roundToFloat16ByOps, the op-by-op reference (tfjs cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equals the scalar rounding bit for bit on float32 inputs and leaks no tensors', () => {
    // The shared inputs (packed-float16-cases.ts): every half, every tie and both its neighbours, random values, edges.
    const inputs = float32Cases();
    const baseline = tf.memory().numTensors;
    const x = tf.tensor1d(inputs);
    const y = roundToFloat16ByOps(x);
    const actual = y.dataSync();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(baseline);
    expect(firstMismatch(inputs, actual)).toBeNull(); // the length too
  });

  it('keeps the shape of a higher-rank tensor', () => {
    const y = tf.tidy(() => roundToFloat16ByOps(tf.tensor3d([0.1, 1 / 3, 70000, -(2 ** -26)], [1, 2, 2])));
    expect(y.shape).toEqual([1, 2, 2]);
    const values = Array.from(y.dataSync());
    expect(values.map((v, i) => Object.is(v, [0.0999755859375, 0.333251953125, Infinity, -0][i]))).toEqual([true, true, true, true]);
    y.dispose();
  });

  it('float16RoundTrip rounds the forward value and the backward gradient', () => {
    const baseline = tf.memory().numTensors;
    const x = tf.tensor1d([0.1, 1 / 3, 1 + 2 ** -11, 3]);
    const upstream = tf.tensor1d([0.1, 70000, 2 ** -26, -Math.PI]);
    const forward = float16RoundTrip(x);
    const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(float16RoundTrip(t), upstream)))(x);
    expect(Array.from(forward.dataSync())).toEqual([0.0999755859375, 0.333251953125, 1, 3]);
    // d/dt sum(round(t) * u) straight through is u, stored as fp16: rounded.
    expect(Array.from(gradient.dataSync())).toEqual([0.0999755859375, Infinity, 0, -3.140625]);
    tf.dispose([x, upstream, forward, gradient]);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('allFinite and unscaleGradients', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  function check(grads: tf.NamedTensorMap): boolean {
    const baseline = tf.memory().numTensors;
    const flag = allFinite(grads);
    expect(flag.shape).toEqual([]);
    const value = flag.dataSync()[0] === 1;
    flag.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    return value;
  }

  it('is true only when every element of every gradient is finite', () => {
    const finite = { a: tf.tensor2d([[1, -2], [3e38, -1e-45]]), b: tf.scalar(0) };
    expect(check(finite)).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const grads = { ...finite, c: tf.tensor1d([1, bad, 2]) };
      expect(check(grads)).toBe(false);
      grads.c.dispose();
    }
    expect(check({})).toBe(true);
    tf.dispose(Object.values(finite));
  });

  it('divides every gradient by the scale, exactly for a power of two', () => {
    const grads = { w: tf.tensor1d([2 ** 15, 3 * 2 ** 20, -1]), b: tf.scalar(2 ** -10) };
    const baseline = tf.memory().numTensors;
    const unscaled = unscaleGradients(grads, 2 ** 15);
    expect(tf.memory().numTensors).toBe(baseline + 2);
    expect(Array.from(unscaled.w!.dataSync())).toEqual([1, 96, -(2 ** -15)]);
    expect(unscaled.b!.dataSync()[0]).toBe(2 ** -25);
    tf.dispose([...Object.values(unscaled), ...Object.values(grads)]);
  });
});

describe('DynamicLossScaler', () => {
  it('starts at 2^15 and grows every 2000 clean steps by default', () => {
    const scaler = new DynamicLossScaler();
    expect(scaler.scale).toBe(32768);
    for (let i = 0; i < 1999; i++) scaler.update(false);
    expect(scaler.scale).toBe(32768);
    expect(scaler.update(false)).toEqual({ skipped: false });
    expect(scaler.scale).toBe(65536);
  });

  it('halves and skips on a non-finite step, and restarts the clean streak', () => {
    const scaler = new DynamicLossScaler({ growthInterval: 3 });
    const scales: number[] = [];
    const skipped: boolean[] = [];
    for (const bad of [false, false, true, false, false, false, false, true, true, false, false, false]) {
      skipped.push(scaler.update(bad).skipped);
      scales.push(scaler.scale);
    }
    expect(skipped).toEqual([false, false, true, false, false, false, false, true, true, false, false, false]);
    expect(scales).toEqual([
      2 ** 15, 2 ** 15, 2 ** 14, // the overflow interrupts the streak before it reaches 3
      2 ** 14, 2 ** 14, 2 ** 15, // three clean steps: double
      2 ** 15, 2 ** 14, 2 ** 13,
      2 ** 13, 2 ** 13, 2 ** 14,
    ]);
    expect(scaler.skippedSteps).toBe(3);
    expect(scaler.totalSteps).toBe(12);
    expect(scaler.toJSON()).toEqual({ finalScale: 2 ** 14, skippedSteps: 3, totalSteps: 12 });
    expect(JSON.parse(JSON.stringify({ scaler }))).toEqual({ scaler: { finalScale: 2 ** 14, skippedSteps: 3, totalSteps: 12 } });
  });

  it('never falls below the floor nor grows past the ceiling', () => {
    const falling = new DynamicLossScaler({ initialScale: 4 });
    for (let i = 0; i < 10; i++) expect(falling.update(true)).toEqual({ skipped: true });
    expect(falling.scale).toBe(1);
    const rising = new DynamicLossScaler({ growthInterval: 1, maxScale: 2 ** 17 });
    for (let i = 0; i < 10; i++) rising.update(false);
    expect(rising.scale).toBe(2 ** 17);
    expect(rising.toJSON()).toEqual({ finalScale: 2 ** 17, skippedSteps: 0, totalSteps: 10 });
  });

  it('rejects settings that cannot work', () => {
    expect(() => new DynamicLossScaler({ growthInterval: 0 })).toThrow();
    expect(() => new DynamicLossScaler({ minScale: 0 })).toThrow();
    expect(() => new DynamicLossScaler({ initialScale: 2 ** 30 })).toThrow();
  });
});
