/**
 * The shareable experiment: everything a link reproduces (the sweep, the matrix settings, the workshop flags), and
 * the one table of its fields that link encoding, decoding and validation derive from.
 */
import { CONFIG_KEYS, MODEL_NAMES, RUN_CONFIG_FIELDS, type ModelName, type RunConfig } from '../config';
import {
  CRITERION_IDS, DEFAULT_ACCURACY_POLICY, DEFAULT_COMMUNITY_SCORES, DEFAULT_WEIGHTS, INFERENCE_METRIC_ID,
} from '../matrix/criteria';
import type { CustomCriterion } from '../matrix/extract';
import type { AccuracyPolicy } from '../matrix/types';
import { SWEEP_AXES, quickValidationSweep, type SweepAxes, type SweepSpec } from '../sweep';
import type { FieldTable, ListSpec, NumberSpec, ObjectSpec, RecordSpec, TextSpec } from './schema';

export type CriterionId = (typeof CRITERION_IDS)[keyof typeof CRITERION_IDS];
export const CRITERION_ID_LIST: readonly CriterionId[] = Object.values(CRITERION_IDS);

/** Controls an instructor can lock or hide: sweep axes and shared settings by RunConfig field name, and matrix settings. */
export const SHAREABLE_CONTROLS = [
  ...CONFIG_KEYS, 'weights', 'communityScores', 'customCriteria', 'removedCriteria', 'accuracyPolicy',
] as const;
export type ShareableControl = (typeof SHAREABLE_CONTROLS)[number];

/** Name and whole fingerprint of an imported dataset, so another browser can say which folder to import (data/catalog.ts). */
export interface ImportedDatasetRef {
  name: string;
  fingerprint: string;
}

export interface ExperimentState {
  sweep: SweepSpec;
  /** Set when sweep.base.dataset is an imported dataset ("user:…"); the images never go into a link. */
  importedDataset: ImportedDatasetRef | null;
  /** Weight per default criterion (percent or any non-negative number; totals divide by the sum). */
  weights: Record<CriterionId, number>;
  /** Community / ecosystem score per architecture, 1–10. */
  communityScores: Record<ModelName, number>;
  /** Criteria the user added, each scored 1–10 per architecture (every key of MODEL_NAMES after decoding; null = unscored). */
  customCriteria: CustomCriterion[];
  /** Default criteria taken out of the matrix. */
  removedCriteria: CriterionId[];
  accuracyPolicy: AccuracyPolicy;
  /** Controls shown but not editable (workshop links). */
  locked: ShareableControl[];
  /** Controls not shown at all (workshop links). */
  hidden: ShareableControl[];
}

/**
 * Short keys of RunConfig fields in links. Ranges and defaults come from RUN_CONFIG_FIELDS; the Record type makes a new
 * RunConfig field a compile error here until it gets a key. Never reuse or change a released key.
 */
const RUN_CONFIG_SHORT_KEYS: Record<keyof RunConfig, string> = {
  dataset: 'd',
  model: 'm',
  backend: 'be',
  engine: 'en',
  batchSize: 'b',
  accumulationSteps: 'k',
  precision: 'p',
  dataPipeline: 'dp',
  epochs: 'e',
  subsetFraction: 'sf',
  learningRate: 'lr',
  seed: 's',
  targetAccuracy: 't',
  memoryBudgetGiB: 'mb',
  earlyStoppingPatience: 'es',
  validationUnit: 'vu',
  validationInterval: 'vi',
  validationSample: 'vs',
  learningRateSchedule: 'ls',
  warmupFraction: 'wu',
  labelSmoothing: 'sm',
};

/** Values per numeric sweep axis; enum axes can list each of their values once. */
const MAX_NUMERIC_AXIS_VALUES = 16;

/**
 * What a link written before a field existed meant (such a value is left out of new links, so links that do not use a
 * newer field stay as they were). engine: every run before the field trained on tfjs's kernels, so an old link decodes
 * to 'tfjs' and reproduces its old figures exactly (the fused engine's step times and rounding differ), although new
 * configurations default to 'fused'. Validation once per epoch, a constant learning rate, no label smoothing and the
 * whole validation subset are what runs did before those fields.
 */
const BEFORE_THE_FIELD: Partial<RunConfig> = {
  engine: 'tfjs', validationUnit: 'epoch', validationInterval: 25, learningRateSchedule: 'constant', warmupFraction: 0.1,
  labelSmoothing: 0, validationSample: 'all',
};

/** RunConfig as a link object: every field with its short key, range and default from RUN_CONFIG_FIELDS. */
export const RUN_CONFIG_SPEC: ObjectSpec<RunConfig> = {
  kind: 'object',
  fields: Object.fromEntries(CONFIG_KEYS.map((name) => {
    const field = RUN_CONFIG_FIELDS[name];
    return [name, { key: RUN_CONFIG_SHORT_KEYS[name], spec: field, default: field.default, absent: BEFORE_THE_FIELD[name] }];
  })) as unknown as FieldTable<RunConfig>,
};

