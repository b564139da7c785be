/**
 * Results in a link: a compact summary of each run (what the matrix reads, plus the timing spread and the learning
 * curve) and the environment it was measured on. Summaries come from RunEntries and turn back into RunEntries that
 * matrixFromRuns accepts, so a shared link rebuilds the same matrix.
 */
import { BACKEND_CHOICES, RUN_CONFIG_FIELDS, type BackendName, type RunConfig } from '../config';
import type { AdapterInfo } from '../environment';
import type { MeasuredResult, RunEntry } from '../matrix/extract';
import type { EpochRecord, RunStatus } from '../result';
import {
  DecodeReport, decodeWithSpec, encodeWithSpec, type NumberSpec, type ObjectSpec, type Spec, type TextSpec,
} from './schema';
import { RUN_CONFIG_SPEC } from './state';

export const RUN_STATUSES: readonly RunStatus[] = ['done', 'failed', 'cancelled', 'over-budget', 'oom'];
const BACKEND_NAMES: readonly BackendName[] = BACKEND_CHOICES.filter((b): b is BackendName => b !== 'auto');

/** One validation of the learning curve; null where the value was not finite (a diverged loss). */
export interface SharedEpoch {
  valAccuracy: number | null;
  valLoss: number | null;
  elapsedMs: number | null;
}

/** One run as a link carries it. Measured numbers are null when the run did not measure them or they were not finite. */
export interface SharedRun {
  id: string;
  label: string;
  status: RunStatus;
  reason: string | null;
  startedAt: string;
  config: RunConfig;
  /** The backend the run actually used (config.backend may be 'auto'). */
  backend: BackendName;
  webglFloat16Textures: boolean;
  params: number;
  truePeakBytes: number | null;
  logicalPeakBytes: number | null;
  estimatedBytes: number | null;
  firstStepMs: number | null;
  compileMs: number | null;
  medianStepMs: number | null;
  p10StepMs: number | null;
  p90StepMs: number | null;
  steadySteps: number;
  stepsCompleted: number;
  samplesPerSec: number | null;
  medianDataMs: number | null;
  totalMs: number | null;
  timeToTargetMs: number | null;
  trainExamples: number;
  validationExamples: number;
  stepsPerEpoch: number;
  finalValAccuracy: number | null;
  bestValAccuracy: number | null;
  stoppedEarlyAtEpoch: number | null;
  curve: SharedEpoch[];
  inferenceMsPerExample: number | null;
}

/** Where the runs were measured: one browser session on one machine. */
export interface SharedEnvironment {
  adapter: AdapterInfo | null;
  webglRenderer: string | null;
  userAgent: string;
  tfjsVersion: string;
  appVersion: string;
}

export interface SharedResults {
  environment: SharedEnvironment;
  runs: SharedRun[];
}

const text = (maxLength: number): TextSpec => ({ kind: 'text', maxLength });
const COUNT: NumberSpec = { kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER };
/** Milliseconds and samples per second: non-negative, and far below anything a browser run can reach. */
const AMOUNT: NumberSpec = { kind: 'number', min: 0, max: 1e12 };
const FRACTION: NumberSpec = { kind: 'number', min: 0, max: 1 };
const LOSS: NumberSpec = { kind: 'number', min: 0, max: Number.MAX_VALUE };
/** Every measured number may be null: not measured, or not finite (a diverged loss). */
const measured = (of: NumberSpec) => ({ kind: 'nullable', of }) as const;

