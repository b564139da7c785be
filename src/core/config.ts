/**
 * RunConfig: everything that defines one training run, declared once as a table of fields (type, default, range,
 * label). Validation, the UI's controls and shareable links (src/core/share/) all derive from this table.
 */

import { USER_DATASET_ID_PATTERN, type UserDatasetId } from './data/user-dataset-id';
import { VALIDATION_UNITS, type ValidationUnit } from './train/cadence';
import { LEARNING_RATE_SCHEDULES, type LearningRateScheduleName } from './train/schedule';
import { VALIDATION_SAMPLES, type ValidationSample } from './train/validation-sample';

/** Datasets shipped with the app as files in public/data (written by scripts/prepare-data.mjs). */
export const SHIPPED_DATASET_IDS = ['mnist', 'fashion-mnist'] as const;
/** Datasets every browser has: shipped, or generated in the training worker (synthetic-shapes). */
export const DATASET_IDS = [...SHIPPED_DATASET_IDS, 'synthetic-shapes'] as const;
export const MODEL_NAMES = ['mlp', 'cnn-small', 'mobilenet-v2-tiny', 'efficientnet-lite-tiny', 'resnet-mini'] as const;
export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'cpu'] as const;
/**
 * fp32: everything in float32.
 * mixed-fp16: fp32 master weights; every layer output and the gradient flowing back through it, and the weight
 *   gradients, are rounded to IEEE half precision; dynamic loss scaling. Numerics only: tensors stay float32, so it
 *   saves no memory on any backend.
 * fp16-storage: WebGL only, WEBGL_FORCE_F16_TEXTURES: every tensor (weights and Adam moments too, no master copy)
 *   is stored in half-float textures; arithmetic in fp32 shaders; dynamic loss scaling; Adam's epsilon 1e-4 (a normal
 *   number in half precision; tfjs's 1e-7 is not).
 * fp16-activations: WebGPU (and cpu): the activations kept for the backward pass are stored as packed halves (two
 *   binary16 per 32-bit word, no shader-f16 needed); compute, weights, Adam state and gradients stay fp32; dynamic
 *   loss scaling (src/core/train/stored-activations/network.ts). Not on WebGL: its textures cannot hold packed bits.
 */
export const PRECISIONS = ['fp32', 'mixed-fp16', 'fp16-storage', 'fp16-activations'] as const;
/**
 * cpu-upload: each batch is converted on the CPU and uploaded (the naive path).
 * gpu-resident: the training and validation subsets are uploaded once; batches are gathered on the GPU.
 */
export const DATA_PIPELINES = ['gpu-resident', 'cpu-upload'] as const;
/**
 * fused: the app's own WebGPU training kernels (src/core/engine/) where they cover the model, backend and precision;
 *   otherwise tfjs's kernels, and the result says why.
 * tfjs: tfjs's stock kernels on every backend.
 */
export const ENGINES = ['fused', 'tfjs'] as const;

export type BuiltInDatasetId = (typeof DATASET_IDS)[number];
/** A built-in dataset, or a folder the user imported into this browser ("user:" and a prefix of its fingerprint). */
export type DatasetId = BuiltInDatasetId | UserDatasetId;
export type ModelName = (typeof MODEL_NAMES)[number];
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;
export type Precision = (typeof PRECISIONS)[number];
export type DataPipeline = (typeof DATA_PIPELINES)[number];
export type Engine = (typeof ENGINES)[number];

export interface RunConfig {
  dataset: DatasetId;
  model: ModelName;
  backend: BackendChoice;
  /** Which kernels train: the fused WebGPU engine where it covers the run, else tfjs's. */
  engine: Engine;
  /** Samples per optimizer step (the effective batch). */
  batchSize: number;
  /** Micro-batches per optimizer step; each holds batchSize / accumulationSteps samples. */
  accumulationSteps: number;
  precision: Precision;
  dataPipeline: DataPipeline;
  epochs: number;
  /** Fraction of the training and validation splits used, in (0, 1]. */
  subsetFraction: number;
  learningRate: number;
  seed: number;
  /** Validation accuracy that counts as success; also the target of "time to target accuracy". */
  targetAccuracy: number;
  /** GPU memory budget in GiB: warn at 7.5/8 of it, stop the run above it. */
  memoryBudgetGiB: number;
  /** Stop after this many validations without a better validation loss; 0 = never stop early. */
  earlyStoppingPatience: number;
  /** Validate every validationInterval optimizer steps or seconds of training, or per epoch; every epoch's end always. */
  validationUnit: ValidationUnit;
  validationInterval: number;
  /** Which validation images each validation scores: all of the subset, or a fixed stratified sample of it. */
  validationSample: ValidationSample;
  learningRateSchedule: LearningRateScheduleName;
  /** Share of the steps spent warming up (warmup-cosine) or rising to the peak (one-cycle). */
  warmupFraction: number;
  /** ε of label smoothing: targets (1 − ε)·one-hot + ε/classes; 0 = none. */
  labelSmoothing: number;
}

