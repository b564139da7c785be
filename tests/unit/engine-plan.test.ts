/** The fused engine's plan (CPU backend, no GPU needed): what it covers, the reason when it does not, the flat layout. */
import * as tf from '../../src/core/tf';
import { describe, expect, it } from 'vitest';
import { coverage, planOf } from '../../src/core/engine/plan';
import { seededModel } from './engine-cases';

describe('fused engine coverage', () => {
  it.each(['mlp', 'cnn-small'] as const)('covers %s and lays every trainable variable out once, in order', (name) => {
    const model = seededModel(name);
    expect(coverage(model)).toEqual({ ok: true });
    const plan = planOf(model);
    const sizes = model.trainableWeights.map((w) => w.read().size);
    expect(plan.parameters.map((p) => p.size)).toEqual(sizes);
    expect(plan.parameters.map((p) => p.offset)).toEqual(sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0)));
    expect(plan.parameterCount).toBe(sizes.reduce((a, b) => a + b, 0));
    model.dispose();
  });

  it.each(['mobilenet-v2-tiny', 'efficientnet-lite-tiny', 'resnet-mini'] as const)('gives %s a reason, not a plan', (name) => {
    const model = seededModel(name);
    const result = coverage(model);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/not covered|chain|activation/);
    expect(() => planOf(model)).toThrow(/cannot train this model/);
    model.dispose();
  });

  it('names the layer it stops at: BatchNormalization', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3 }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(coverage(model)).toEqual({ ok: false, reason: 'layer bn: BatchNormalization is not covered by the fused engine yet' });
    model.dispose();
  });

  it('refuses a model that ends in softmax: the fused loss takes logits', () => {
    const model = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 2, activation: 'softmax', name: 'probabilities' })],
    });
    expect(coverage(model)).toEqual({ ok: false, reason: 'layer probabilities: activation softmax (the fused engine has relu and linear)' });
    model.dispose();
  });
});
