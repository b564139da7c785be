/**
 * The fused engine's plan (CPU backend, no GPU needed): what it covers (the whole zoo), the reason when it does not,
 * the flat layouts of the parameters and of BatchNorm's moving statistics.
 */
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

  it.each(['mobilenet-v2-tiny', 'efficientnet-lite-tiny', 'resnet-mini'] as const)('covers %s: a graph with BatchNorm, ReLUs folded in', (name) => {
    const model = seededModel(name);
    expect(coverage(model)).toEqual({ ok: true });
    const plan = planOf(model);
    expect(plan.parameters.map((p) => p.variable)).toEqual(model.trainableWeights);
    const moving = model.nonTrainableWeights.filter((w) => /moving_(mean|variance)$/.test(w.name));
    expect(plan.moving.map((p) => p.variable)).toEqual(moving);
    expect(plan.movingCount).toBe(moving.reduce((sum, w) => sum + w.read().size, 0));
    // Every node reads nodes before it; ReLU layers are not nodes but activations; residuals add two nodes.
    plan.layers.forEach((layer, i) => layer.inputs.forEach((j) => expect(j).toBeLessThan(i)));
    const relus = model.layers.filter((layer) => layer.getClassName() === 'ReLU').length;
    expect(plan.layers.filter((layer) => layer.activation !== 'linear')).toHaveLength(relus);
    expect(plan.layers.length).toBe(model.layers.length - 1 - relus); // less the input layer
    expect(plan.layers.some((layer) => layer.kind === 'add' && layer.inputs.length === 2)).toBe(true);
    model.dispose();
  });

  it('names the layer it stops at and why', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3 }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.reLU({ maxValue: 3, name: 'capped' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(coverage(model)).toEqual({ ok: false, reason: 'layer capped: ReLU capped at 3' });
    model.dispose();
  });

  it('refuses a ReLU it cannot fold: the layer before it has an activation already', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.reLU({ name: 'again' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(coverage(model)).toEqual({ ok: false, reason: 'layer again: a ReLU that is not the only reader of a layer without activation' });
    model.dispose();
  });

  it('refuses a model that ends in softmax: the fused loss takes logits', () => {
    const model = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 2, activation: 'softmax', name: 'probabilities' })],
    });
    expect(coverage(model)).toEqual({ ok: false, reason: 'layer probabilities: activation softmax (the fused engine has relu, relu6 and linear)' });
    model.dispose();
  });
});
