/**
 * Training with stored activations (src/core/train/stored-activations) on tfjs's CPU backend: for every architecture of the
 * zoo, the loss and every weight gradient equal tfjs's own autodiff of the same LayersModel — to float32 rounding
 * with float32 storage, to half-precision tolerance with packed halves — BatchNorm's moving averages move the same
 * way, what each layer keeps is as designed, and nothing leaks.
 */
import * as tf from '../../src/core/tf';
import { describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../../src/core/config';
import { MODEL_BUILDERS } from '../../src/core/models';
import { buildStoredActivationNetwork, estimateWithKeptActivations, keptActivationBytes } from '../../src/core/train/stored-activations/network';
import { estimateMemory } from '../../src/core/models';
import { createRng } from '../../src/core/rng';
import { onBackendWithoutLeaks } from './packed-float16-cases';
import { HALF_PRECISION_TOLERANCE, compareWithAutodiff, summarizeErrors } from './packed-gradients';

/** Small images keep resnet-mini fast on the CPU backend; every layer class still runs (the last stages at 1×1 or 2×2). */
const INPUT = { height: 8, width: 8, channels: 1 };
const BATCH = 4;

onBackendWithoutLeaks('cpu');

describe.each(MODEL_NAMES)('%s', (name) => {
  it('float32 storage: loss and every weight gradient equal tfjs autodiff to float32 rounding', async () => {
    const { referenceLoss, loss, errors, movingStatErrors } = await compareWithAutodiff(name, 'float32', INPUT, BATCH);
    expect(loss).toBeCloseTo(referenceLoss, 5);
    // BatchNorm over 1×1 maps of 4 examples amplifies float32 rounding (a different order of operations): 1e-3,
    // ten times below the half-precision tolerance.
    for (const { name: weight, error } of errors) expect(error, weight).toBeLessThan(1e-3);
    for (const error of movingStatErrors) expect(error).toBeLessThan(1e-3);
  });

  it('packed halves: loss equal, weight gradients within half-precision tolerance', async () => {
    const comparison = await compareWithAutodiff(name, 'float16-packed', INPUT, BATCH);
    console.info(`[measure] ${name} packed halves (cpu): ${summarizeErrors(comparison)}`);
    // The forward computes in fp32 from fp32 values: the loss is the fp32 loss.
    expect(comparison.loss).toBeCloseTo(comparison.referenceLoss, 5);
    expect(comparison.totalError).toBeLessThan(HALF_PRECISION_TOLERANCE.total);
    for (const { name: weight, error } of comparison.errors) expect(error, weight).toBeLessThan(HALF_PRECISION_TOLERANCE.perWeight);
  });
});

describe('what is kept for the backward pass', () => {
  const build = (name: (typeof MODEL_NAMES)[number]) => MODEL_BUILDERS[name].build({ height: 28, width: 28, channels: 1 }, 10, createRng(1));

  it('cnn-small keeps each conv, pool and hidden dense output once; Flatten is a view, the logits are not kept', () => {
    const model = build('cnn-small');
    const plan = buildStoredActivationNetwork(model).plan();
    expect(plan.map((p) => `${p.className}:${p.keeping}`)).toEqual([
      'Conv2D:stored', 'MaxPooling2D:stored', 'Conv2D:stored', 'MaxPooling2D:stored', 'Flatten:view', 'Dense:stored', 'Dense:unneeded',
    ]);
    // 28·28·16 + 14·14·16 + 14·14·32 + 7·7·32 + 64 halves, and the 28·28 float input, at batch 2.
    const halves = 2 * (12544 + 3136 + 6272 + 1568 + 64);
    expect(keptActivationBytes(model, 2)).toBe(4 * (halves / 2) + 4 * 2 * 784);
    expect(keptActivationBytes(model, 2, 'float32')).toBe(4 * halves + 4 * 2 * 784);
    model.dispose();
  });

  it('mobilenet-v2-tiny keeps BatchNorm\'s x̂ and the residual sums only: no conv output, no BatchNorm or ReLU output', () => {
    const model = build('mobilenet-v2-tiny');
    const kept = new Map<string, Set<string>>();
    for (const { className, keeping } of buildStoredActivationNetwork(model).plan()) {
      kept.set(className, (kept.get(className) ?? new Set()).add(keeping));
    }
    expect(Object.fromEntries([...kept].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      Conv2D: ['unneeded'], DepthwiseConv2D: ['unneeded'], BatchNormalization: ['derived'], ReLU: ['activation', 'unneeded'],
      Add: ['stored'], GlobalAveragePooling2D: ['stored'], Dense: ['unneeded'],
    });
    // The estimate swaps the fp32 activations of analyzeModel for the packed kept ones, nothing else.
    const fp32 = estimateMemory(model, 256);
    const packed = estimateWithKeptActivations(fp32, model);
    expect(packed.activationsBytes).toBe(keptActivationBytes(model, 256));
    expect(packed.activationsBytes).toBeLessThan(fp32.activationsBytes / 4);
    expect(packed.totalBytes - packed.activationsBytes).toBe(fp32.totalBytes - fp32.activationsBytes);
    model.dispose();
  });

  it('refuses a backend without the packed kernels, naming it', async () => {
    const model = build('mlp');
    const kernels = tf.getKernelsForBackend('cpu').filter((k) => k.kernelName === 'PackFloat16');
    expect(kernels).toHaveLength(1);
    tf.unregisterKernel('PackFloat16', 'cpu');
    try {
      expect(() => buildStoredActivationNetwork(model)).toThrow(/exist for the webgpu and cpu backends; this run got cpu/);
    } finally {
      tf.registerKernel(kernels[0]!);
      model.dispose();
    }
  });
});