interface FieldBase<T> {
  label: string;
  help: string;
  default: T;
}
export interface EnumField<T extends string = string> extends FieldBase<T> {
  kind: 'enum';
  values: readonly T[];
  /** Values beyond the list that are also valid (imported datasets), and how a message names them. */
  open?: { pattern: RegExp; description: string };
}
export interface NumberField extends FieldBase<number> {
  kind: 'int' | 'number';
  min: number;
  max: number;
  /** When true the minimum itself is not allowed (e.g. subset fraction must be > 0). */
  minExclusive?: boolean;
  step?: number;
}
export type FieldSpec = EnumField | NumberField;

type FieldTable = { [K in keyof RunConfig]: RunConfig[K] extends string ? EnumField<RunConfig[K]> : NumberField };

export const RUN_CONFIG_FIELDS: FieldTable = {
  dataset: {
    kind: 'enum', values: DATASET_IDS, default: 'mnist', label: 'Dataset',
    open: { pattern: USER_DATASET_ID_PATTERN, description: 'user:<8–64 hex digits of its fingerprint> for an imported folder' },
    help: 'Shipped with the app, generated, or a folder you imported; nothing is downloaded from elsewhere.',
  },
  model: {
    kind: 'enum', values: MODEL_NAMES, default: 'cnn-small', label: 'Model',
    help: 'Architecture to train.',
  },
  backend: {
    kind: 'enum', values: BACKEND_CHOICES, default: 'auto', label: 'Backend',
    help: 'auto times a few steps of this model on each available backend (about 2 s) and takes the fastest; a '
      + 'backend picked by hand that is unavailable is an error.',
  },
  engine: {
    kind: 'enum', values: ENGINES, default: 'fused', label: 'Engine',
    help: 'fused: the app\'s own WebGPU kernels where they cover the model (else tfjs\'s, with the reason); tfjs: stock kernels.',
  },
  batchSize: {
    kind: 'int', min: 1, max: 4096, default: 32, label: 'Batch size',
    help: 'Samples per optimizer step (effective batch).',
  },
  accumulationSteps: {
    kind: 'int', min: 1, max: 256, default: 1, label: 'Accumulation steps',
    help: 'Micro-batches per optimizer step.',
  },
  precision: {
    kind: 'enum', values: PRECISIONS, default: 'fp32', label: 'Precision',
    help: 'mixed-fp16 rounds activations and gradients to half precision (emulated: no memory saving); '
      + 'fp16-storage stores tensors as half floats (WebGL only); '
      + 'fp16-activations stores the activations kept for backprop as packed halves, fp32 compute (WebGPU, CPU).',
  },
  dataPipeline: {
    kind: 'enum', values: DATA_PIPELINES, default: 'gpu-resident', label: 'Data pipeline',
    help: 'gpu-resident uploads the data once and slices batches on the GPU; cpu-upload prepares and uploads every batch.',
  },
  epochs: { kind: 'int', min: 1, max: 100, default: 1, label: 'Epochs', help: 'Passes over the training subset.' },
  subsetFraction: {
    kind: 'number', min: 0, minExclusive: true, max: 1, step: 0.01, default: 0.1, label: 'Subset fraction',
    help: 'Share of the training and validation splits to use (quick validation uses 10 %).',
  },
  learningRate: {
    kind: 'number', min: 0, minExclusive: true, max: 1, step: 0.0001, default: 0.002, label: 'Learning rate',
    help: 'Adam learning rate.',
  },
  seed: {
    kind: 'int', min: 0, max: 2 ** 31 - 1, default: 42, label: 'Seed',
    help: 'Same seed, same data order and same initial weights.',
  },
  targetAccuracy: {
    kind: 'number', min: 0, minExclusive: true, max: 1, step: 0.01, default: 0.5, label: 'Target accuracy',
    help: 'Validation accuracy that counts as success.',
  },
  memoryBudgetGiB: {
    kind: 'number', min: 0, minExclusive: true, max: 1024, step: 0.5, default: 8, label: 'GPU memory budget (GiB)',
    help: 'Warns at 7.5/8 of the budget and stops a run that goes above it.',
  },
  earlyStoppingPatience: {
    kind: 'int', min: 0, max: 100, default: 0, label: 'Early-stopping patience',
    help: 'Validations without a lower validation loss before the run stops (0 = off).',
  },
  validationUnit: {
    kind: 'enum', values: VALIDATION_UNITS, default: 'epoch', label: 'Validate every',
    help: 'Validate on the whole validation subset every N steps, every N seconds of training, or per epoch; '
      + 'every epoch\'s end validates too. Time to target and early stopping use these validations.',
  },
  validationInterval: {
    kind: 'number', min: 0, minExclusive: true, max: 100_000, step: 1, default: 25, label: 'Validation interval',
    help: 'N of "validate every": optimizer steps (a whole number) or seconds of training; unused per epoch.',
  },
  validationSample: {
    kind: 'enum', values: VALIDATION_SAMPLES, default: 'all', label: 'Validation sample',
    help: 'all: every image of the validation subset; stratified-N: a fixed sample of at most N of them, an equal share '
      + 'per class (seeded), so frequent validation stays cheap; a subset no larger is used whole.',
  },
  learningRateSchedule: {
    kind: 'enum', values: LEARNING_RATE_SCHEDULES, default: 'constant', label: 'Learning-rate schedule',
    help: 'constant; warmup-cosine: linear warm-up, then cosine decay to 0; one-cycle: from lr/25 up to lr, then down '
      + '(PyTorch OneCycleLR). The learning rate is the peak.',
  },
  warmupFraction: {
    kind: 'number', min: 0, max: 1, step: 0.05, default: 0.1, label: 'Warm-up fraction',
    help: 'Share of the steps spent warming up (warmup-cosine) or rising to the peak (one-cycle); unused when constant.',
  },
  labelSmoothing: {
    kind: 'number', min: 0, max: 0.5, step: 0.05, default: 0, label: 'Label smoothing',
    help: 'ε: train against (1 − ε)·one-hot + ε/classes (PyTorch label_smoothing); 0 = none.',
  },
};

