/**
 * Numerics of the precision modes: binary16 rounding (scalar, and one kernel for tensors) and dynamic loss scaling
 * (fp32 master weights, scaled loss, skipped steps on inf/NaN).
 */
import * as tf from '../tf';
import { float16RoundTripKernel, hasFloat16RoundTripKernel } from '../kernels/fp16-kernels';
import type { LossScalerSummary } from '../result';

/** Largest finite binary16 value, (2 − 2^-10) · 2^15. */
export const FLOAT16_MAX = 65504;
/** Midpoint between 65504 and 2^16: ties-to-even picks the even significand 2^16, which overflows to Infinity. */
const FLOAT16_OVERFLOW = 65520;
/** Exponent of the smallest normal half; below it the spacing stays 2^-24 (subnormals). */
const MIN_EXPONENT = -14;
const MANTISSA_BITS = 10;

const scratch = new DataView(new ArrayBuffer(8));

/** Exact 2^k for -1022 ≤ k ≤ 1023, built from the bits so no pow() rounding can creep in. */
function pow2(k: number): number {
  scratch.setUint32(0, (k + 1023) << 20);
  scratch.setUint32(4, 0);
  return scratch.getFloat64(0);
}

/** Unbiased binary exponent of a positive double (−1023 for double subnormals, which only ever reach the clamp). */
function exponentOf(a: number): number {
  scratch.setFloat64(0, a);
  return ((scratch.getUint32(0) >>> 20) & 0x7ff) - 1023;
}

/** Rounds to an integer, ties to even; exact for |v| < 2^52. */
function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The binary16 value nearest to x (one rounding from the exact double, ties to even), as a number: overflow to
 * ±Infinity from 65520 up, subnormals down to 2^-24, signed zero and NaN preserved.
 */
export function roundToFloat16(x: number): number {
  if (x === 0 || Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a >= FLOAT16_OVERFLOW) return x > 0 ? Infinity : -Infinity;
  const quantum = pow2(Math.max(exponentOf(a), MIN_EXPONENT) - MANTISSA_BITS);
  // Dividing by a power of two is exact here, so the only rounding is the one to an integer multiple of the quantum.
  const r = roundHalfEven(a / quantum) * quantum;
  return x < 0 ? -r : r;
}

/**
 * x rounded to the nearest binary16 value element-wise, as float32, in one `Float16RoundTrip` dispatch
 * (kernels/fp16-kernels.ts: cpu, WebGL 2, WebGPU), bit for bit roundToFloat16.
 */
export function roundTensorToFloat16(x: tf.Tensor): tf.Tensor {
  if (!hasFloat16RoundTripKernel()) {
    throw new Error(`Half-precision rounding needs the Float16RoundTrip kernel (cpu, WebGL 2, WebGPU); the ${tf.getBackend()} backend has none.`);
  }
  return float16RoundTripKernel(x);
}

/**
 * Identity up to fp16 rounding in both directions: the forward value and the incoming gradient are each rounded to
 * binary16, which is what storing activations and their gradients in half precision does to the numerics.
 */
export const float16RoundTrip = tf.customGrad((x) => ({
  value: roundTensorToFloat16(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => roundTensorToFloat16(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/** True (bool scalar, on the device) when every element of every gradient is finite: one readback per step. */
export function allFinite(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    const perTensor = Object.values(grads).map((g) => tf.all(tf.isFinite(g)));
    return perTensor.length === 0 ? tf.scalar(true, 'bool') : tf.all(tf.stack(perTensor));
  });
}

/** Gradients divided by the loss scale (a power of two, so exact unless a value underflows); the caller disposes. */
export function unscaleGradients(grads: tf.NamedTensorMap, scale: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const out: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, 1 / scale);
    return out;
  });
}

export interface LossScalerOptions {
  /** Starting scale; 2^15 as in PyTorch's GradScaler. */
  initialScale?: number;
  /** Consecutive finite steps before the scale doubles. */
  growthInterval?: number;
  /** Floor, so repeated overflow cannot drive the scale to 0. */
  minScale?: number;
  /** Ceiling, so all-zero gradients cannot grow it to Infinity (2^24, as NVIDIA Apex). */
  maxScale?: number;
}

/**
 * Dynamic loss scaling: multiply the loss by `scale`, unscale the gradients, and report each step's finiteness to
 * `update`. A non-finite step must not be applied: the scale halves. After `growthInterval` clean steps it doubles.
 */
export class DynamicLossScaler {
  private current: number;
  private cleanStreak = 0;
  private readonly growthInterval: number;
  private readonly minScale: number;
  private readonly maxScale: number;
  private skipped = 0;
  private total = 0;

  constructor(options: LossScalerOptions = {}) {
    this.current = options.initialScale ?? 2 ** 15;
    this.growthInterval = options.growthInterval ?? 2000;
    this.minScale = options.minScale ?? 1;
    this.maxScale = options.maxScale ?? 2 ** 24;
    if (!(this.growthInterval >= 1) || !(this.minScale > 0) || !(this.minScale <= this.current && this.current <= this.maxScale)) {
      throw new Error('DynamicLossScaler: need growthInterval ≥ 1 and 0 < minScale ≤ initialScale ≤ maxScale.');
    }
  }

  get scale(): number {
    return this.current;
  }

  get skippedSteps(): number {
    return this.skipped;
  }

  get totalSteps(): number {
    return this.total;
  }

  update(foundNonFinite: boolean): { skipped: boolean } {
    this.total++;
    if (foundNonFinite) {
      this.skipped++;
      this.cleanStreak = 0;
      this.current = Math.max(this.current * 0.5, this.minScale);
      return { skipped: true };
    }
    this.cleanStreak++;
    if (this.cleanStreak === this.growthInterval) {
      this.cleanStreak = 0;
      this.current = Math.min(this.current * 2, this.maxScale);
    }
    return { skipped: false };
  }

  toJSON(): LossScalerSummary {
    return { finalScale: this.current, skippedSteps: this.skipped, totalSteps: this.total };
  }
}
