/**
 * Presets of the run configuration: "fastest to target", one per shipped dataset, each chosen by measuring with `npm run
 * race` (its note says what was measured, on which adapter and when), and the quick validation's shared settings.
 * Applying one sets the fields it names and keeps every other one.
 */
import type { DatasetId, RunConfig, SHIPPED_DATASET_IDS } from './config';
import { quickValidationSweep } from './sweep';

type ShippedDatasetId = (typeof SHIPPED_DATASET_IDS)[number];

/** The fields a preset sets: what trains, how long, how fast it learns, the target and how often it is checked. */
export type PresetSettings = Pick<RunConfig,
  | 'model' | 'backend' | 'engine' | 'batchSize' | 'accumulationSteps' | 'precision' | 'dataPipeline' | 'epochs' | 'subsetFraction'
  | 'learningRate' | 'learningRateSchedule' | 'warmupFraction' | 'labelSmoothing' | 'targetAccuracy' | 'validationUnit'
  | 'validationInterval' | 'validationSample' | 'earlyStoppingPatience'>;

export interface FastestToTargetPreset {
  dataset: ShippedDatasetId;
  /** e.g. "Fastest to 97 % on MNIST". */
  title: string;
  settings: PresetSettings;
  /** The measurement that chose it: time to target, adapter, date, and what it raced against. */
  note: string;
}

/** Shared by both presets: fp32 on the fused WebGPU engine, data on the GPU, no accumulation, no early stop. */
const COMMON = {
  backend: 'webgpu', engine: 'fused', accumulationSteps: 1, precision: 'fp32', dataPipeline: 'gpu-resident',
  earlyStoppingPatience: 0, learningRateSchedule: 'constant', warmupFraction: 0.1, labelSmoothing: 0, validationUnit: 'steps',
  validationSample: 'stratified-500',
} as const;

export const FASTEST_TO_TARGET: Record<ShippedDatasetId, FastestToTargetPreset> = {
  mnist: {
    dataset: 'mnist',
    title: 'Fastest to 97 % on MNIST',
    settings: {
      ...COMMON, model: 'cnn-small', batchSize: 32, epochs: 2, subsetFraction: 1, learningRate: 0.003, targetAccuracy: 0.97,
      validationInterval: 25,
    },
    note: 'npm run race, 2026-12-06, SwiftShader WebGPU (fallback adapter) in headless Chromium 156 on 2 CPU cores shared '
      + 'with other jobs (load 20–34): not reached in the 38 min measured — 96.5 % at step 250 (2,043 s), 95.1 % at step 300 '
      + '(2,298 s); each validation took 2–4 min there (tfjs\'s WebGPU convolution forward), a training step ≈ 1 s. '
      + 'Beside it, tfjs kernels on WebGL (batch 64) took 2.6–7.9 s per step and did not reach 97 % in 6 min; batch 64 '
      + 'fused reached 88.4 % at step 25 against 90.9 % at step 50 for batch 32 (the same 1,600 images).',
  },
  'fashion-mnist': {
    dataset: 'fashion-mnist',
    title: 'Fastest to 80 % on Fashion-MNIST',
    settings: {
      ...COMMON, model: 'mlp', batchSize: 64, epochs: 2, subsetFraction: 0.15, learningRate: 0.003, targetAccuracy: 0.8,
      validationInterval: 10,
    },
    note: 'npm run race, 2026-12-06, SwiftShader WebGPU (fallback adapter) in headless Chromium 156 on 2 CPU cores shared '
      + 'with other jobs (load ≈ 24): 80.3 % at step 100, 81.6 s after training started (validation, ≈ 4 s each, '
      + 'included). 85 % was not reached in 2 epochs (best 83.5 %), hence 80 %.',
  },
};

/** The preset for a dataset, or null for one without (generated and imported datasets). */
export function fastestToTarget(dataset: DatasetId): FastestToTargetPreset | null {
  return Object.prototype.hasOwnProperty.call(FASTEST_TO_TARGET, dataset) ? FASTEST_TO_TARGET[dataset as ShippedDatasetId] : null;
}

/** The configuration with its dataset's preset applied; unchanged where the dataset has none. */
export function applyFastestToTarget(config: RunConfig): RunConfig {
  const preset = fastestToTarget(config.dataset);
  return preset ? { ...config, ...preset.settings } : config;
}

/** The quick-validation sweep's shared settings on the run configuration (its axes go to the sweep). */
export function applyQuickValidation(config: RunConfig): RunConfig {
  const { subsetFraction, epochs, targetAccuracy, earlyStoppingPatience, validationUnit, validationInterval } = quickValidationSweep().base;
  return { ...config, subsetFraction, epochs, targetAccuracy, earlyStoppingPatience, validationUnit, validationInterval };
}
