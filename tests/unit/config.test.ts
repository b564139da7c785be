import { describe, expect, it } from 'vitest';
import { defaultRunConfig, microBatchSize, validateRunConfig } from '../../src/core/config';

function errorsOf(input: unknown): Record<string, string> {
  const result = validateRunConfig(input);
  if (result.ok) return {};
  return Object.fromEntries(result.errors.map((e) => [e.field, e.message]));
}

describe('RunConfig validation', () => {
  it('accepts the defaults, which are the quick-validation recipe on MNIST', () => {
    const result = validateRunConfig({});
    expect(result).toEqual({ ok: true, config: defaultRunConfig() });
    expect(defaultRunConfig()).toMatchObject({ dataset: 'mnist', model: 'cnn-small', subsetFraction: 0.1, epochs: 1, backend: 'auto' });
  });

  it('reports a negative batch size with the allowed range', () => {
    expect(errorsOf({ batchSize: -8 })).toEqual({ batchSize: 'Batch size must be in [1, 4096]; got -8.' });
  });

  it('reports a batch size not divisible by the accumulation steps and suggests a fix', () => {
    expect(errorsOf({ batchSize: 30, accumulationSteps: 4 }).accumulationSteps).toBe(
      'Batch size 30 is not divisible by 4 accumulation steps: use a batch size that is a multiple of 4 (e.g. 28) or change the steps.');
  });

  it('reports an unknown model and lists the known ones', () => {
    expect(errorsOf({ model: 'resnet-152' }).model).toMatch(/^Model must be one of mlp, cnn-small.*; got "resnet-152"\.$/);
  });

  it('requires the subset fraction in (0, 1]', () => {
    expect(errorsOf({ subsetFraction: 0 }).subsetFraction).toBe('Subset fraction must be in (0, 1]; got 0.');
    expect(errorsOf({ subsetFraction: 1.5 }).subsetFraction).toBe('Subset fraction must be in (0, 1]; got 1.5.');
    expect(errorsOf({ subsetFraction: 1 })).toEqual({});
  });

  it('rejects NaN, strings, fractions where integers are needed, and reports every bad field at once', () => {
    expect(errorsOf({ epochs: 1.5, learningRate: Number.NaN, seed: '7', backend: 'metal' })).toEqual({
      epochs: 'Epochs must be a whole number; got 1.5.',
      learningRate: 'Learning rate must be a number; got NaN.',
      seed: 'Seed must be a number; got "7".',
      backend: 'Backend must be one of auto, webgpu, webgl, cpu; got "metal".',
    });
  });

  it('ignores unknown fields and never reads inherited properties', () => {
    const hostile = JSON.parse('{"__proto__": {"batchSize": -1}, "unknown": 3}');
    expect(validateRunConfig(hostile)).toEqual({ ok: true, config: defaultRunConfig() });
    expect(({} as Record<string, unknown>).batchSize).toBeUndefined();
  });

  it('refuses non-objects', () => {
    expect(errorsOf(null)).toEqual({ config: 'A run configuration must be an object; got null.' });
    expect(errorsOf([1, 2])).toEqual({ config: 'A run configuration must be an object; got a list.' });
  });

  it('asks for a whole number of steps when validating every N steps, and checks the schedule and smoothing', () => {
    expect(errorsOf({ validationUnit: 'steps', validationInterval: 2.5 })).toEqual({
      validationInterval: 'Validating every 2.5 steps needs a whole number of steps (e.g. 3).',
    });
    expect(validateRunConfig({ validationUnit: 'seconds', validationInterval: 2.5 }).ok).toBe(true);
    expect(errorsOf({ learningRateSchedule: 'step', labelSmoothing: 0.6 })).toEqual({
      learningRateSchedule: 'Learning-rate schedule must be one of constant, warmup-cosine, one-cycle; got "step".',
      labelSmoothing: 'Label smoothing must be in [0, 0.5]; got 0.6.',
    });
  });

  it('derives the micro-batch from the effective batch and the steps', () => {
    expect(microBatchSize({ batchSize: 256, accumulationSteps: 4 })).toBe(64);
  });
});
