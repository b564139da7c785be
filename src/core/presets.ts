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
  | 'validationInterval' | 'earlyStoppingPatience'>;

export interface FastestToTargetPreset {
  dataset: ShippedDatasetId;
  /** e.g. "Fastest to 97 % on MNIST". */
  title: string;
  settings: PresetSettings;
  /** The measurement that chose it: time to target, adapter, date, and what it raced against. */
  note: string;
}

/** Shared by both presets: the whole shipped dataset, fp32, data on the GPU, no accumulation, no early stop. */
const WHOLE_DATASET = {
  accumulationSteps: 1, precision: 'fp32', dataPipeline: 'gpu-resident', subsetFraction: 1, earlyStoppingPatience: 0,
  labelSmoothing: 0, warmupFraction: 0.1,
} as const;

export const FASTEST_TO_TARGET: Record<ShippedDatasetId, FastestToTargetPreset> = {
  mnist: {
    dataset: 'mnist',
    title: 'Fastest to 97 % on MNIST',
    settings: {
      ...WHOLE_DATASET, model: 'cnn-small', backend: 'webgpu', engine: 'fused', batchSize: 64, epochs: 3, learningRate: 0.003,
      learningRateSchedule: 'constant', targetAccuracy: 0.97, validationUnit: 'steps', validationInterval: 25,
    },
    note: 'not measured yet',
  },
  'fashion-mnist': {
    dataset: 'fashion-mnist',
    title: 'Fastest to 85 % on Fashion-MNIST',
    settings: {
      ...WHOLE_DATASET, model: 'cnn-small', backend: 'webgpu', engine: 'fused', batchSize: 64, epochs: 3, learningRate: 0.003,
      learningRateSchedule: 'constant', targetAccuracy: 0.85, validationUnit: 'steps', validationInterval: 25,
    },
    note: 'not measured yet',
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
