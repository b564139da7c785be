import { describe, expect, it } from 'vitest';
import { MODEL_NAMES, defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { UserDatasetSummary } from '../../src/core/data/user-import';
import { MODEL_BUILDERS, forwardFlopsPerExample } from '../../src/core/models';
import { MODEL_CATALOG } from '../../src/core/models/catalog';
import { createRng } from '../../src/core/rng';
import {
  MAX_SWEEP_CANDIDATES, RUN_OVERHEAD_MS, assumedThroughput, candidateId, estimateCandidateMs, expandSweep,
  catalogForwardFlops, datasetInput, estimateSweepMs, measuredThroughput, modelForwardFlops, quickValidationSweep,
  type SweepSpec,
} from '../../src/core/sweep';

const spec = (axes: Partial<SweepSpec['axes']>, base = {}): SweepSpec => {
  const quick = quickValidationSweep();
  return { base: { ...quick.base, ...base }, axes: { ...quick.axes, ...axes } };
};

describe('sweep expansion', () => {
  it('sweeps learning-rate schedules; constant leaves the ids of older configurations as they were', () => {
    const { candidates } = expandSweep(spec({ model: ['mlp'], learningRateSchedule: ['constant', 'one-cycle'] }));
    expect(candidates.map((c) => c.config.learningRateSchedule)).toEqual(['constant', 'one-cycle']);
    expect(candidates[0]!.id).not.toContain('constant');
    expect(candidates[1]!.id).toContain('one-cycle');
    expect(candidates[1]!.label).toContain('one-cycle');
  });

  it('the quick-validation preset follows the method: 10 % of the data, 2 epochs, the mlp baseline and two candidates', () => {
    const quick = quickValidationSweep();
    expect(quick.base).toMatchObject({ subsetFraction: 0.1, epochs: 2, targetAccuracy: 0.5 });
    expect(quick.base.earlyStoppingPatience).toBeGreaterThan(0);
    const { candidates, rejected, errors } = expandSweep(quick);
    expect(errors).toEqual([]);
    expect(rejected).toEqual([]);
    expect(candidates.map((c) => c.config.model)).toEqual(['mlp', 'cnn-small', 'mobilenet-v2-tiny']);
  });

  it('is the cartesian product of the axes, each candidate a valid config with a stable id and a label naming what varies', () => {
    const { candidates } = expandSweep(spec({ model: ['cnn-small', 'mlp'], accumulationSteps: [1, 4] }));
    expect(candidates).toHaveLength(4);
    expect(candidates.map((c) => c.label)).toEqual([
      'cnn-small · batch 32 · K=1', 'cnn-small · batch 32 · K=4', 'mlp · batch 32 · K=1', 'mlp · batch 32 · K=4',
    ]);
    expect(candidates[1]!.config).toMatchObject({ model: 'cnn-small', accumulationSteps: 4, batchSize: 32, epochs: 2 });
    expect(candidates[1]!.id).toBe(candidateId(candidates[1]!.config));
    expect(new Set(candidates.map((c) => c.id)).size).toBe(4);
  });

  it('refuses invalid combinations with a message each and keeps the valid ones', () => {
    const { candidates, rejected } = expandSweep(spec({ batchSize: [30, 32], accumulationSteps: [1, 4] }));
    expect(candidates.map((c) => [c.config.batchSize, c.config.accumulationSteps])).toEqual(
      [[30, 1], [32, 1], [32, 4], [30, 1], [32, 1], [32, 4], [30, 1], [32, 1], [32, 4]]);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]!.label).toBe('mlp · batch 30 · K=4');
    expect(rejected[0]!.messages[0]).toMatch(/Batch size 30 is not divisible by 4 accumulation steps/);
  });

  it('refuses fp16-storage off WebGL per combination', () => {
    const { candidates, rejected } = expandSweep(spec({ model: ['mlp'], precision: ['fp16-storage'], backend: ['webgpu', 'webgl'] }));
    expect(candidates.map((c) => c.config.backend)).toEqual(['webgl']);
    expect(rejected.map((r) => r.label)).toEqual(['mlp · fp16-storage · webgpu']);
  });

  it('collapses duplicate values, and reports empty axes, bad shared settings and oversized sweeps', () => {
    expect(expandSweep(spec({ model: ['mlp', 'mlp'] })).candidates).toHaveLength(1);
    expect(expandSweep(spec({ model: [] })).errors).toEqual(['Choose at least one value for model.']);
    expect(expandSweep(spec({}, { epochs: 0 })).errors).toEqual(['Epochs must be in [1, 100]; got 0.']);
    const huge = expandSweep(spec({ batchSize: [8, 16, 32, 64, 128, 256], accumulationSteps: [1, 2, 4, 8], precision: ['fp32', 'mixed-fp16'] }));
    expect(huge.candidates).toEqual([]);
    expect(huge.errors[0]).toMatch(new RegExp(`^144 combinations is more than ${MAX_SWEEP_CANDIDATES}`));
  });
});

