import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DATASET_CATALOG } from '../../src/core/data/catalog';
import { loadDataset } from '../../src/core/data/load';
import {
  SYNTHETIC_SHAPES_PER_CLASS, SYNTHETIC_SHAPE_CLASSES, generateSyntheticShapes,
} from '../../src/core/data/synthetic-shapes';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const countPerClass = (labels: Uint8Array, classes: number) =>
  Array.from({ length: classes }, (_, c) => labels.filter((label) => label === c).length);

describe('synthetic-shapes dataset', () => {
  it('is the same bytes for the same seed and different bytes for another seed', () => {
    const a = generateSyntheticShapes({ seed: 5, perClass: 40 });
    const b = generateSyntheticShapes({ seed: 5, perClass: 40 });
    const c = generateSyntheticShapes({ seed: 6, perClass: 40 });
    expect(sha256(b.images)).toBe(sha256(a.images));
    expect(b.labels).toEqual(a.labels);
    expect(sha256(c.images)).not.toBe(sha256(a.images));
    expect(c.labels).not.toEqual(a.labels);
  });

  it('generates the catalogued 6,000 RGB 32×32 images, balanced over 6 classes, quickly enough to generate at every run', () => {
    const started = performance.now();
    const dataset = generateSyntheticShapes();
    const elapsedMs = performance.now() - started;
    console.log(`[measure] synthetic-shapes: ${dataset.count} images generated in ${elapsedMs.toFixed(0)} ms`);
    // About 0.4 s on an idle core; the bound leaves room for a busy machine.
    expect(elapsedMs).toBeLessThan(3000);
    expect(dataset).toMatchObject({ id: 'synthetic-shapes', height: 32, width: 32, channels: 3, count: 6000 });
    expect(dataset.images.length).toBe(6000 * 32 * 32 * 3);
    expect(dataset.classNames).toEqual([...SYNTHETIC_SHAPE_CLASSES]);
    expect(countPerClass(dataset.labels, 6)).toEqual(Array(6).fill(SYNTHETIC_SHAPES_PER_CLASS));
    expect(DATASET_CATALOG['synthetic-shapes']).toEqual({ name: dataset.name, count: dataset.count, shape: '32x32x3' });
    // Shuffled, not grouped by class: the first 16 labels are not all the same.
    expect(new Set(dataset.labels.subarray(0, 16)).size).toBeGreaterThan(1);
  });

  it('keeps the default dataset byte-for-byte stable, so test splits and links stay comparable across versions', () => {
    // Change this hash only on purpose (a new dataset version), never to make the test pass.
    const dataset = generateSyntheticShapes();
    expect(sha256(dataset.images)).toBe(EXPECTED_DEFAULT_IMAGES_SHA256);
  });

  it('gives hue no hint of the class: in every class each channel carries about a third of the brightness', () => {
    // Brightness does vary with the class (a ring covers less than a disc): that is shape, not colour.
    const dataset = generateSyntheticShapes({ perClass: 200 });
    const sums = Array.from({ length: 6 }, () => [0, 0, 0]);
    for (let i = 0; i < dataset.images.length; i++) sums[dataset.labels[Math.floor(i / 3072)]!]![i % 3]! += dataset.images[i]!;
    const shares = sums.flatMap((channelSums) => channelSums.map((sum) => sum / (channelSums[0]! + channelSums[1]! + channelSums[2]!)));
    console.log(`[measure] channel shares per class: ${shares.map((x) => x.toFixed(3)).join(' ')}`);
    for (const share of shares) expect(Math.abs(share - 1 / 3)).toBeLessThan(0.02);
  });

  it('is what the training worker loads for the id "synthetic-shapes"', async () => {
    const messages: string[] = [];
    const loaded = await loadDataset('synthetic-shapes', 'http://unused.invalid/', (p) => messages.push(p.message));
    expect(sha256(loaded.images)).toBe(EXPECTED_DEFAULT_IMAGES_SHA256);
    expect(messages).toEqual(['Generating the synthetic shapes']);
  });
});

const EXPECTED_DEFAULT_IMAGES_SHA256 = 'd3e59b222c6c2b63731fd527cfcdb28e76ae3aaac25ed6981741d3c37eb667b9';
