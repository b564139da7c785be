/** The op-by-op binary16 rounding, kept as a second, independent reference for the Float16RoundTrip kernel. */
import * as tf from '../../src/core/tf';
import { FLOAT16_MAX } from '../../src/core/train/precision';

/** Exponent of the smallest normal half and of the top binade; a half has 10 significand bits. */
const MIN_EXPONENT = -14;
const MAX_EXPONENT = 15;
const MANTISSA_BITS = 10;

/** 2^k for k = -24..24 at index k + 24: every quantum, inverse quantum and binade bound the tensor version needs. */
const POW2_OFFSET = 24;
const POW2_TABLE = Float32Array.from({ length: 2 * POW2_OFFSET + 1 }, (_, i) => 2 ** (i - POW2_OFFSET));

/**
 * roundToFloat16 with tfjs ops, for any backend, on float32 tensors: the reference the Float16RoundTrip kernel is
 * checked against (38 dispatches on webgpu where the kernel needs one).
 *
 * The exponent comes from log, which is only approximate (float32, and looser still on GPUs), so it is used as a guess
 * and corrected by one binade against exact powers of two. Powers of two come from a gathered table rather than pow(),
 * whose GPU versions are not exact. Scaling by them and tf.round (ties to even on cpu, webgl and webgpu) are exact.
 * On webgpu and webgl (SwiftShader) float32-subnormal inputs come back unchanged instead of ±0 (the GPU flushes them
 * to 0 in `equal(x, 0)`); on cpu it equals roundToFloat16 bit for bit.
 */
export function roundToFloat16ByOps(x: tf.Tensor): tf.Tensor {
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
