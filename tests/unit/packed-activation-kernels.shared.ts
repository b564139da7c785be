/**
 * The fused stored-activation kernels (packed-activation-kernels.ts) against the same computation written with tfjs
 * ops on the unpacked values. Registered by packed-activation-kernels.test.ts (cpu) and
 * packed-activation-kernels.webgpu.test.ts (Node WebGPU), which set the backend first.
 */
import * as tf from '../../src/core/tf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  activationGradient, batchNormInputGradient, channelMoments, channelSums, materialize, maxPoolGradient, packView,
  type ActivationView,
} from '../../src/core/kernels/packed-activation-kernels';
import { packFloat16, unpackFloat16 } from '../../src/core/kernels/packed-float16';

/** An odd element count (3 channels) so the last packed word holds one half. */
const SHAPE = [3, 5, 7, 3];
const CHANNELS = 3;

/** max |a − b| / max(|b|, 1) over all elements. */
async function maxError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(y[i]!), 1));
  return worst;
}

async function sameBits(a: tf.Tensor, b: tf.Tensor): Promise<boolean> {
  const [x, y] = [await a.data(), await b.data()];
  const [u, v] = [new Uint32Array(x.buffer, x.byteOffset, x.length), new Uint32Array(y.buffer, y.byteOffset, y.length)];
  return u.length === v.length && u.every((bits, i) => bits === v[i]);
}