const SWEEP_AXES_SPEC: ObjectSpec<SweepAxes> = {
  kind: 'object',
  fields: Object.fromEntries(SWEEP_AXES.map((axis) => {
    const field = RUN_CONFIG_FIELDS[axis];
    const list = {
      kind: 'list', of: field, minItems: 1, uniqueBy: (value: string | number) => value,
      maxItems: field.kind === 'enum' ? field.values.length : MAX_NUMERIC_AXIS_VALUES,
    };
    const absent = BEFORE_THE_FIELD[axis];
    return [axis, { key: RUN_CONFIG_SHORT_KEYS[axis], spec: list, absent: absent === undefined ? undefined : [absent] }];
  })) as unknown as FieldTable<SweepAxes>,
};

const WEIGHT: NumberSpec = { kind: 'number', min: 0, max: 1000 };
const SCORE: NumberSpec = { kind: 'number', min: 1, max: 10 };

/** Custom criterion ids become keys of matrix records: lowercase slugs, never a default criterion or metric id. */
const CUSTOM_CRITERION_ID: TextSpec = {
  kind: 'text', maxLength: 32, pattern: /^[a-z][a-z0-9-]*$/, reserved: [...CRITERION_ID_LIST, INFERENCE_METRIC_ID],
};
export const MAX_CUSTOM_CRITERIA = 8;
export const CUSTOM_LABEL_MAX_LENGTH = 60;

const CUSTOM_CRITERION_SPEC: ObjectSpec<CustomCriterion> = {
  kind: 'object',
  fields: {
    id: { key: 'i', spec: CUSTOM_CRITERION_ID },
    label: { key: 'l', spec: { kind: 'text', maxLength: CUSTOM_LABEL_MAX_LENGTH } },
    weight: { key: 'w', spec: WEIGHT },
    scores: { key: 's', spec: { kind: 'record', keys: MODEL_NAMES, of: { kind: 'nullable', of: SCORE } } },
  },
};

const IMPORTED_DATASET_SPEC: ObjectSpec<ImportedDatasetRef> = {
  kind: 'object',
  fields: {
    name: { key: 'n', spec: { kind: 'text', maxLength: 80 } },
    fingerprint: { key: 'f', spec: { kind: 'text', maxLength: 64, pattern: /^[0-9a-f]{8,}$/ } },
  },
};

const CONTROL_LIST: ListSpec<ShareableControl> = {
  kind: 'list', of: { kind: 'enum', values: SHAREABLE_CONTROLS }, maxItems: SHAREABLE_CONTROLS.length,
  uniqueBy: (name) => name,
};

const recordOf = <K extends string>(keys: readonly K[], of: NumberSpec): RecordSpec<K, number> => ({ kind: 'record', keys, of });

/**
 * THE table of shareable fields. Defaults live here; defaultExperimentState() is built from them, and a missing or
 * invalid value in a link falls back to the same place in the default.
 */
export const EXPERIMENT_FIELDS: FieldTable<ExperimentState> = {
  sweep: {
    key: 'sw',
    spec: { kind: 'object', fields: { base: { key: 'b', spec: RUN_CONFIG_SPEC }, axes: { key: 'a', spec: SWEEP_AXES_SPEC } } },
    default: quickValidationSweep(),
  },
  importedDataset: { key: 'id', spec: { kind: 'nullable', of: IMPORTED_DATASET_SPEC }, default: null },
  weights: {
    key: 'w', spec: recordOf(CRITERION_ID_LIST, WEIGHT),
    default: Object.fromEntries(CRITERION_ID_LIST.map((id) => [id, DEFAULT_WEIGHTS[id] ?? 0])) as Record<CriterionId, number>,
  },
  communityScores: {
    key: 'c', spec: recordOf(MODEL_NAMES, SCORE),
    // A model added without a default score starts at the middle of the scale.
    default: Object.fromEntries(MODEL_NAMES.map((name) => [name, DEFAULT_COMMUNITY_SCORES[name] ?? 5.5])) as Record<ModelName, number>,
  },
  customCriteria: {
    key: 'x',
    spec: { kind: 'list', of: CUSTOM_CRITERION_SPEC, maxItems: MAX_CUSTOM_CRITERIA, uniqueBy: (criterion) => criterion.id },
    default: [],
  },
  removedCriteria: {
    key: 'r',
    spec: {
      kind: 'list', of: { kind: 'enum', values: CRITERION_ID_LIST }, maxItems: CRITERION_ID_LIST.length, uniqueBy: (id) => id,
    },
    default: [],
  },
  accuracyPolicy: {
    key: 'g',
    spec: {
      kind: 'object',
      fields: {
        gate: { key: 'g', spec: { kind: 'boolean' } },
        threshold: { key: 't', spec: { kind: 'number', min: 0, max: 1 } },
      },
    },
    default: { ...DEFAULT_ACCURACY_POLICY },
  },
  locked: { key: 'l', spec: CONTROL_LIST, default: [] },
  hidden: { key: 'h', spec: CONTROL_LIST, default: [] },
};

export const EXPERIMENT_SPEC: ObjectSpec<ExperimentState> = { kind: 'object', fields: EXPERIMENT_FIELDS };

/** The default experiment: the method's quick validation sweep and the default matrix settings. A fresh copy each call. */
export function defaultExperimentState(): ExperimentState {
  const entries = Object.entries(EXPERIMENT_FIELDS).map(([name, field]) => [name, structuredClone(field.default)]);
  return Object.fromEntries(entries) as ExperimentState;
}
