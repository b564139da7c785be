/**
 * The memory instrument checked against allocations of known size, on tfjs's WebGPU backend in Node (Dawn).
 *
 * What tfjs-webgpu 4.22 allocates for `tf.fill([n], v)` (read from its source, confirmed here): one storage buffer of
 * exactly 4·n bytes for the result and one uniform buffer of 24 bytes for the kernel's parameters (NaN, Infinity,
 * shape, strides, size, value), the latter released at the next queue submit. Every expectation below is "the tensor
 * bytes", with at most a few uniform buffers (≤ 24 B each) on top: the 1 % tolerance is far larger than those.
 *
 * Each test starts from a fresh backend (freshWebGpuBackend), so the pool is empty and the baseline is 0 bytes.
 */
import * as tf from '../../src/core/tf';
import type { WebGpuBackendInternals } from '../../src/core/backend-internals';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { measureLogicalPeak } from '../../src/core/measure/logical-peak';
import { createMemoryInstrument } from '../../src/core/measure/memory-instrument';
import { webGlMemoryFrom } from '../../src/core/measure/webgl-memory';
import { flushPendingReleases } from '../../src/core/measure/webgpu-buffers';
import { initBackend } from '../../src/core/train/backend';
import { freshWebGpuBackend } from '../setup/fresh-webgpu-backend';

const MiB = 1024 * 1024;
/** A float32 tensor of `bytes` bytes, computed on the GPU (tf.ones/tf.tensor would stay on the CPU until used). */
const filled = (bytes: number, value = 1) => tf.fill([bytes / 4], value);

/** |measured − expected| ≤ 1 % of expected. */
function expectWithinOnePercent(measured: number | null, expected: number): void {
  expect(measured).not.toBeNull();
  expect(Math.abs(measured! - expected)).toBeLessThanOrEqual(0.01 * expected);
}

let tensorsBefore = 0;

beforeAll(async () => {
  const environment = await initBackend('webgpu');
  expect(environment.backend).toBe('webgpu');
});

beforeEach(async () => {
  await freshWebGpuBackend();
  tensorsBefore = tf.memory().numTensors;
});

