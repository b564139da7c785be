import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/core/tf';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { BackendProbe } from '../../src/core/environment';
import {
  CPU_PROBE_EXAMPLES, BackendUnavailableError, chooseFastestBackend, describeAutoChoice, initBackend, initFastestBackend,
} from '../../src/core/train/backend';
import { runTraining } from '../../src/core/train/trainer';
import { knownAutoChoice, rememberChoice } from '../../src/state/auto-backend-cache';
import { loadShippedDataset } from './shipped-data';

const probe = (backend: BackendProbe['backend'], msPerStep: number | null, softwareAdapter = false): BackendProbe => ({
  backend, msPerStep, softwareAdapter, warmUpMs: msPerStep === null ? null : 3 * msPerStep, timedSteps: msPerStep === null ? 0 : 4,
  detail: msPerStep === null ? 'navigator.gpu is missing' : 'tfjs kernels',
});

describe("auto's choice from probe timings", () => {
  it('takes the fastest measured backend, whatever the order', () => {
    expect(chooseFastestBackend([probe('webgpu', 2000, true), probe('webgl', 310), probe('cpu', 1100)])).toBe('webgl');
    expect(chooseFastestBackend([probe('webgpu', 12), probe('webgl', 310), probe('cpu', 1100)])).toBe('webgpu');
    expect(chooseFastestBackend([probe('webgpu', 900), probe('webgl', 950), probe('cpu', 400)])).toBe('cpu');
  });

  it('skips backends that could not be measured, and keeps the order on a tie', () => {
    expect(chooseFastestBackend([probe('webgpu', null), probe('webgl', null), probe('cpu', 1100)])).toBe('cpu');
    expect(chooseFastestBackend([probe('webgpu', 300), probe('webgl', 300), probe('cpu', null)])).toBe('webgpu');
    expect(chooseFastestBackend([probe('webgpu', null), probe('webgl', null), probe('cpu', null)])).toBeNull();
  });

  it('says which it chose and why, with every backend\'s figure', () => {
    const text = describeAutoChoice({ chosen: 'webgl', probes: [probe('webgpu', 2000, true), probe('webgl', 310), probe('cpu', null)], totalMs: 4200,
      batchSize: 32, accumulationSteps: 1, reused: false });
    expect(text).toMatch(/^auto chose webgl, the fastest measured: webgpu \(software adapter\) 2(\.0+)? s\/step, webgl 310 ms\/step, cpu not measured \(navigator\.gpu is missing\)/);
    expect(text).toMatch(/4\.2 s\.$/);
    const reused = describeAutoChoice({ chosen: 'webgl', probes: [probe('webgl', 310)], totalMs: 900, batchSize: 64, accumulationSteps: 2, reused: true });
    expect(reused).toMatch(/^auto chose webgl, the fastest measured for an earlier run of this model, precision and engine in this page \(batch 64 in 2 micro-batches\): webgl 310 ms\/step/);
  });
});

describe("the page's memory of auto's choices", () => {
  const choice = { chosen: 'webgl' as const, probes: [probe('webgl', 310)], totalMs: 900, batchSize: 48, accumulationSteps: 1, reused: false };
  const base: RunConfig = { ...defaultRunConfig(), backend: 'auto', model: 'mlp', batchSize: 48 };

  it('gives a run like a measured one its choice, marked as reused, and nothing to other runs', () => {
    expect(knownAutoChoice(base)).toBeUndefined();
    rememberChoice(base, choice);
    expect(knownAutoChoice({ ...base, epochs: 3, learningRate: 0.01 })).toEqual({ ...choice, reused: true });
    // The batch is not part of the key: the reused choice says which batch it was measured at.
    expect(knownAutoChoice({ ...base, batchSize: 64, accumulationSteps: 2 })).toEqual({ ...choice, reused: true });
    expect(knownAutoChoice({ ...base, model: 'cnn-small' })).toBeUndefined();
    expect(knownAutoChoice({ ...base, engine: 'tfjs' })).toBeUndefined();
    // A backend picked by hand never takes auto's choice.
    expect(knownAutoChoice({ ...base, backend: 'webgpu' })).toBeUndefined();
  });
});

describe('auto by measurement in Node (only the CPU backend starts here)', () => {
  let dataset: ImageDataset;
  beforeAll(async () => {
    dataset = await loadShippedDataset('mnist');
  });
  const config: RunConfig = { ...defaultRunConfig(), model: 'mlp', batchSize: 32, subsetFraction: 0.02, epochs: 1, backend: 'auto' };

  it('measures, chooses, leaves no tensor behind, and the run records the choice', async () => {
    await initBackend('cpu');
    const baseline = tf.memory().numTensors;
    const progress: string[] = [];
    const environment = await initFastestBackend(config, dataset, { onProgress: (message) => progress.push(message) });
    expect(progress).toEqual(['Measuring backends: webgpu…', 'Measuring backends: webgl…', 'Measuring backends: cpu…']);
    expect(tf.memory().numTensors).toBe(baseline);
    expect(environment.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const choice = environment.autoChoice!;
    expect(choice.chosen).toBe('cpu');
    expect(choice.probes.map((p) => [p.backend, p.msPerStep === null])).toEqual([['webgpu', true], ['webgl', true], ['cpu', false]]);
    // The CPU backend compiles nothing: its first step, on a slice of the batch, scaled to the batch is its figure.
    const cpu = choice.probes[2]!;
    expect(cpu.timedSteps).toBe(0);
    expect(cpu.examples).toBe(CPU_PROBE_EXAMPLES);
    expect(cpu.msPerStep).toBeGreaterThan(0);
    expect(cpu.msPerStep).toBeCloseTo(cpu.warmUpMs! * (config.batchSize / CPU_PROBE_EXAMPLES), 9);
    expect(choice.reused).toBe(false);
    expect(cpu.detail).toMatch(/^tfjs kernels/);
    expect(environment.summary).toMatch(/^auto chose cpu, the fastest measured: webgpu not measured \(.+\), webgl not measured \(.+\), cpu \d/);

    const result = await runTraining(config, dataset, environment, { emit: () => undefined, isCancelled: () => false });
    expect(result.status).toBe('done');
    expect(result.environment.backend).toBe('cpu');
    expect(result.environment.autoChoice?.chosen).toBe('cpu');
    expect(result.memory.leakedTensors).toBe(0);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 300_000);

  it('keeps a backend picked by hand an error when it is unavailable', async () => {
    await expect(initBackend('webgpu')).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
