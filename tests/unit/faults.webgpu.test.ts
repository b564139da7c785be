import * as tf from '../../src/core/tf';
import type { WebGpuBackendInternals } from '../../src/core/backend-internals';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import type { Environment } from '../../src/core/environment';
import type { TrainerEvent } from '../../src/core/events';
import { flushPendingReleases } from '../../src/core/measure/webgpu-buffers';
import { freshWebGpuBackend } from '../setup/fresh-webgpu-backend';
import { initBackend } from '../../src/core/train/backend';
import { runTraining } from '../../src/core/train/trainer';
import { loadShippedDataset } from './shipped-data';

let environment: Environment;
let dataset: ImageDataset;

beforeAll(async () => {
  environment = await initBackend('webgpu');
  dataset = await loadShippedDataset();
});

const SMALL: Partial<RunConfig> = { model: 'mlp', backend: 'webgpu', subsetFraction: 0.05, batchSize: 16 };
const device = () => (tf.backend() as unknown as WebGpuBackendInternals).device;
/**
 * Bytes of GPU buffers in use (the buffer manager's count) after deferred releases are submitted, less the 16-byte
 * timestamp-query resolve buffer tfjs acquires on the first profiled step and keeps for the backend's life.
 */
const bytesInUse = () => {
  flushPendingReleases();
  const profiler = (tf.backend() as unknown as WebGpuBackendInternals).queryResolveBuffer;
  return (tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU - (profiler?.size ?? 0);
};

function train(overrides: Partial<RunConfig>, onEvent: (event: TrainerEvent, cancel: () => void) => void) {
  let cancelled = false;
  return runTraining({ ...defaultRunConfig(), ...SMALL, ...overrides }, dataset, environment, {
    emit: (event) => onEvent(event, () => { cancelled = true; }),
    isCancelled: () => cancelled,
  });
}

describe('cancel leaves nothing behind (Node WebGPU)', () => {
  const points: [string, Partial<RunConfig>, (event: TrainerEvent) => boolean][] = [
    ['while compiling, before the first step', {}, (e) => e.type === 'progress' && e.stage === 'compile'],
    ['mid-epoch, between steps', {}, (e) => e.type === 'step' && e.step === 2],
    // The last step of epoch 1 of 2: the next check is the one inside validation.
    ['at validation', { epochs: 2 }, (e) => e.type === 'step' && e.step === e.totalSteps / 2],
  ];
  it('a finished run leaves no tensor and no GPU bytes behind either', async () => {
    await freshWebGpuBackend();
    const [tensors, bytes] = [tf.memory().numTensors, bytesInUse()];
    expect((await train({}, () => {})).status).toBe('done');
    expect(tf.memory().numTensors).toBe(tensors);
    expect(bytesInUse()).toBe(bytes);
  });

  it.each(points)('%s: tensors and true GPU bytes return to the fresh-backend baseline', async (_, overrides, when) => {
    await freshWebGpuBackend();
    const [tensors, bytes] = [tf.memory().numTensors, bytesInUse()];
    const result = await train(overrides, (event, cancel) => { if (when(event)) cancel(); });
    expect(result.status).toBe('cancelled');
    expect(result.reason).toBe('Stopped by the user.');
    expect(tf.memory().numTensors).toBe(tensors);
    expect(bytesInUse()).toBe(bytes);
  });
});

describe('GPU faults end the run with the reason, and the next run works on a fresh backend', () => {
  it('a device lost mid-run fails the run, saying so, and keeps the steps it measured', async () => {
    await freshWebGpuBackend();
    const result = await train({}, (event) => { if (event.type === 'step' && event.step === 2) device().destroy(); });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/^The GPU device was lost \(destroyed/);
    expect(result.timing.stepsCompleted).toBeGreaterThanOrEqual(2);

    await freshWebGpuBackend();
    const next = await train({}, () => {});
    expect(next.status).toBe('done');
  });

  it('an out-of-memory error the GPU reports only as an event stops the run as OOM', async () => {
    await freshWebGpuBackend();
    const tensors = tf.memory().numTensors;
    const result = await train({}, (event) => {
      if (event.type !== 'step' || event.step !== 1) return;
      // What the browser delivers when a buffer allocation fails: tfjs-webgpu uses no error scopes, so nothing throws.
      const error = new GPUOutOfMemoryError('Not enough memory left to allocate a 2 GiB buffer.');
      device().dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error }));
    });
    expect(result.status).toBe('oom');
    expect(result.reason).toBe('Out of GPU memory: out of memory: Not enough memory left to allocate a 2 GiB buffer.');
    expect(result.timing.stepsCompleted).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