export const CONFIG_KEYS = Object.keys(RUN_CONFIG_FIELDS) as (keyof RunConfig)[];

export function defaultRunConfig(): RunConfig {
  const entries = CONFIG_KEYS.map((key) => [key, RUN_CONFIG_FIELDS[key].default]);
  return Object.fromEntries(entries) as RunConfig;
}

export interface FieldError {
  field: keyof RunConfig | 'config';
  message: string;
}

export type ConfigValidation = { ok: true; config: RunConfig } | { ok: false; errors: FieldError[] };

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return `a ${Array.isArray(value) ? 'list' : typeof value}`;
}

function checkField(spec: FieldSpec, value: unknown): string | null {
  if (spec.kind === 'enum') {
    if (typeof value === 'string' && ((spec.values as readonly string[]).includes(value) || spec.open?.pattern.test(value))) return null;
    const choices = spec.open ? `${spec.values.join(', ')}, or ${spec.open.description}` : spec.values.join(', ');
    return `${spec.label} must be one of ${choices}; got ${describeValue(value)}.`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `${spec.label} must be a number; got ${describeValue(value)}.`;
  }
  if (spec.kind === 'int' && !Number.isInteger(value)) return `${spec.label} must be a whole number; got ${value}.`;
  const belowMin = spec.minExclusive ? value <= spec.min : value < spec.min;
  if (belowMin || value > spec.max) {
    const lower = spec.minExclusive ? `(${spec.min}` : `[${spec.min}`;
    return `${spec.label} must be in ${lower}, ${spec.max}]; got ${value}.`;
  }
  return null;
}

/**
 * Validates untrusted input (a form, a link, a message) field by field against RUN_CONFIG_FIELDS.
 * Missing fields take their defaults, unknown fields are ignored, every problem gets its own message.
 */
export function validateRunConfig(input: unknown): ConfigValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: 'config', message: `A run configuration must be an object; got ${describeValue(input)}.` }] };
  }
  const source = input as Record<string, unknown>;
  const config = defaultRunConfig() as unknown as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of CONFIG_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const problem = checkField(RUN_CONFIG_FIELDS[key], source[key]);
    if (problem) errors.push({ field: key, message: problem });
    else config[key] = source[key];
  }
  const candidate = config as unknown as RunConfig;
  if (!errors.some((e) => e.field === 'batchSize' || e.field === 'accumulationSteps')) {
    const { batchSize, accumulationSteps } = candidate;
    if (batchSize % accumulationSteps !== 0) {
      const lower = Math.max(accumulationSteps, batchSize - (batchSize % accumulationSteps));
      errors.push({
        field: 'accumulationSteps',
        message: `Batch size ${batchSize} is not divisible by ${accumulationSteps} accumulation steps: ` +
          `use a batch size that is a multiple of ${accumulationSteps} (e.g. ${lower}) or change the steps.`,
      });
    }
  }
  if (candidate.precision === 'fp16-storage' && candidate.backend !== 'webgl' && !errors.some((e) => e.field === 'backend')) {
    errors.push({
      field: 'precision',
      message: 'fp16-storage exists only on the WebGL backend (half-float textures): choose backend webgl, ' +
        'or precision mixed-fp16 on other backends.',
    });
  }
  if (candidate.precision === 'fp16-activations' && candidate.backend === 'webgl') {
    errors.push({
      field: 'precision',
      message: 'fp16-activations packs two halves into each 32-bit word, which the WebGL backend cannot store (its '
        + 'textures hold int32 tensors as floats): choose backend webgpu (or auto, or cpu), or precision fp16-storage on WebGL.',
    });
  }
  if (candidate.validationUnit === 'steps' && !Number.isInteger(candidate.validationInterval)
    && !errors.some((e) => e.field === 'validationInterval')) {
    errors.push({
      field: 'validationInterval',
      message: `Validating every ${candidate.validationInterval} steps needs a whole number of steps (e.g. ${Math.max(1, Math.round(candidate.validationInterval))}).`,
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: candidate };
}

/** Samples per micro-batch: what one forward/backward pass holds in memory. */
export function microBatchSize(config: Pick<RunConfig, 'batchSize' | 'accumulationSteps'>): number {
  return config.batchSize / config.accumulationSteps;
}
