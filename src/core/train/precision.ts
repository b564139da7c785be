/**
 * Numerics of the precision modes (DESIGN.md §4): IEEE 754 binary16 rounding, as a scalar and as tfjs ops, for fp16
 * *emulation* (values rounded through half precision, stored as float32: no memory saving), and dynamic loss scaling
 * for mixed precision (fp32 master weights, scaled loss, skipped steps on inf/NaN).
 */
import * as tf from '@tensorflow/tfjs';
import { float16RoundTripKernel, hasFloat16RoundTripKernel } from '../kernels/fp16-kernels';
import type { LossScalerSummary } from '../result';

/** Largest finite binary16 value, (2 − 2^-10) · 2^15. */
export const FLOAT16_MAX = 65504;
/** Midpoint between 65504 and 2^16: ties-to-even picks the even significand 2^16, which overflows to Infinity. */
const FLOAT16_OVERFLOW = 65520;
/** Exponent of the smallest normal half; below it the spacing stays 2^-24 (subnormals). */
const MIN_EXPONENT = -14;
const MAX_EXPONENT = 15;
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

/** 2^k for k = -24..24 at index k + 24: every quantum, inverse quantum and binade bound the tensor version needs. */
const POW2_OFFSET = 24;
const POW2_TABLE = Float32Array.from({ length: 2 * POW2_OFFSET + 1 }, (_, i) => pow2(i - POW2_OFFSET));

/**
 * roundToFloat16 with tfjs ops, for any backend, on float32 tensors (fp16 storage emulation).
 *
 * The exponent comes from log, which is only approximate (float32, and looser still on GPUs), so it is used as a guess
 * and corrected by one binade against exact powers of two. Powers of two come from a gathered table rather than pow(),
 * whose GPU versions are not exact. Scaling by them and tf.round (ties to even on cpu, webgl and webgpu) are exact.
 */
export function roundToFloat16Tensor(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const table = tf.tensor1d(POW2_TABLE);
    // Plain numbers would become float32 scalars and turn the exponent arithmetic (and gather's indices) float.
    const int = (n: number) => tf.scalar(n, 'int32');
    const pow2At = (k: tf.Tensor) => tf.gather(table, tf.add(k, int(POW2_OFFSET)));
    const a = tf.abs(x);
    // Below 2^-14 the quantum is the subnormal one and from 2^15 up the top binade's; NaN only needs a harmless index.
    const clamped = tf.clipByValue(tf.where(tf.isNaN(a), 1, a), 2 ** MIN_EXPONENT, 2 ** MAX_EXPONENT);
    const guess = tf.cast(
      tf.clipByValue(tf.floor(tf.mul(tf.log(clamped), Math.LOG2E)), MIN_EXPONENT, MAX_EXPONENT), 'int32');
    const guessTooHigh = tf.cast(tf.less(clamped, pow2At(guess)), 'int32');
    const guessTooLow = tf.cast(tf.greaterEqual(clamped, pow2At(tf.add(guess, int(1)))), 'int32');
    const exponent = tf.add(tf.sub(guess, guessTooHigh), guessTooLow);
    const quantum = pow2At(tf.sub(exponent, int(MANTISSA_BITS)));
    const inverse = pow2At(tf.sub(int(MANTISSA_BITS), exponent));
    const rounded = tf.mul(tf.round(tf.mul(a, inverse)), quantum);
    const magnitude = tf.where(tf.greater(rounded, FLOAT16_MAX), Infinity, rounded);
    // neg(0) is −0, so negatives that round to zero keep their sign; ±0 and NaN inputs pass through unchanged.
    const signed = tf.where(tf.less(x, 0), tf.neg(magnitude), magnitude);
    return tf.where(tf.logicalOr(tf.equal(x, 0), tf.isNaN(x)), x, signed);
  });
}

/**
 * roundToFloat16Tensor in one kernel (`Float16RoundTrip`, fp16-kernels.ts) on cpu, webgl 2 and webgpu; the op-by-op
 * version elsewhere (wasm, WebGL 1). The kernel equals roundToFloat16 bit for bit (tested on cpu and on webgpu in
 * Node/Dawn). roundToFloat16Tensor does on cpu; on webgpu and webgl (SwiftShader) it returns float32 subnormal inputs
 * (|x| < 2^-126) unchanged instead of ±0 (observed; probably the GPU flushes them to 0 in `equal(x, 0)`).
 */
function roundToFloat16Fast(x: tf.Tensor): tf.Tensor {
  return hasFloat16RoundTripKernel() ? float16RoundTripKernel(x) : roundToFloat16Tensor(x);
}

/**
 * Identity up to fp16 rounding in both directions: the forward value and the incoming gradient are each rounded to
 * binary16, which is what storing activations and their gradients in half precision does to the numerics.
 * One kernel each way (see roundToFloat16Fast).
 */
export const float16RoundTrip = tf.customGrad((x) => ({
  value: roundToFloat16Fast(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => roundToFloat16Fast(dy),
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
