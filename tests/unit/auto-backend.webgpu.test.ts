/** auto by measurement on Dawn: WebGPU is measured too, and its probe leaves nothing on the backend the run gets. */
import * as tf from '../../src/core/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { asWebGpuBackend } from '../../src/core/backend-internals';
import { defaultRunConfig, type RunConfig } from '../../src/core/config';
import type { ImageDataset } from '../../src/core/data/dataset';
import { initBackend, initFastestBackend } from '../../src/core/train/backend';
import { loadShippedDataset } from './shipped-data';

let dataset: ImageDataset;
beforeAll(async () => {
  await initBackend('webgpu');
  dataset = await loadShippedDataset();
});

describe('auto by measurement on WebGPU (Dawn)', () => {
  it('times WebGPU with the fused engine and hands the run a fresh backend', async () => {
    const config: RunConfig = { ...defaultRunConfig(), model: 'mlp', batchSize: 32, backend: 'auto' };
    const baseline = tf.memory().numTensors;
    const start = performance.now();
    const environment = await initFastestBackend(config, dataset);
    console.log(`[measure] ${environment.summary} (${(performance.now() - start).toFixed(0)} ms)`);
    const webgpu = environment.autoChoice!.probes[0]!;
    expect(webgpu).toMatchObject({ backend: 'webgpu', detail: 'fused WebGPU kernels' });
    expect(webgpu.msPerStep).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(baseline);
    if (environment.backend === 'webgpu') {
      // The probe's buffers went with the instance it used: the run's pool starts empty.
      expect(asWebGpuBackend(tf.backend())!.bufferManager.numBytesAllocated).toBe(0);
    }
  }, 300_000);
});
