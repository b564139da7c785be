/** Memory bars: the scale shared by a sweep's runs, and the estimate's parts as real models and settings change them. */
import * as tf from '../../src/core/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_PARTS, memoryBars, memoryScale } from '../../src/core/memory-breakdown';
import { MODEL_BUILDERS, analyzeModel, type MemoryEstimate } from '../../src/core/models';
import type { RunMemory } from '../../src/core/result';
import { createRng } from '../../src/core/rng';
import { estimateWithKeptActivations } from '../../src/core/train/stored-activations/network';

const MNIST = { height: 28, width: 28, channels: 1 };

function memory(estimate: MemoryEstimate | null, truePeakBytes: number | null, allocatedBytes: number | null): RunMemory {
  return {
    truePeakBytes, truePeakSource: truePeakBytes === null ? null : 'webgpu-buffer-manager',
    truePeakNote: truePeakBytes === null ? 'the CPU backend has no GPU memory' : null, logicalPeakBytes: null,
    estimatedBytes: estimate?.totalBytes ?? null, estimate, allocatedBytes, budgetBytes: 8 * 2 ** 30, budgetWarning: false,
    timeline: [], topKernels: [], leakedTensors: 0,
  };
}

describe('memoryScale', () => {
  it.each([
    [3.3 * 2 ** 20, 4 * 2 ** 20, ['0', '1 MiB', '2 MiB', '3 MiB', '4 MiB']],
    [37 * 2 ** 20, 40 * 2 ** 20, ['0', '10 MiB', '20 MiB', '30 MiB', '40 MiB']],
    [700 * 1024, 800 * 1024, ['0', '200 KiB', '400 KiB', '600 KiB', '800 KiB']],
    [1.2 * 2 ** 30, 1.5 * 2 ** 30, ['0', '512 MiB', '1 GiB', '1.5 GiB']],
  ])('puts %d bytes under a round top of %d with ticks in its unit', (largest, top, firstTicks) => {
    const scale = memoryScale(largest);
    expect(scale.top).toBeCloseTo(top, 0);
    expect(scale.ticks.slice(0, firstTicks.length).map((t) => t.text)).toEqual(firstTicks);
    expect(scale.ticks.at(-1)!.at).toBeCloseTo(1, 12);
    expect(scale.ticks.length).toBeGreaterThanOrEqual(3);
    expect(scale.ticks.length).toBeLessThanOrEqual(6);
  });

  it('a round largest figure is the top itself, and no figures still give an axis', () => {
    expect(memoryScale(8 * 2 ** 20).top).toBe(8 * 2 ** 20);
    expect(memoryScale(0).top).toBe(2 ** 20);
  });
});

describe('memoryBars on real models', () => {
  const estimates = new Map<string, MemoryEstimate>();
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    for (const name of ['mlp', 'cnn-small', 'mobilenet-v2-tiny'] as const) {
      const model = MODEL_BUILDERS[name].build(MNIST, 10, createRng(1));
      estimates.set(`${name} b32`, analyzeModel(model, 32).memory);
      estimates.set(`${name} b32 K=4`, analyzeModel(model, 8).memory);
      if (name === 'cnn-small') estimates.set(`${name} b32 fp16-activations`, estimateWithKeptActivations(analyzeModel(model, 32).memory, model));
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
  afterAll(() => estimates.clear());

  function bars() {
    const runs = [...estimates].map(([id, e], i) => ({ id, label: id, memory: memory(e, e.totalBytes * (1.5 + i / 10), e.totalBytes * 2) }));
    return memoryBars(runs);
  }
  const row = (id: string) => bars().rows.find((r) => r.id === id)!;
  const width = (id: string, part: string) => row(id).parts.find((p) => p.part === part)!.width;

  it('stacks the four parts end to end, summing to the estimate, on one scale set by the largest figure', () => {
    const { scale, rows } = bars();
    const largest = Math.max(...[...estimates.values()].map((e, i) => Math.max(e.totalBytes * (1.5 + i / 10), e.totalBytes * 2)));
    expect(scale.top).toBeGreaterThanOrEqual(largest);
    expect(scale.top).toBeLessThan(largest * 2.5);
    for (const r of rows) {
      expect(r.parts.map((p) => p.part)).toEqual([...MEMORY_PARTS]);
      r.parts.slice(1).forEach((p, i) => expect(p.start).toBeCloseTo(r.parts[i]!.start + r.parts[i]!.width, 12));
      const end = r.parts.at(-1)!.start + r.parts.at(-1)!.width;
      expect(end).toBeCloseTo(r.estimate!.width, 12);
      expect(r.estimate!.width).toBeCloseTo(estimates.get(r.id)!.totalBytes / scale.top, 12);
      expect(r.truePeak!.width).toBeCloseTo(r.truePeak!.bytes / scale.top, 12);
      expect(Math.max(r.estimate!.width, r.truePeak!.width, r.allocated!.width)).toBeLessThanOrEqual(1);
    }
  });

  it('accumulation shrinks the activations by its factor and leaves weights, gradients and Adam state alone', () => {
    for (const name of ['mlp', 'cnn-small', 'mobilenet-v2-tiny']) {
      expect(width(`${name} b32 K=4`, 'activations')).toBeCloseTo(width(`${name} b32`, 'activations') / 4, 12);
      for (const part of ['weights', 'gradients', 'optimizer']) expect(width(`${name} b32 K=4`, part)).toBe(width(`${name} b32`, part));
    }
  });

  it('fp16-activations about halves the kept activations; a light architecture has smaller weights than the mlp', () => {
    // Halves, plus what stays float32 (the model input).
    expect(width('cnn-small b32 fp16-activations', 'activations')).toBeLessThan(0.55 * width('cnn-small b32', 'activations'));
    expect(width('cnn-small b32 fp16-activations', 'activations')).toBeGreaterThan(0);
    expect(width('mobilenet-v2-tiny b32', 'weights')).toBeLessThan(width('mlp b32', 'weights'));
  });

  it('says every figure in words, and why a true peak is missing', () => {
    const e = estimates.get('mlp b32')!;
    const [measured, cpu] = memoryBars([
      { id: 'a', label: 'mlp', memory: memory(e, 6 * 2 ** 20, 8 * 2 ** 20) },
      { id: 'b', label: 'mlp on cpu', memory: memory(e, null, null) },
    ]).rows;
    expect(measured!.description).toMatch(/^mlp: estimate [\d.]+ [KM]iB \(weights [\d.]+ [KM]iB, gradients [\d.]+ [KM]iB, optimizer state [\d.]+ [KM]iB, kept activations [\d.]+ [KM]iB\); true peak 6 MiB; pool allocated 8 MiB$/);
    expect(cpu!.truePeak).toBeNull();
    expect(cpu!.truePeakNote).toBe('the CPU backend has no GPU memory');
    expect(cpu!.description).toContain('true peak not measured (the CPU backend has no GPU memory); pool not measured');
  });

  it('a run without an estimate has no parts but keeps its measured bars', () => {
    const [r] = memoryBars([{ id: 'x', label: 'x', memory: memory(null, 3 * 2 ** 20, null) }]).rows;
    expect(r!.parts).toEqual([]);
    expect(r!.estimate).toBeNull();
    expect(r!.truePeak!.width).toBeCloseTo(1, 12);
    expect(r!.description).toContain('no estimate');
  });
});
