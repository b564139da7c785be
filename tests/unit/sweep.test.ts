import { describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src/core/config';
import { MODEL_CATALOG } from '../../src/core/models/catalog';
import {
  MAX_SWEEP_CANDIDATES, RUN_OVERHEAD_MS, assumedThroughput, candidateId, estimateCandidateMs, expandSweep,
  catalogForwardFlops, estimateSweepMs, measuredThroughput, quickValidationSweep, type SweepSpec,
} from '../../src/core/sweep';

const spec = (axes: Partial<SweepSpec['axes']>, base = {}): SweepSpec => {
  const quick = quickValidationSweep();
  return { base: { ...quick.base, ...base }, axes: { ...quick.axes, ...axes } };
};

describe('sweep expansion', () => {
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
  });
});
