/**
 * The trainer's count of what the model gets wrong (tfjs CPU backend, mlp on shipped MNIST): the confusion matrix covers
 * the validation images, agrees with the validation accuracy of the same model, and the gallery holds real mistakes.
 */
import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { Environment } from '../../src/core/environment';
import type { MisclassifiedGallery } from '../../src/core/evaluation-report';
import { initBackend } from '../../src/core/train/backend';
import { GALLERY_IMAGES } from '../../src/core/train/evaluation';
import { runTraining } from '../../src/core/train/trainer';
import { loadShippedDataset } from './shipped-data';

let dataset: ImageDataset;
let environment: Environment;

beforeAll(async () => {
  dataset = await loadShippedDataset();
  environment = await initBackend('cpu');
});

const CONFIG: RunConfig = { ...defaultRunConfig(), model: 'mlp', epochs: 1, backend: 'cpu', seed: 3, subsetFraction: 0.1, batchSize: 32 };

/** Whether some image of class `label` in the dataset has exactly these pixels. */
function isImageOfClass(pixels: Uint8Array, label: number): boolean {
  const size = pixels.length;
  for (let i = 0; i < dataset.count; i++) {
    if (dataset.labels[i] !== label) continue;
    const image = dataset.images.subarray(i * size, (i + 1) * size);
    if (image.every((v, p) => v === pixels[p])) return true;
  }
  return false;
}

describe('the confusion matrix and the misclassified gallery of a finished run', () => {
  it('count every validation image, match the validation accuracy and show real mistakes, leaking no tensor', async () => {
    const tensorsBefore = tf.memory().numTensors;
    let gallery: MisclassifiedGallery | null = null;
    const result = await runTraining(CONFIG, dataset, environment, {
      emit: () => {}, isCancelled: () => false, onMisclassified: (g) => { gallery = g; },
    });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(result.status).toBe('done');
    const report = result.evaluation!;
    expect(report.classNames).toEqual(dataset.classNames);
    expect(report.examples).toBe(result.data.validationExamples);
    expect(report.counts.flat().reduce((a, b) => a + b, 0)).toBe(result.data.validationExamples);
    // The same model on the same images as the last validation: the same accuracy.
    expect(report.accuracy).toBeCloseTo(result.accuracy.finalValAccuracy!, 12);
    report.counts.forEach((row, t) => {
      const images = row.reduce((a, b) => a + b, 0);
      expect(report.perClassAccuracy[t]).toBe(images === 0 ? null : row[t]! / images);
    });

    const mistakes = report.examples - report.correct;
    expect(mistakes).toBeGreaterThan(0);
    const shown = gallery!.images;
    expect(shown.length).toBe(Math.min(GALLERY_IMAGES, mistakes));
    expect([gallery!.height, gallery!.width, gallery!.channels]).toEqual([dataset.height, dataset.width, dataset.channels]);
    for (const [i, image] of shown.entries()) {
      expect(image.predicted).not.toBe(image.trueLabel);
      // Off the diagonal of the matrix, and a validation image of its true class.
      expect(report.counts[image.trueLabel]![image.predicted]).toBeGreaterThan(0);
      if (i < 3) expect(isImageOfClass(image.pixels, image.trueLabel)).toBe(true);
      if (i > 0) expect(image.confidence).toBeLessThanOrEqual(shown[i - 1]!.confidence);
    }
    console.log(`[measure] mlp, 10 % MNIST, 1 epoch (CPU): ${report.examples} validation images, ${mistakes} wrong, `
      + `per-class accuracy ${report.perClassAccuracy.map((a) => a?.toFixed(2)).join(' ')}`);
  });

  it('is absent when the run was cancelled', async () => {
    let gallery: MisclassifiedGallery | null = null;
    let steps = 0;
    const result = await runTraining(CONFIG, dataset, environment, {
      emit: (event) => { if (event.type === 'step') steps++; },
      isCancelled: () => steps >= 2,
      onMisclassified: (g) => { gallery = g; },
    });
    expect(result.status).toBe('cancelled');
    expect(result.evaluation).toBeUndefined();
    expect('evaluation' in result).toBe(false);
    expect(gallery).toBeNull();
  });
});
