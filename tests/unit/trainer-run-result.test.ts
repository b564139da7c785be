/** buildRunResult: the RunResult's derived figures from plain measurements, without tfjs or a backend. */
import { describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src/core/config';
import type { MemorySnapshot } from '../../src/core/measure/memory-snapshot';
import { buildRunResult, type RunMeasurements } from '../../src/core/train/run-result';

const config = { ...defaultRunConfig(), batchSize: 64, targetAccuracy: 0.5 };

function measurements(overrides: Partial<RunMeasurements> = {}): RunMeasurements {
  return {
    config,
    environment: {
      backend: 'webgpu', summary: 'Using webgpu.', attempts: [], adapter: null, webglRenderer: null,
      webglFloat16Textures: false, tfjsVersion: '4.22.0', userAgent: 'test',
    },
    startedAt: '2026-12-05T19:00:00.000Z',
    status: 'done',
    reason: null,
    engine: { requested: 'fused', ran: 'tfjs', reason: 'not covered', stepTimeSource: 'per-step', dispatchesPerStep: null },
    model: { name: 'mlp', params: 1000, batchNormMomentum: null },
    data: { trainExamples: 640, validationExamples: 80, stepsPerEpoch: 10, microBatchSize: 64 },
    stepMs: [900, 100, 300, 200],
    dataMs: [4, 1, 3, 2],
    epochMs: [1500],
    curve: [
      { epoch: 1, valLoss: 0.9, valAccuracy: 0.4, elapsedMs: 700 },
      { epoch: 2, valLoss: 0.6, valAccuracy: 0.7, elapsedMs: 1400 },
      { epoch: 3, valLoss: 0.65, valAccuracy: 0.65, elapsedMs: 2100 },
    ],
    compileMs: 250,
    totalMs: 2200,
    timeToTargetMs: 1400,
    stoppedEarlyAtEpoch: null,
    validationMs: 300,
    recalibrationMs: [20, 30, 10],
    memorySnapshot: null,
    memoryTimeline: [],
    logical: null,
    estimate: null,
    budgetBytes: 8 * 2 ** 30,
    budgetWarned: false,
    leakedTensors: 0,
    inference: { msPerExample: 0.5, batch: 80 },
    lossScale: null,
    ...overrides,
  };
}

const snapshot = (overrides: Partial<MemorySnapshot>): MemorySnapshot => ({
  backend: 'webgpu', source: 'webgpu-buffer-manager', exact: true, truePeakBytes: 5000, baselineBytes: 1000,
  peakAboveBaselineBytes: 4000, currentBytes: 1200, allocatedBytes: 7000, peakAllocatedBytes: 8000, freeBytes: 5800,
  buffersInUse: 3, buffersFree: 2, acquires: 10, releases: 7, textureBytesInUse: 0, flags: null, reason: null,
  ...overrides,
});

describe('buildRunResult', () => {
  it('summarises the steps: the first apart, the steady median, throughput at the effective batch', () => {
    const { timing } = buildRunResult(measurements());
    expect(timing).toMatchObject({
      firstStepMs: 900, medianStepMs: 200, steadySteps: 3, stepsCompleted: 4, compileMs: 250, totalMs: 2200,
      medianDataMs: 2.5, epochMs: [1500], timeToTargetMs: 1400,
    });
    expect(timing.samplesPerSec).toBeCloseTo(64 / 0.2, 9);
  });

  it('splits the wall time into training and validation, and counts the validations', () => {
    expect(buildRunResult(measurements()).timing).toMatchObject({
      totalMs: 2200, trainingMs: 1900, validationMs: 300, validations: 3, medianRecalibrationMs: 20,
    });
  });

  it('leaves throughput and data time empty when no step ran', () => {
    const { timing } = buildRunResult(measurements({ stepMs: [], dataMs: [] }));
    expect(timing).toMatchObject({ firstStepMs: null, medianStepMs: null, samplesPerSec: null, medianDataMs: null, stepsCompleted: 0 });
  });

  it('reads accuracy from the curve: the last epoch, the best one, whether the target was reached', () => {
    expect(buildRunResult(measurements()).accuracy).toMatchObject({
      finalValAccuracy: 0.65, finalValLoss: 0.65, bestValAccuracy: 0.7, reachedTarget: true, stoppedEarlyAtEpoch: null,
    });
    expect(buildRunResult(measurements({ curve: [], timeToTargetMs: null })).accuracy).toMatchObject({
      finalValAccuracy: null, finalValLoss: null, bestValAccuracy: null, reachedTarget: false, curve: [],
    });
  });

  it('says why the true peak is missing when the run stopped before training', () => {
    const { memory } = buildRunResult(measurements({ status: 'failed', reason: 'no data' }));
    expect(memory).toMatchObject({
      truePeakBytes: null, truePeakSource: null, truePeakNote: 'not measured: the run stopped before training',
      allocatedBytes: null, timeline: [],
    });
  });

  it('takes the true peak, its source and the pool from the instrument, and the timeline without pool sizes', () => {
    const exact = buildRunResult(measurements({
      memorySnapshot: snapshot({}),
      memoryTimeline: [{ step: 1, bytesInUse: 1200, peakBytes: 5000, allocatedBytes: 7000 }],
    })).memory;
    expect(exact).toMatchObject({
      truePeakBytes: 5000, truePeakSource: 'webgpu-buffer-manager', truePeakNote: null, allocatedBytes: 8000,
      timeline: [{ step: 1, bytesInUse: 1200, peakBytes: 5000 }],
    });
    const sampled = buildRunResult(measurements({
      memorySnapshot: snapshot({ source: 'webgl-memory-sampled', exact: false, reason: 'a lower bound' }),
    })).memory;
    expect(sampled).toMatchObject({ truePeakSource: 'webgl-memory-sampled (sampled)', truePeakNote: 'a lower bound' });
  });

  it('warns about the budget when a step reached the warning level or the run went over it', () => {
    expect(buildRunResult(measurements()).memory.budgetWarning).toBe(false);
    expect(buildRunResult(measurements({ budgetWarned: true })).memory.budgetWarning).toBe(true);
    expect(buildRunResult(measurements({ status: 'over-budget' })).memory.budgetWarning).toBe(true);
  });

  it('takes the logical peak, the slowest kernels and the estimate as measured', () => {
    const topKernels = [{ name: 'Conv2D', calls: 2, totalMs: 30 }];
    const logical = { peakBytes: 4096, startBytes: 1024, peakAboveStartBytes: 3072, newBytes: 0, newTensors: 0, kernels: 40, topKernels };
    const estimate = {
      microBatch: 64, optimizer: 'adam' as const, weightsBytes: 1, gradientsBytes: 1, optimizerBytes: 2, activationsBytes: 6, totalBytes: 10,
    };
    const { memory, precision } = buildRunResult(measurements({
      logical, estimate, lossScale: { finalScale: 1024, skippedSteps: 2, totalSteps: 4 },
    }));
    expect(memory).toMatchObject({ logicalPeakBytes: 4096, topKernels, estimatedBytes: 10, estimate });
    expect(precision).toEqual({ mode: config.precision, lossScale: { finalScale: 1024, skippedSteps: 2, totalSteps: 4 } });
  });
});
