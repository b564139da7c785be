import { describe, expect, it } from 'vitest';
import { SHIPPED_DATASET_IDS, defaultRunConfig, type RunConfig } from '../../src/core/config';
import { DATASET_CATALOG } from '../../src/core/data/catalog';
import { SPLIT_FRACTIONS } from '../../src/core/data/splits';
import { applyQuickValidation } from '../../src/core/presets';
import { quickValidationSweep } from '../../src/core/sweep';

/** Optimizer steps a configuration trains on a shipped dataset (the trainer drops the last partial batch). */
function totalSteps(config: RunConfig): number {
  const trainExamples = Math.floor(DATASET_CATALOG[config.dataset]!.count * SPLIT_FRACTIONS.train * config.subsetFraction);
  return Math.floor(trainExamples / config.batchSize) * config.epochs;
}

describe('quick-validation preset', () => {
  it('puts the sweep\'s shared settings on the run configuration and keeps the rest', () => {
    const mine: RunConfig = { ...defaultRunConfig(), model: 'resnet-mini', seed: 9, subsetFraction: 1, epochs: 7 };
    const applied = applyQuickValidation(mine);
    const { base } = quickValidationSweep();
    expect(applied).toEqual({
      ...mine, subsetFraction: base.subsetFraction, epochs: base.epochs, targetAccuracy: base.targetAccuracy,
      earlyStoppingPatience: base.earlyStoppingPatience, validationUnit: base.validationUnit, validationInterval: base.validationInterval,
    });
  });

  it('validates at least every 5 % of its run on the shipped datasets', () => {
    const { axes } = quickValidationSweep();
    for (const dataset of SHIPPED_DATASET_IDS) {
      for (const batchSize of axes.batchSize) {
        const config = applyQuickValidation({ ...defaultRunConfig(), dataset, batchSize });
        expect(config.validationUnit).toBe('steps');
        expect(config.validationInterval).toBeLessThanOrEqual(0.05 * totalSteps(config));
      }
    }
  });
});