afterEach(() => {
  // Every test disposes what it made: nothing may be left on the device.
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

describe('true GPU peak (webgpu buffer manager)', () => {
  it('counts known allocations: 1 MiB + 3 MiB, dispose the 1 MiB, flush, 1 MiB again → peak 4 MiB', async () => {
    const memory = createMemoryInstrument();
    expect(memory.source).toBe('webgpu-buffer-manager');
    memory.start();
    const start = memory.snapshot();
    expect(start.truePeakBytes).toBe(0);
    expect(start.allocatedBytes).toBe(0);

    const a = filled(1 * MiB);
    const b = filled(3 * MiB);
    expectWithinOnePercent(memory.snapshot().currentBytes, 4 * MiB);
    a.dispose();
    flushPendingReleases(); // the submit releases a's buffer (and the uniforms) into the pool
    expectWithinOnePercent(memory.snapshot().currentBytes, 3 * MiB);
    const c = filled(1 * MiB, 2); // same size and usage: reuses a's pooled buffer

    const snap = memory.snapshot();
    expectWithinOnePercent(snap.truePeakBytes, 4 * MiB);
    expectWithinOnePercent(snap.currentBytes, 4 * MiB);
    expectWithinOnePercent(snap.allocatedBytes, 4 * MiB); // the pool did not grow for c
    expect(snap.peakAboveBaselineBytes).toBe(snap.truePeakBytes);
    expect(snap.exact).toBe(true);
    expect(snap.flags).toEqual({ deferredSubmitBatchSize: 15, cpuForward: false });

    tf.dispose([b, c]);
    flushPendingReleases();
    const end = memory.snapshot();
    expect(end.currentBytes).toBe(0);
    expectWithinOnePercent(end.freeBytes, 4 * MiB); // the pool keeps them: allocated never shrinks
    expectWithinOnePercent(end.truePeakBytes, 4 * MiB);
    memory.stop();
  });

  it('includes deferred release: a tensor disposed while its command is still queued holds its buffer → 5 MiB', () => {
    const memory = createMemoryInstrument();
    memory.start();
    const a = filled(1 * MiB);
    const b = filled(3 * MiB);
    a.dispose(); // a's fill is not submitted yet (fewer than 15 dispatches): its buffer stays in use until the submit
    const c = filled(1 * MiB, 2); // so c needs a new buffer
    expectWithinOnePercent(memory.snapshot().truePeakBytes, 5 * MiB);
    tf.dispose([b, c]);
    flushPendingReleases();
    expect(memory.snapshot().currentBytes).toBe(0);
    expectWithinOnePercent(memory.snapshot().allocatedBytes, 5 * MiB);
    memory.stop();
  });

  it('counts the read-back staging buffer: reading a 1 MiB tensor peaks at 2 MiB', async () => {
    const memory = createMemoryInstrument();
    memory.start();
    const a = filled(1 * MiB);
    await a.data();
    const snap = memory.snapshot();
    expectWithinOnePercent(snap.truePeakBytes, 2 * MiB);
    expectWithinOnePercent(snap.currentBytes, 1 * MiB); // the MAP_READ buffer went back to the pool…
    expectWithinOnePercent(snap.allocatedBytes, 2 * MiB); // …and stays allocated there
    a.dispose();
    memory.stop();
  });

  it('records a timeline: bytes in use at each sample and the peak in between', () => {
    const memory = createMemoryInstrument();
    memory.start();
    const kept = filled(1 * MiB);
    memory.sample(1);
    tf.dispose(filled(2 * MiB)); // a transient 2 MiB, gone (after the flush) before the next sample
    flushPendingReleases();
    memory.sample(2);
    const [first, second] = memory.timeline();
    expectWithinOnePercent(first!.bytesInUse, 1 * MiB);
    expectWithinOnePercent(second!.bytesInUse, 1 * MiB);
    expectWithinOnePercent(second!.peakBytes, 3 * MiB);
    expect(second!.step).toBe(2);
    kept.dispose();
    memory.stop();
  });

  it('keeps at most maxTimelineSamples points, merging neighbours without losing a peak', () => {
    const memory = createMemoryInstrument({ maxTimelineSamples: 4 });
    memory.start();
    for (let step = 1; step <= 9; step++) {
      if (step === 3) tf.dispose(filled(1 * MiB));
      flushPendingReleases();
      memory.sample(step);
    }
    const timeline = memory.timeline();
    expect(timeline.length).toBeLessThanOrEqual(4);
    expect(timeline.at(-1)!.step).toBe(9);
    expectWithinOnePercent(Math.max(...timeline.map((s) => s.peakBytes)), 1 * MiB);
    memory.stop();
  });

  it('unhooks on stop(): later allocations no longer move the peak', () => {
    const memory = createMemoryInstrument();
    memory.start();
    memory.stop();
    const a = filled(1 * MiB);
    expect(memory.snapshot().truePeakBytes).toBe(0);
    expect(Object.prototype.hasOwnProperty.call((tf.backend() as unknown as WebGpuBackendInternals).bufferManager,
      'acquireBuffer')).toBe(false);
    a.dispose();
  });
});

describe('fresh backend per configuration', () => {
  it('starts the new backend from an empty pool after a previous run filled it', async () => {
    const before = tf.backend();
    const oldInstrument = createMemoryInstrument();
    oldInstrument.start();
    const work = [filled(2 * MiB), filled(3 * MiB)];
    await work[0]!.data();
    tf.dispose(work);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect((tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU).toBeGreaterThanOrEqual(5 * MiB);

    const report = await freshWebGpuBackend();
    expect(report.previousAllocatedBytes).toBeGreaterThanOrEqual(5 * MiB);
    // An instrument made for the old backend says its figures are about that one.
    expect(oldInstrument.snapshot()).toMatchObject({ exact: false, reason: expect.stringMatching(/replaced/) });
    expect(createMemoryInstrument().snapshot()).toMatchObject({ exact: true, allocatedBytes: 0 });
    expect(report.allocatedBytes).toBe(0);
    expect(report.destroyedOldDevice).toBe(true);
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.backend()).not.toBe(before);
    expect(tf.memory()).toMatchObject({ numBytesInGPU: 0, numBytesAllocatedInGPU: 0 });
    expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false); // flags are global: they survive

    const total = tf.tidy(() => filled(1 * MiB, 3).sum()); // and the new backend computes
    expect((await total.data())[0]).toBe((MiB / 4) * 3);
    total.dispose();
  });

  it('refuses to replace a backend that still holds tensors, and says why', async () => {
    const alive = filled(4);
    await expect(freshWebGpuBackend()).rejects.toThrow(/1 tensor\(s\) still live/);
    alive.dispose();
  });
});

describe('logical peak (tf.profile)', () => {
  it('counts tensors, not buffers: a clone and a reshape count again although they share one buffer', async () => {
    const memory = createMemoryInstrument();
    memory.start();
    const { logical, result } = await measureLogicalPeak(() => tf.tidy(() => {
      const x = filled(1 * MiB);
      const alias = x.clone().reshape([512, 512]); // same dataId, same GPU buffer
      return alias.sum();
    }));
    // Logical: x, its clone and the reshape, 1 MiB each, plus 4-byte scalars.
    expectWithinOnePercent(logical.peakAboveStartBytes, 3 * MiB);
    expect(logical.newTensors).toBe(1);
    expect(logical.newBytes).toBe(4);
    // True: one 1 MiB buffer (+ the scalar, uniforms and profiling's timestamp buffers: bytes, not kilobytes).
    expectWithinOnePercent(memory.snapshot().truePeakBytes, 1 * MiB);
    result.dispose();
    memory.stop();
  });
});

describe('other backends', () => {
  it('reports null, not zero, with a reason on the cpu backend', async () => {
    await tf.setBackend('cpu');
    try {
      const memory = createMemoryInstrument();
      memory.start();
      expect(memory.available).toBe(false);
      expect(memory.sample(1)).toBeNull();
      const snap = memory.snapshot();
      expect(snap).toMatchObject({ backend: 'cpu', source: 'none', truePeakBytes: null, currentBytes: null, allocatedBytes: null });
      expect(snap.reason).toMatch(/no GPU memory/);
      expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    } finally {
      await tf.setBackend('webgpu');
    }
  });

  it('reads the WebGL fields of tf.memory() where present, null where absent', () => {
    expect(webGlMemoryFrom({ numBytesInGPU: 10, numBytesInGPUAllocated: 30, numBytesInGPUFree: 20, numTensors: 1 }))
      .toEqual({ numBytesInGPU: 10, numBytesInGPUAllocated: 30, numBytesInGPUFree: 20 });
    expect(webGlMemoryFrom({ numBytesInGPU: 10, unreliable: true }))
      .toEqual({ numBytesInGPU: 10, numBytesInGPUAllocated: null, numBytesInGPUFree: null });
  });
});
