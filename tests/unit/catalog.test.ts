import * as tf from '../../src/core/tf';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES, SHIPPED_DATASET_IDS } from '../../src/core/config';
import { DATASET_CATALOG } from '../../src/core/data/catalog';
import { MODEL_BUILDERS, analyzeModel } from '../../src/core/models';
import { MODEL_CATALOG } from '../../src/core/models/catalog';
import { createRng } from '../../src/core/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// The UI estimates durations from these tables without loading tfjs: they must say what the models and data files say.
describe('catalogs the UI reads without tfjs', () => {
  it.each(MODEL_NAMES)('%s: forward FLOPs per example equal analyzeModel for both input shapes', (name) => {
    for (const [shape, input] of [['28x28x1', { height: 28, width: 28, channels: 1 }], ['32x32x3', { height: 32, width: 32, channels: 3 }]] as const) {
      const model = MODEL_BUILDERS[name].build(input, 10, createRng(1));
      expect(MODEL_CATALOG[name].forwardFlops[shape]).toBe(analyzeModel(model, 1).forwardFlopsPerExample);
      model.dispose();
    }
  });

  it.each(SHIPPED_DATASET_IDS)('%s: count and shape match the generated manifest', (id) => {
    const manifest = JSON.parse(readFileSync(`public/data/${id}/manifest.json`, 'utf8'));
    expect(DATASET_CATALOG[id]).toMatchObject({ name: manifest.name, count: manifest.count, shape: `${manifest.height}x${manifest.width}x${manifest.channels}` });
  });
});
