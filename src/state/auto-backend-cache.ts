/**
 * auto's measured choices in this page, per model, data and kernels: a sweep or a repeated run measures the backends
 * once, and the later runs' results say their choice was measured for an earlier run, and at which batch
 * (AutoBackendChoice.reused): a sweep over batch sizes would otherwise measure before every row.
 */
import type { RunConfig } from '../core/config';
import type { AutoBackendChoice } from '../core/environment';
import type { RunResult } from '../core/result';

const choices = new Map<string, AutoBackendChoice>();

/** What decides which backend is fastest, the batch aside: the dataset, the model, the precision, the pipeline, the engine. */
function keyOf(config: RunConfig): string {
  const { dataset, model, precision, dataPipeline, engine } = config;
  return JSON.stringify([dataset, model, precision, dataPipeline, engine]);
}

/** The choice measured for an earlier run like this one, for a run with backend auto. */
export function knownAutoChoice(config: RunConfig): AutoBackendChoice | undefined {
  return config.backend === 'auto' ? choices.get(keyOf(config)) : undefined;
}

/** Keeps a run's or range test's own measurement (a reused one is kept already). */
export function rememberChoice(config: RunConfig, choice: AutoBackendChoice | null | undefined): void {
  if (choice && !choice.reused) choices.set(keyOf(config), { ...choice, reused: true });
}

/** Keeps the measurement of a run that ended with a result. */
export function rememberAutoChoice(result: RunResult | null): void {
  if (result) rememberChoice(result.config, result.environment.autoChoice);
}