export function kernelSuite(backendLabel: string): void {
  let tensorsBefore = 0;
  let x: tf.Tensor;
  let dy: tf.Tensor;
  let scale: tf.Tensor1D;
  let shift: tf.Tensor1D;
  let words: tf.Tensor1D;
  let unpacked: tf.Tensor;
  const packedView = (overrides: Partial<ActivationView> = {}): ActivationView => ({
    source: { tensor: words, packed: true }, shape: SHAPE, channels: CHANNELS, affine: { scale, shift }, activation: 'linear', cap: null, ...overrides,
  });
  const floatView = (overrides: Partial<ActivationView> = {}): ActivationView =>
    packedView({ source: { tensor: unpacked, packed: false }, ...overrides });

  beforeEach(() => {
    tensorsBefore = tf.memory().numTensors;
    x = tf.randomNormal(SHAPE, 0.5, 2, 'float32', 1);
    dy = tf.randomNormal(SHAPE, 0, 1, 'float32', 2);
    scale = tf.tensor1d([1.5, -0.75, 3]);
    shift = tf.tensor1d([0.25, 2, -1]);
    words = packFloat16(x).words;
    unpacked = unpackFloat16({ words, shape: SHAPE });
  });
  afterEach(() => {
    tf.dispose([x, dy, scale, shift, words, unpacked]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  describe(`stored-activation kernels on ${backendLabel}`, () => {
    it('materialize: packed and float sources give the same bits; the view is act(v · scale + shift) per channel', async () => {
      for (const view of [{}, { activation: 'relu' as const }, { activation: 'relu' as const, cap: 2 }]) {
        const fromPacked = materialize(packedView(view));
        const fromFloat = materialize(floatView(view));
        const reference = tf.tidy(() => {
          const v = tf.add(tf.mul(unpacked, scale), shift);
          if (view.activation !== 'relu') return v;
          return view.cap !== undefined ? tf.clipByValue(v, 0, view.cap) : tf.relu(v);
        });
        expect(fromPacked.shape).toEqual(SHAPE);
        expect(await sameBits(fromPacked, fromFloat)).toBe(true);
        expect(await maxError(fromPacked, reference)).toBeLessThan(1e-6);
        tf.dispose([fromPacked, fromFloat, reference]);
      }
    });

    it('packView: the same words as packing the materialised view', async () => {
      const view = packedView({ source: { tensor: x, packed: false } });
      const direct = packView(view);
      const viaFloat = tf.tidy(() => packFloat16(materialize(view)).words);
      expect(direct.shape).toEqual([Math.ceil(x.size / 2)]);
      expect(await sameBits(direct, viaFloat)).toBe(true);
      tf.dispose([direct, viaFloat]);
    });

    it('activationGradient: dy where 0 < v ≤ cap (relu: no cap), else 0', async () => {
      for (const cap of [null, 1]) {
        const grad = activationGradient(dy, packedView(), cap);
        const reference = tf.tidy(() => {
          const v = materialize(packedView());
          const keep = cap === null ? tf.greater(v, 0) : tf.logicalAnd(tf.greater(v, 0), tf.lessEqual(v, cap));
          return tf.where(keep, dy, tf.zerosLike(dy));
        });
        expect(await sameBits(grad, reference)).toBe(true);
        tf.dispose([grad, reference]);
      }
    });

    it('batchNormInputGradient: k · (dy − a − x̂ · b) per channel, x̂ read from packed halves', async () => {
      const [k, a, b] = [tf.tensor1d([2, 0.5, -1]), tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor1d([1, 2, -0.5])];
      const grad = batchNormInputGradient(dy, { tensor: words, packed: true }, CHANNELS, k, a, b);
      const reference = tf.tidy(() => tf.mul(k, tf.sub(tf.sub(dy, a), tf.mul(unpacked, b))));
      expect(await maxError(grad, reference)).toBeLessThan(1e-6);
      tf.dispose([grad, reference, k, a, b]);
    });

    it('maxPoolGradient equals tfjs\'s max-pool gradient at the view\'s values (valid and overlapping same windows, relu mask)', async () => {
      // Distinct values (multiples of 1/8, exact in half precision), so no window has a tie.
      const values = Array.from({ length: x.size }, (_, i) => ((i * 37) % x.size) / 8 - 20);
      const input = tf.tensor(values, SHAPE);
      const stored = packFloat16(input).words;
      const view: ActivationView = { source: { tensor: stored, packed: true }, shape: SHAPE, channels: CHANNELS, affine: null, activation: 'linear', cap: null };
      for (const [filter, strides, pad] of [[2, 2, 'valid'], [3, 2, 'same']] as const) {
        const { padInfo, outHeight, outWidth } = tf.backend_util.computePool2DInfo(SHAPE as [number, number, number, number], filter, strides, 1, pad);
        const pooled = tf.randomNormal([SHAPE[0]!, outHeight, outWidth, CHANNELS], 0, 1, 'float32', 3);
        for (const reluMask of [false, true]) {
          const grad = maxPoolGradient(pooled, view, { filter: [filter, filter], strides: [strides, strides], pad: [padInfo.top, padInfo.left], reluMask });
          const reference = tf.tidy(() => {
            const through = (t: tf.Tensor) => tf.maxPool(reluMask ? tf.relu(t) as tf.Tensor4D : t as tf.Tensor4D, filter, strides, pad);
            return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(through(t), pooled)))(input);
          });
          expect(grad.shape).toEqual(SHAPE);
          expect(await maxError(grad, reference)).toBeLessThan(1e-6);
          tf.dispose([grad, reference]);
        }
        pooled.dispose();
      }
      tf.dispose([input, stored]);
    });

    it('channelSums and channelMoments equal tf.sum and tf.moments over every axis but the channels', async () => {
      const axes = [0, 1, 2];
      const { sums, weightedSums } = channelSums(dy, CHANNELS, { tensor: words, packed: true });
      const plain = channelSums(dy, CHANNELS, null);
      const { mean, variance } = channelMoments(x);
      const reference = tf.tidy(() => [tf.sum(dy, axes), tf.sum(tf.mul(dy, unpacked), axes), tf.moments(x, axes)] as const);
      const [refSums, refWeighted, moments] = reference;
      expect(plain.weightedSums).toBeNull();
      expect(await maxError(sums, refSums)).toBeLessThan(1e-5);
      expect(await maxError(plain.sums, refSums)).toBeLessThan(1e-5);
      expect(await maxError(weightedSums!, refWeighted)).toBeLessThan(1e-5);
      expect(await maxError(mean, moments.mean)).toBeLessThan(1e-6);
      expect(await maxError(variance, moments.variance)).toBeLessThan(1e-5);
      tf.dispose([sums, weightedSums!, plain.sums, mean, variance, refSums, refWeighted, moments.mean, moments.variance]);
    });
  });
}
