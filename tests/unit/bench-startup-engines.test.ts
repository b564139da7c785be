import { describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../../src/core/config';
import { formatReport } from '../../src/bench/format';
import { GRIDS } from '../../src/bench/grid';
import { engineComparisons } from '../../src/bench/report';
import { STARTUP_TARGET_MS, summariseStartup } from '../../src/bench/startup';
import type { BenchReport, BenchRow, MatmulResult } from '../../src/bench/types';

describe('summariseStartup', () => {
  it('takes the median first step over the loads that got there, and orders the marks by their median time', () => {
    const summary = summariseStartup([
      { marks: { 'startup:worker-created': 300, 'startup:compile': 2000, 'first-trained-step': 3000 }, error: null },
      { marks: {}, error: 'Timeout 600000ms exceeded.' },
      { marks: { 'startup:worker-created': 100, 'startup:compile': 4000, 'first-trained-step': 5000 }, error: null },
      { marks: { 'startup:worker-created': 200, 'startup:compile': 3000, 'first-trained-step': 4500 }, error: null },
    ]);
    expect(summary.loads).toBe(4);
    expect(summary.firstStepMs).toEqual([3000, 5000, 4500]);
    expect(summary.medianMs).toBe(4500);
    expect(summary.verdict).toBe(4500 <= STARTUP_TARGET_MS ? 'PASS' : 'MISS');
    expect(summary.marks.map((m) => [m.name, m.medianMs, m.loads])).toEqual([
      ['startup:worker-created', 200, 3], ['startup:compile', 3000, 3], ['first-trained-step', 4500, 3],
    ]);
    expect(summary.marks[0]!.meaning).toMatch(/worker/);
    expect(summary.errors).toEqual(['load 2: Timeout 600000ms exceeded.']);
  });

  it('says n/a when no load reached its first step', () => {
    const summary = summariseStartup([{ marks: { 'startup:worker-created': 120 }, error: 'crashed' }]);
    expect(summary).toMatchObject({ medianMs: null, verdict: 'n/a', firstStepMs: [], marks: [] });
  });

  it('passes at the target and misses above it', () => {
    expect(summariseStartup([{ marks: { 'first-trained-step': STARTUP_TARGET_MS }, error: null }]).verdict).toBe('PASS');
    expect(summariseStartup([{ marks: { 'first-trained-step': STARTUP_TARGET_MS + 1 }, error: null }]).verdict).toBe('MISS');
  });
});

function row(id: string, backend: BenchRow['backend'], medianStepMs: number | null, extra: Partial<BenchRow> = {}): BenchRow {
  return {
    id, runs: 1, kind: 'trainer', label: id, model: 'cnn-small', backend, batchSize: 32, accumulationSteps: 1, precision: 'fp32',
    dataPipeline: 'gpu-resident', engine: id.endsWith(':fused') ? 'fused' : 'tfjs', dispatchesPerStep: null, engineReason: null,
    status: 'done', reason: null, adapter: 'A', compileMs: null, firstStepMs: null, medianStepMs, p10StepMs: null, p90StepMs: null,
    steadySteps: 5, runMedianStepMs: [medianStepMs], stepsCompleted: 6, samplesPerSec: medianStepMs ? 32_000 / medianStepMs : null,
    truePeakBytes: null, stepPeakBytes: null, truePeakSource: null, truePeakNote: null, logicalPeakBytes: null, estimatedBytes: null,
    allocatedBytes: null, valAccuracy: null, lastLoss: null, float16Textures: false, trainingFlopsPerExample: 1e6,
    achievedGflops: medianStepMs ? (1e6 * 32_000 / medianStepMs) / 1e9 : null, wallMs: 0, ...extra,
  };
}

const peak = (backend: MatmulResult['backend'], peakGflops: number) => ({ backend, peakGflops } as MatmulResult);

describe('engineComparisons', () => {
  it('puts the fused, tfjs WebGPU and WebGL medians of one configuration side by side, with GFLOP/s over each backend\'s peak', () => {
    const [entry] = engineComparisons([
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:webgpu:fused', 'webgpu', 400),
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:webgpu', 'webgpu', 2000),
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:webgl', 'webgl', 800),
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:cpu', 'cpu', 1600),
    ], [peak('webgpu', 0.8), peak('webgl', 2)]);
    expect(entry).toMatchObject({ config: 'cnn-small b32 K1 fp32 gpu-resident', model: 'cnn-small', fusedFellBack: null });
    expect(entry!.fused!.medianStepMs).toBe(400);
    expect(entry!.fusedOverTfjs).toBeCloseTo(0.2);
    expect(entry!.fusedOverWebgl).toBeCloseTo(0.5);
    expect(entry!.tfjsOverWebgl).toBeCloseTo(2.5);
    // 1 MFLOP × 80 samples/s = 0.08 GFLOP/s on a 0.8 GFLOP/s peak.
    expect(entry!.fused!.peakFraction).toBeCloseTo(0.1);
    expect(entry!.webgl!.peakFraction).toBeCloseTo((1e6 * 40 / 1e9) / 2);
  });

  it('shows a model the fused engine does not cover with the tfjs figures of its fused job, and the reason', () => {
    const [entry] = engineComparisons([
      row('trainer:resnet-mini:b32:K1:fp32:gpu-resident:webgpu:fused', 'webgpu', 3000,
        { model: 'resnet-mini', engine: 'tfjs', engineReason: 'the fused engine has no residual add yet' }),
      row('trainer:resnet-mini:b32:K1:fp32:gpu-resident:webgl', 'webgl', 1000, { model: 'resnet-mini' }),
    ], [peak('webgpu', 1)]);
    expect(entry).toMatchObject({ fused: null, fusedFellBack: 'the fused engine has no residual add yet', fusedOverTfjs: null });
    expect(entry!.tfjsWebgpu!.medianStepMs).toBe(3000);
    expect(entry!.tfjsOverWebgl).toBeCloseTo(3);
    expect(entry!.webgl!.peakFraction).toBeNull(); // no WebGL matmul measured
  });

  it('leaves a side without a median out of the ratios and names its status', () => {
    const [entry] = engineComparisons([
      row('trainer:mlp:b32:K1:fp32:gpu-resident:webgpu:fused', 'webgpu', null, { model: 'mlp', status: 'timeout' }),
      row('trainer:mlp:b32:K1:fp32:gpu-resident:webgl', 'webgl', 50, { model: 'mlp' }),
    ], []);
    expect(entry).toMatchObject({ fusedOverWebgl: null, tfjsWebgpu: null });
    expect(entry!.fused).toMatchObject({ medianStepMs: null, status: 'timeout' });
  });
});

describe('the default grid', () => {
  it('has the startup job and every zoo model on the fused engine, so the engine table covers the zoo', () => {
    const jobs = GRIDS.default!().jobs;
    expect(jobs.filter((job) => job.kind === 'startup')).toEqual([{ id: 'startup', kind: 'startup', loads: 3 }]);
    const fused = new Set(jobs.flatMap((job) => (job.kind === 'trainer' && job.config.engine === 'fused' ? [job.config.model] : [])));
    expect([...fused].sort()).toEqual([...MODEL_NAMES].sort());
  });
});

describe('formatReport', () => {
  it('prints the start-up verdict with its stages and one engine line per configuration, with the fall-back reason', () => {
    const engines = engineComparisons([
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:webgpu:fused', 'webgpu', 400),
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:webgpu', 'webgpu', 2000),
      row('trainer:cnn-small:b32:K1:fp32:gpu-resident:webgl', 'webgl', 800),
      row('trainer:resnet-mini:b32:K1:fp32:gpu-resident:webgpu:fused', 'webgpu', 3000,
        { model: 'resnet-mini', engine: 'tfjs', engineReason: 'no residual add yet' }),
    ], [peak('webgpu', 0.8)]);
    const startup = summariseStartup([{ marks: { 'startup:compile': 2500, 'first-trained-step': 3500 }, error: null }]);
    const report: BenchReport = {
      schemaVersion: 1, grid: 'test', gridDescription: 'a test', startedAt: '2026-12-06T00:00:00.000Z', finishedAt: '2026-12-06T00:00:01.000Z',
      durationMs: 1000, userAgent: 'test', webglUnmaskedRenderer: null, probes: [], adapters: [], rows: [], engines, startup,
      matmul: [], ratios: [], ratioSections: [], flops: [], outcomes: [],
    };
    const lines = formatReport(report).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}PASS {2}3\.50 s {2}median of 3\.50 s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +2500 {2}startup:compile +worker: compilation started/));
    expect(lines).toContainEqual(expect.stringMatching(/cnn-small b32 K1 fp32 gpu-resident +400 +2000 +800 +0\.200 +0\.500 +2\.500 +0\.100 +0\.020 +–$/));
    expect(lines).toContainEqual(expect.stringMatching(/resnet-mini b32 K1 fp32 gpu-resident +not covered +3000 +– +n\/a/));
    expect(lines).toContainEqual(expect.stringMatching(/resnet-mini b32 K1 fp32 gpu-resident: no residual add yet/));
  });
});