/** Run ids become record keys in the matrix: letters, digits and the separators candidate ids use; never a prototype name. */
const RUN_ID: TextSpec = { kind: 'text', maxLength: 128, pattern: /^[\p{L}\p{N}·._:+/@#-]+$/u };
/** Date.toISOString()'s form (and ISO 8601 with an offset). */
const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;
const RUN_LABEL_MAX_LENGTH = 120;
const RUN_REASON_MAX_LENGTH = 400;
const WEBGL_RENDERER_MAX_LENGTH = 200;
const USER_AGENT_MAX_LENGTH = 400;
const VERSION_MAX_LENGTH = 40;

const EPOCH_SPEC: ObjectSpec<SharedEpoch> = {
  kind: 'object',
  fields: {
    valAccuracy: { key: 'a', spec: measured(FRACTION) },
    valLoss: { key: 'l', spec: measured(LOSS) },
    elapsedMs: { key: 't', spec: measured(AMOUNT) },
  },
};

const RUN_SPEC: ObjectSpec<SharedRun> = {
  kind: 'object',
  fields: {
    id: { key: 'i', spec: RUN_ID },
    label: { key: 'l', spec: text(RUN_LABEL_MAX_LENGTH) },
    status: { key: 'st', spec: { kind: 'enum', values: RUN_STATUSES } },
    reason: { key: 'r', spec: { kind: 'nullable', of: text(RUN_REASON_MAX_LENGTH) } },
    startedAt: { key: 'at', spec: { kind: 'text', maxLength: 40, pattern: ISO_DATE_TIME } },
    config: { key: 'c', spec: RUN_CONFIG_SPEC },
    backend: { key: 'be', spec: { kind: 'enum', values: BACKEND_NAMES } },
    webglFloat16Textures: { key: 'f16', spec: { kind: 'boolean' } },
    params: { key: 'pa', spec: COUNT },
    truePeakBytes: { key: 'tp', spec: measured(COUNT) },
    logicalPeakBytes: { key: 'lp', spec: measured(COUNT) },
    estimatedBytes: { key: 'eb', spec: measured(COUNT) },
    firstStepMs: { key: 'fs', spec: measured(AMOUNT) },
    compileMs: { key: 'cm', spec: measured(AMOUNT) },
    medianStepMs: { key: 'ms', spec: measured(AMOUNT) },
    p10StepMs: { key: 'p10', spec: measured(AMOUNT) },
    p90StepMs: { key: 'p90', spec: measured(AMOUNT) },
    steadySteps: { key: 'ss', spec: COUNT },
    stepsCompleted: { key: 'sc', spec: COUNT },
    samplesPerSec: { key: 'sps', spec: measured(AMOUNT) },
    medianDataMs: { key: 'dm', spec: measured(AMOUNT) },
    totalMs: { key: 'tm', spec: measured(AMOUNT) },
    timeToTargetMs: { key: 'tt', spec: measured(AMOUNT) },
    trainExamples: { key: 'te', spec: COUNT },
    validationExamples: { key: 've', spec: COUNT },
    stepsPerEpoch: { key: 'spe', spec: COUNT },
    finalValAccuracy: { key: 'fa', spec: measured(FRACTION) },
    bestValAccuracy: { key: 'ba', spec: measured(FRACTION) },
    stoppedEarlyAtEpoch: { key: 'se', spec: { kind: 'nullable', of: COUNT } },
    curve: { key: 'cu', spec: { kind: 'list', of: EPOCH_SPEC, maxItems: RUN_CONFIG_FIELDS.epochs.max } },
    inferenceMsPerExample: { key: 'inf', spec: measured(AMOUNT) },
  },
};

const ADAPTER_SPEC: ObjectSpec<AdapterInfo> = {
  kind: 'object',
  fields: {
    vendor: { key: 'v', spec: text(128) },
    architecture: { key: 'a', spec: text(128) },
    description: { key: 'd', spec: text(128) },
    device: { key: 'dv', spec: text(128) },
    isFallbackAdapter: { key: 'fb', spec: { kind: 'boolean' } },
    shaderF16: { key: 'f16', spec: { kind: 'boolean' } },
    timestampQuery: { key: 'tq', spec: { kind: 'boolean' } },
    maxBufferSize: { key: 'mb', spec: COUNT },
    maxStorageBufferBindingSize: { key: 'ms', spec: COUNT },
  },
};

/** Runs per link: a full sweep (64 candidates) twice over, e.g. with re-runs. */
export const MAX_SHARED_RUNS = 128;

export const RESULTS_SPEC: ObjectSpec<SharedResults> = {
  kind: 'object',
  fields: {
    environment: {
      key: 'e',
      spec: {
        kind: 'object',
        fields: {
          adapter: { key: 'ad', spec: { kind: 'nullable', of: ADAPTER_SPEC } },
          webglRenderer: { key: 'gl', spec: { kind: 'nullable', of: text(WEBGL_RENDERER_MAX_LENGTH) } },
          userAgent: { key: 'ua', spec: text(USER_AGENT_MAX_LENGTH) },
          tfjsVersion: { key: 'tf', spec: text(VERSION_MAX_LENGTH) },
          appVersion: { key: 'app', spec: text(VERSION_MAX_LENGTH) },
        },
      },
    },
    runs: { key: 'r', spec: { kind: 'list', of: RUN_SPEC, maxItems: MAX_SHARED_RUNS, uniqueBy: (run) => run.id } },
  },
};

// ---------- from runs to a link summary ----------

/**
 * The value as the link will carry it (free text sanitised), or null when decoding would refuse it (wrong type, out of
 * range, not finite): a summary never holds what its own link could not give back.
 */
function storable<T>(spec: Spec<T>, value: T | null | undefined): T | null {
  if (value === null || value === undefined) return null;
  const decoded = decodeWithSpec(spec, encodeWithSpec(spec, value), undefined, '', new DecodeReport());
  return decoded.ok ? decoded.value : null;
}

/**
 * Rounded to keep links short, far below what the measurements can tell apart: times, rates and losses to six
 * significant digits (a relative error under 1e-5, whatever their size), fractions to six decimals.
 */
const finite = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);
const significant = (value: number | null | undefined) => (finite(value) ? Number(value.toPrecision(6)) : null);
const storeAmount = (value: number | null | undefined) => storable(AMOUNT, significant(value));
const storeFraction = (value: number | null | undefined) => storable(FRACTION, finite(value) ? Number(value.toFixed(6)) : null);

function summariseRun(entry: RunEntry & { result: MeasuredResult }, index: number): SharedRun {
  const { result } = entry;
  const { timing, accuracy, data } = result;
  return {
    id: storable(RUN_ID, entry.id) ?? `run-${index + 1}`,
    label: storable(text(RUN_LABEL_MAX_LENGTH), entry.label ?? entry.id) ?? '',
    status: result.status,
    reason: storable(text(RUN_REASON_MAX_LENGTH), result.reason),
    startedAt: result.startedAt,
    config: result.config,
    backend: result.environment.backend,
    webglFloat16Textures: result.environment.webglFloat16Textures,
    params: result.model.params,
    truePeakBytes: storable(COUNT, result.memory?.truePeakBytes),
    logicalPeakBytes: storable(COUNT, result.memory?.logicalPeakBytes),
    estimatedBytes: storable(COUNT, result.memory?.estimatedBytes),
    firstStepMs: storeAmount(timing.firstStepMs),
    compileMs: storeAmount(timing.compileMs),
    medianStepMs: storeAmount(timing.medianStepMs),
    p10StepMs: storeAmount(timing.p10StepMs),
    p90StepMs: storeAmount(timing.p90StepMs),
    steadySteps: timing.steadySteps,
    stepsCompleted: timing.stepsCompleted,
    samplesPerSec: storeAmount(timing.samplesPerSec),
    medianDataMs: storeAmount(timing.medianDataMs),
    totalMs: storeAmount(timing.totalMs),
    timeToTargetMs: storeAmount(timing.timeToTargetMs),
    trainExamples: data.trainExamples,
    validationExamples: data.validationExamples,
    stepsPerEpoch: data.stepsPerEpoch,
    finalValAccuracy: storeFraction(accuracy.finalValAccuracy),
    bestValAccuracy: storeFraction(accuracy.bestValAccuracy),
    // Results written before early stopping existed have no such field.
    stoppedEarlyAtEpoch: storable(COUNT, accuracy.stoppedEarlyAtEpoch),
    curve: accuracy.curve.map((epoch) => ({
      valAccuracy: storeFraction(epoch.valAccuracy),
      valLoss: storable(LOSS, significant(epoch.valLoss)),
      elapsedMs: storeAmount(epoch.elapsedMs),
    })),
    inferenceMsPerExample: storeAmount(result.inference?.msPerExample),
  };
}

/**
 * The results of finished runs as a link carries them, with the environment of this browser; null when no entry has
 * a result. Runs still queued or running are left out.
 */
export function sharedResultsFromRuns(entries: readonly RunEntry[], appVersion: string): SharedResults | null {
  const finished = entries.filter((entry): entry is RunEntry & { result: MeasuredResult } =>
    entry.result !== null && entry.status !== 'running' && entry.status !== 'queued');
  const first = finished[0]?.result.environment;
  if (!first) return null;
  return {
    environment: {
      adapter: storable(ADAPTER_SPEC, first.adapter),
      webglRenderer: storable(text(WEBGL_RENDERER_MAX_LENGTH), first.webglRenderer),
      userAgent: storable(text(USER_AGENT_MAX_LENGTH), first.userAgent) ?? '',
      tfjsVersion: storable(text(VERSION_MAX_LENGTH), first.tfjsVersion) ?? '',
      appVersion: storable(text(VERSION_MAX_LENGTH), appVersion) ?? '',
    },
    runs: finished.slice(0, MAX_SHARED_RUNS).map(summariseRun),
  };
}

// ---------- from a link summary back to runs ----------

/** "nvidia ampere (webgpu)", "google swiftshader, fallback (webgpu)", or the WebGL renderer when there is no adapter. */
export function environmentLabel(environment: SharedEnvironment, backend: BackendName): string {
  const { adapter, webglRenderer } = environment;
  if (adapter) {
    const name = [adapter.vendor, adapter.architecture].filter((part) => part.trim() !== '').join(' ') || 'unknown adapter';
    return `${name}${adapter.isFallbackAdapter ? ', fallback' : ''} (${backend})`;
  }
  return `${webglRenderer ?? 'unknown device'} (${backend})`;
}

function measuredResultOf(run: SharedRun, environment: SharedEnvironment): MeasuredResult {
  // A value that was not finite went into the link as null and comes back as NaN, as the run recorded it.
  const orNaN = (value: number | null) => value ?? Number.NaN;
  const curve: EpochRecord[] = run.curve.map((epoch, i) => ({
    epoch: i + 1, valAccuracy: orNaN(epoch.valAccuracy), valLoss: orNaN(epoch.valLoss), elapsedMs: orNaN(epoch.elapsedMs),
  }));
  const result: MeasuredResult = {
    schemaVersion: 1,
    config: run.config,
    environment: {
      backend: run.backend,
      summary: `Measured on ${environmentLabel(environment, run.backend)}; shared by link.`,
      attempts: [],
      adapter: environment.adapter,
      webglRenderer: environment.webglRenderer,
      webglFloat16Textures: run.webglFloat16Textures,
      tfjsVersion: environment.tfjsVersion,
      userAgent: environment.userAgent,
    },
    status: run.status,
    reason: run.reason,
    startedAt: run.startedAt,
    model: { name: run.config.model, params: run.params },
    data: {
      trainExamples: run.trainExamples,
      validationExamples: run.validationExamples,
      stepsPerEpoch: run.stepsPerEpoch,
      microBatchSize: run.config.batchSize / run.config.accumulationSteps,
    },
    timing: {
      firstStepMs: run.firstStepMs,
      medianStepMs: run.medianStepMs,
      p10StepMs: run.p10StepMs,
      p90StepMs: run.p90StepMs,
      steadySteps: run.steadySteps,
      compileMs: run.compileMs,
      stepsCompleted: run.stepsCompleted,
      samplesPerSec: run.samplesPerSec,
      medianDataMs: run.medianDataMs,
      // Per-epoch training times are not carried (the curve's elapsed times include validation).
      epochMs: [],
      totalMs: orNaN(run.totalMs),
      timeToTargetMs: run.timeToTargetMs,
    },
    memory: { truePeakBytes: run.truePeakBytes, logicalPeakBytes: run.logicalPeakBytes, estimatedBytes: run.estimatedBytes },
    accuracy: {
      finalValAccuracy: run.finalValAccuracy,
      finalValLoss: run.curve.at(-1)?.valLoss ?? null,
      bestValAccuracy: run.bestValAccuracy,
      reachedTarget: run.timeToTargetMs !== null,
      curve,
      stoppedEarlyAtEpoch: run.stoppedEarlyAtEpoch,
    },
  };
  if (run.inferenceMsPerExample !== null) result.inference = { msPerExample: run.inferenceMsPerExample };
  return result;
}

/** Matrix entries for the runs of a link: pass them to matrixFromRuns like the entries of runs made here. */
export function runEntriesFromSharedResults(results: SharedResults): RunEntry[] {
  return results.runs.map((run) => ({ id: run.id, label: run.label, result: measuredResultOf(run, results.environment) }));
}
