import { describe, expect, it } from 'vitest';
import { SHIPPED_DATASET_IDS, defaultRunConfig, validateRunConfig, type RunConfig } from '../../src/core/config';
import { DATASET_CATALOG } from '../../src/core/data/catalog';
import { SPLIT_FRACTIONS } from '../../src/core/data/splits';
import { FASTEST_TO_TARGET, applyFastestToTarget, applyQuickValidation, fastestToTarget } from '../../src/core/presets';
import { quickValidationSweep } from '../../src/core/sweep';

/** Optimizer steps a configuration trains on a shipped dataset (the trainer drops the last partial batch). */
function totalSteps(config: RunConfig): number {
  const trainExamples = Math.floor(DATASET_CATALOG[config.dataset]!.count * SPLIT_FRACTIONS.train * config.subsetFraction);
  return Math.floor(trainExamples / config.batchSize) * config.epochs;
}

describe('fastest-to-target presets', () => {
  it('has one valid preset per shipped dataset, its title naming its target', () => {
    expect(Object.keys(FASTEST_TO_TARGET).sort()).toEqual([...SHIPPED_DATASET_IDS].sort());
    for (const dataset of SHIPPED_DATASET_IDS) {
      const preset = FASTEST_TO_TARGET[dataset];
      expect(preset.dataset).toBe(dataset);
      const checked = validateRunConfig(applyFastestToTarget({ ...defaultRunConfig(), dataset }));
      expect(checked.ok, JSON.stringify(checked)).toBe(true);
      expect(preset.title).toContain(`${Math.round(preset.settings.targetAccuracy * 100)} %`);
      expect(preset.note).toMatch(/npm run race/);
    }
  });

  it('validates at least every 5 % of the run, so its time to target is within 5 % of the true crossing', () => {
    for (const dataset of SHIPPED_DATASET_IDS) {
      const config = applyFastestToTarget({ ...defaultRunConfig(), dataset });
      expect(config.validationUnit).toBe('steps');
      expect(config.validationInterval).toBeLessThanOrEqual(0.05 * totalSteps(config));
    }
  });

  it('sets the fields it names and keeps the user\'s others', () => {
    const mine: RunConfig = { ...defaultRunConfig(), dataset: 'fashion-mnist', seed: 7, memoryBudgetGiB: 2, model: 'resnet-mini' };
    const applied = applyFastestToTarget(mine);
    expect(applied).toEqual({ ...mine, ...FASTEST_TO_TARGET['fashion-mnist'].settings });
    expect(applied.seed).toBe(7);
    expect(applied.memoryBudgetGiB).toBe(2);
    expect(mine.model).toBe('resnet-mini');
  });

  it('has no preset for generated or imported datasets, and leaves their configuration as it is', () => {
    expect(fastestToTarget('synthetic-shapes')).toBeNull();
    expect(fastestToTarget('user:0123abcd')).toBeNull();
    const config: RunConfig = { ...defaultRunConfig(), dataset: 'synthetic-shapes' };
    expect(applyFastestToTarget(config)).toBe(config);
  });
});

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