describe('sweep duration estimate', () => {
  it('adds training (3 × forward) and validation FLOPs at the assumed throughput to a per-run overhead', () => {
    const config = { ...defaultRunConfig(), model: 'cnn-small' as const, subsetFraction: 0.1, epochs: 2, batchSize: 32 };
    const flops = MODEL_CATALOG['cnn-small'].forwardFlops['28x28x1'];
    const throughput = { trainingFlopsPerSec: 1e9, source: 'test' };
    // 10,000 images: 800 training examples (25 steps of 32) and 100 validation examples per epoch.
    const expected = RUN_OVERHEAD_MS + (2 * (3 * 800 + 100) * flops / 1e9) * 1000;
    expect(estimateCandidateMs(config, { count: 10_000 }, flops, throughput)).toBeCloseTo(expected, 6);
    expect(assumedThroughput(true).trainingFlopsPerSec).toBeLessThan(assumedThroughput(false).trainingFlopsPerSec);
  });

  it('calibrates the throughput on the latest finished run with a steady throughput', () => {
    const config = { ...defaultRunConfig(), model: 'mlp' as const };
    const flops = () => 1e6;
    const results = [
      { status: 'done', config, timing: { samplesPerSec: 100 } },
      { status: 'done', config, environment: { backend: 'webgpu' }, timing: { samplesPerSec: 200 } },
      { status: 'failed', config, timing: { samplesPerSec: 900 } },
      { status: 'done', config, timing: { samplesPerSec: null } },
    ];
    expect(measuredThroughput(results, flops)?.trainingFlopsPerSec).toBe(3 * 1e6 * 200);
    expect(measuredThroughput(results, flops)?.source).toBe('0.60 GFLOP/s, measured by the mlp run on webgpu');
    expect(measuredThroughput([], flops)).toBeNull();
  });

  it('calibrates each candidate on the finished run most like it: same model, then backend, then batch size', () => {
    const base: RunConfig = { ...defaultRunConfig(), model: 'mlp', batchSize: 32, backend: 'webgpu' };
    const run = (config: Partial<RunConfig>, samplesPerSec: number) => ({ status: 'done', config: { ...base, ...config }, timing: { samplesPerSec } });
    const results = [run({ model: 'cnn-small' }, 10), run({ batchSize: 64 }, 20), run({}, 30), run({ backend: 'webgl' }, 40), run({ model: 'resnet-mini' }, 50)];
    const perSec = (like: Partial<RunConfig>) => measuredThroughput(results, () => 1, { ...base, ...like })!.trainingFlopsPerSec / 3;
    expect(perSec({})).toBe(30);
    expect(perSec({ batchSize: 64 })).toBe(20);
    expect(perSec({ batchSize: 16 })).toBe(30); // same model and backend, the latest such run
    expect(perSec({ backend: 'webgl', batchSize: 64 })).toBe(40); // the backend outweighs the batch size
    expect(perSec({ model: 'cnn-small', backend: 'webgl' })).toBe(10);
    expect(perSec({ model: 'mobilenet-v2-tiny' })).toBe(50); // no run of it: the latest of the most similar others
    expect(measuredThroughput(results, () => 1)!.trainingFlopsPerSec / 3).toBe(50); // without a candidate: the latest
  });
});

describe('whole-sweep estimate', () => {
  it('sums the candidates at the measured throughput when a run finished, at the assumption otherwise', () => {
    const { candidates } = expandSweep(quickValidationSweep());
    const assumed = estimateSweepMs(candidates, [], true)!;
    expect(assumed.source).toMatch(/^assumed 0.15 GFLOP\/s/);
    const expected = candidates.reduce((sum, c) =>
      sum + estimateCandidateMs(c.config, { count: 10_000 }, catalogForwardFlops(c.config)!, assumedThroughput(true)), 0);
    expect(assumed.totalMs).toBeCloseTo(expected, 6);
    const finished = [{ status: 'done', config: candidates[0]!.config, timing: { samplesPerSec: 1e4 } }];
    const measured = estimateSweepMs(candidates, finished, true)!;
    expect(measured.source).toMatch(/measured by the mlp run/);
    expect(measured.totalMs).toBeLessThan(assumed.totalMs);
    // Two runs calibrate: each candidate takes the one of its own model where there is one.
    const cnn = { status: 'done', config: candidates[1]!.config, timing: { samplesPerSec: 100 } };
    const two = estimateSweepMs(candidates, [...finished, cnn], true)!;
    expect(two.source).toBe('throughput measured by 2 earlier runs, each candidate at the one most like it');
    const mlpThroughput = measuredThroughput(finished, (c) => catalogForwardFlops(c))!;
    const cnnThroughput = measuredThroughput([cnn], (c) => catalogForwardFlops(c))!;
    const at = (i: number, t: typeof mlpThroughput) =>
      estimateCandidateMs(candidates[i]!.config, { count: 10_000 }, catalogForwardFlops(candidates[i]!.config)!, t);
    expect(two.totalMs).toBeCloseTo(at(0, mlpThroughput) + at(1, cnnThroughput) + at(2, cnnThroughput), 6);
  });
});

