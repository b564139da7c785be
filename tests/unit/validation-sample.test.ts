import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/core/tf';
import { defaultRunConfig, validateRunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { EpochEvent } from '../../src/core/events';
import { generateLightningScript } from '../../src/core/export/lightning/script';
import { initBackend } from '../../src/core/train/backend';
import { runTraining } from '../../src/core/train/trainer';
import { describeValidationSample, validationSampleIndices } from '../../src/core/train/validation-sample';
import { loadShippedDataset } from './shipped-data';

/** 3 classes of unequal size: 600 of class 0, 300 of class 1, 90 of class 2 (990 indices, every other one of 0..1979). */
function unevenLabels(): { indices: Int32Array; labels: Uint8Array } {
  const labels = new Uint8Array(1980);
  const indices = Int32Array.from({ length: 990 }, (_, i) => 2 * i);
  indices.forEach((index, i) => { labels[index] = i < 600 ? 0 : i < 900 ? 1 : 2; });
  return { indices, labels };
}

function countPerClass(indices: Int32Array, labels: Uint8Array): number[] {
  const counts = [0, 0, 0];
  for (const index of indices) counts[labels[index]!]!++;
  return counts;
}

describe('stratified validation sample', () => {
  it('takes an equal share of every class (all of a smaller class), only from the subset, sorted and without repeats', () => {
    const { indices, labels } = unevenLabels();
    const sample = validationSampleIndices(indices, labels, 'stratified-500', 7);
    // floor(500 / 3) = 166 per class; class 2 has only 90.
    expect(countPerClass(sample, labels)).toEqual([166, 166, 90]);
    expect(new Set(sample).size).toBe(sample.length);
    const inSubset = new Set(indices);
    expect([...sample].every((index) => inSubset.has(index))).toBe(true);
    expect([...sample]).toEqual([...sample].sort((a, b) => a - b));
  });

  it('is the same for the same seed and differs for another seed', () => {
    const { indices, labels } = unevenLabels();
    const first = validationSampleIndices(indices, labels, 'stratified-500', 7);
    expect(validationSampleIndices(indices, labels, 'stratified-500', 7)).toEqual(first);
    expect(validationSampleIndices(indices, labels, 'stratified-500', 8)).not.toEqual(first);
  });

  it('keeps the whole subset for "all" and when the subset is no larger than the sample', () => {
    const { indices, labels } = unevenLabels();
    expect(validationSampleIndices(indices, labels, 'all', 7)).toEqual(indices);
    expect(validationSampleIndices(indices, labels, 'stratified-1000', 7)).toEqual(indices);
  });

  it('is stated in words, with the count a run scored', () => {
    expect(describeValidationSample('all', 1000)).toBe('the whole validation subset (1000 images)');
    expect(describeValidationSample(undefined, null)).toBe('the whole validation subset');
    expect(describeValidationSample('stratified-500', 500)).toMatch(/^a fixed stratified sample of at most 500 .*equal share per class.*\(500 images\)$/);
  });

  it('goes into the Lightning export as the same rule', () => {
    const script = (sample: 'all' | 'stratified-1000') => generateLightningScript({ ...defaultRunConfig(), validationSample: sample }).source;
    expect(script('all')).toContain('VALIDATION_SAMPLE = None ');
    expect(script('stratified-1000')).toContain('VALIDATION_SAMPLE = 1000 ');
    expect(script('stratified-1000')).toContain('validation = validation_sample(validation, labels, VALIDATION_SAMPLE, torch.Generator().manual_seed(SEED + 2))');
  });

  it('is a RunConfig field that defaults to the whole subset and rejects unknown values', () => {
    expect(defaultRunConfig().validationSample).toBe('all');
    const bad = validateRunConfig({ validationSample: 'stratified-7' });
    expect(bad.ok).toBe(false);
  });
});

describe('a run with a stratified validation sample (tfjs CPU backend)', () => {
  let dataset: ImageDataset;
  beforeAll(async () => {
    dataset = await loadShippedDataset('mnist');
    await initBackend('cpu');
  });

  it('validates on the sample at every validation the cadence calls for', async () => {
    // MNIST's validation split has 1000 images: the whole of it, and 50 per class with stratified-500.
    const config = {
      ...defaultRunConfig(), backend: 'cpu' as const, model: 'mlp' as const, subsetFraction: 1, batchSize: 64, epochs: 1,
      validationUnit: 'steps' as const, validationInterval: 40, validationSample: 'stratified-500' as const,
    };
    const epochs: EpochEvent[] = [];
    const baseline = tf.memory().numTensors;
    let ready = 0;
    const result = await runTraining(config, dataset, (await initBackend('cpu')), {
      emit: (event) => {
        if (event.type === 'epoch') epochs.push(event);
        if (event.type === 'ready') ready = event.data.validationExamples;
      },
      // Three validations (steps 40, 80, 120) are enough to see the cadence use the sample.
      isCancelled: () => epochs.length >= 3,
    });
    expect(ready).toBe(500);
    expect(result.data.validationExamples).toBe(500);
    expect(epochs.map((e) => e.step)).toEqual([40, 80, 120]);
    // Every validation's accuracy is a count over the 500 sampled images.
    for (const epoch of epochs) expect(Number.isInteger(Math.round(epoch.valAccuracy * 500 * 1e6) / 1e6)).toBe(true);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 300_000);
});