describe('estimate for an imported dataset', () => {
  const imported = (id: `user:${string}`, side: number, channels: number, classes = 2): UserDatasetSummary => ({
    id, fingerprint: `${id.slice(5)}${'0'.repeat(48)}`, name: `set-${side}x${channels}`, height: side, width: side, channels,
    classNames: Array.from({ length: classes }, (_, i) => `c${i}`), countPerClass: Array<number>(classes).fill(600 / classes),
    count: 600, storedBytes: 1, importedAt: 'now', samples: [], problems: [],
  });

  it('FLOPs per input shape: the table where it has the shape, else a fit within 15 % of the model analysis', () => {
    for (const model of MODEL_NAMES) {
      expect(modelForwardFlops(model, { height: 28, width: 28, channels: 1 })).toBe(MODEL_CATALOG[model].forwardFlops['28x28x1']);
      expect(modelForwardFlops(model, { height: 32, width: 32, channels: 3 })).toBe(MODEL_CATALOG[model].forwardFlops['32x32x3']);
      // The shapes an import makes (IMPORT_SIDES × grey/RGB), with 2 and 100 classes: against the built model's own count.
      for (const [side, channels, classes] of [[32, 1, 10], [64, 1, 10], [64, 3, 10], [64, 3, 100], [32, 3, 2]] as const) {
        const built = MODEL_BUILDERS[model].build({ height: side, width: side, channels }, classes, createRng(1));
        const analysed = forwardFlopsPerExample(built);
        built.dispose();
        const fitted = modelForwardFlops(model, { height: side, width: side, channels });
        expect(Math.abs(fitted / analysed - 1), `${model} ${side}x${side}x${channels}, ${classes} classes`).toBeLessThan(0.15);
      }
    }
  });

  it('estimates a sweep on an imported dataset from its count and shape, and is blank only without the dataset', () => {
    const cached = [imported('user:0123456789abcdef', 64, 1), imported('user:fedcba9876543210', 32, 3)];
    const quick = quickValidationSweep();
    const { candidates } = expandSweep({ ...quick, base: { ...quick.base, dataset: 'user:0123456789abcdef' } });
    expect(datasetInput('user:0123456789abcdef', cached)).toEqual({ count: 600, height: 64, width: 64, channels: 1 });
    expect(datasetInput('mnist')).toEqual({ count: 10_000, height: 28, width: 28, channels: 1 });
    const estimate = estimateSweepMs(candidates, [], true, cached)!;
    const expected = candidates.reduce((sum, c) => sum + estimateCandidateMs(c.config, { count: 600 },
      modelForwardFlops(c.config.model, { height: 64, width: 64, channels: 1 }), assumedThroughput(true)), 0);
    expect(estimate.totalMs).toBeCloseTo(expected, 6);
    expect(estimate.totalMs).toBeGreaterThan(candidates.length * RUN_OVERHEAD_MS);
    // Not in this browser: no estimate rather than a wrong one.
    expect(estimateSweepMs(candidates, [], true, [])).toBeNull();
    // A run finished on another imported dataset calibrates the throughput with that dataset's FLOPs.
    const other = { ...candidates[0]!.config, dataset: 'user:fedcba9876543210' as const };
    expect(catalogForwardFlops(other, cached)).toBe(MODEL_CATALOG.mlp.forwardFlops['32x32x3']);
    const measured = estimateSweepMs(candidates, [{ status: 'done', config: other, timing: { samplesPerSec: 1000 } }], true, cached)!;
    expect(measured.source).toBe(`${(3 * MODEL_CATALOG.mlp.forwardFlops['32x32x3'] * 1000 / 1e9).toFixed(2)} GFLOP/s, measured by the mlp run on auto`);
  });
});
