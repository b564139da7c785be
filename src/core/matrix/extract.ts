import { quantile } from '../measure/stats';
import type { EpochRecord, RunResult } from '../result';
import {
  CRITERION_IDS, DEFAULT_ACCURACY_POLICY, DEFAULT_COMMUNITY_SCORES, INFERENCE_METRIC_ID, defaultCriteria,
} from './criteria';
import { ROW_STATUSES } from './types';
import type { AccuracyPolicy, Criterion, Matrix, MatrixRow, RowStatus } from './types';

/**
 * A RunResult plus the optional figures other parts of the app will add. Everything is read defensively, so results
 * written before these fields existed still build a row (their values are missing, with a reason).
 */
export type MeasuredResult = Omit<RunResult, 'memory' | 'precision' | 'model' | 'inference'> & {
  model: Pick<RunResult['model'], 'name' | 'params'> & Partial<RunResult['model']>;
  memory?: Pick<RunResult['memory'], 'truePeakBytes'> & Partial<RunResult['memory']>;
  precision?: RunResult['precision'];
  inference?: { msPerExample: number | null };
};

/** One row to build: a finished result, or a run that has not produced one yet (status running/queued). */
export interface RunEntry {
  id: string;
  label?: string;
  /** Overrides the status derived from the result (e.g. 'running' while the worker still trains). */
  status?: RowStatus;
  /** Why the run ended as it did when there is no result to say it (e.g. it failed before training). */
  reason?: string | null;
  result: MeasuredResult | null;
}

/** A criterion the user added: a manual 1–10 score per architecture (rows of one architecture share it). */
export interface CustomCriterion {
  id: string;
  label: string;
  weight: number;
  scores: Record<string, number | null>;
}

export interface MatrixFromRunsOptions {
  /** Weights by criterion id; missing ids keep DEFAULT_WEIGHTS. */
  weights?: Record<string, number>;
  /** Community score per architecture; merged over DEFAULT_COMMUNITY_SCORES. */
  communityScores?: Record<string, number>;
  accuracyPolicy?: Partial<AccuracyPolicy>;
  customCriteria?: readonly CustomCriterion[];
  /** Ids of default criteria the user removed from the matrix. */
  removedCriteria?: readonly string[];
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The row status of a result. RunResult knows done/failed/cancelled; a status string from a newer writer that is a
 * RowStatus is kept, and the reason text distinguishes running out of memory and being stopped over the budget.
 */
export function statusOfResult(result: MeasuredResult): RowStatus {
  const raw = result.status as string;
  const status: RowStatus = (ROW_STATUSES as readonly string[]).includes(raw) ? (raw as RowStatus) : 'failed';
  const reason = result.reason ?? '';
  if (status === 'failed' && /out of memory|\boom\b|allocation failed/i.test(reason)) return 'oom';
  if ((status === 'failed' || status === 'cancelled') && /budget/i.test(reason)) return 'over-budget';
  return status;
}

/** Why a row that is not 'done' has no measurement: used for every missing value of such a row. */
export function statusReason(status: RowStatus, reason: string | null): string {
  const detail = reason ? ` (${reason})` : '';
  switch (status) {
    case 'done': return 'not measured';
    case 'failed': return `not measured: run failed${detail}`;
    case 'cancelled': return `not measured: run cancelled${detail}`;
    case 'over-budget': return `not measured: stopped over the budget${detail}`;
    case 'oom': return `not measured: ran out of memory${detail}`;
    case 'running': return 'not measured yet: still running';
    case 'queued': return 'not measured yet: queued';
  }
}

/**
 * Learning-curve value, 0..1 (higher is better): the mean validation accuracy over the recorded epochs minus the sum of
 * every drop between consecutive epochs, floored at 0.
 * - The mean is the area under the val-accuracy-per-epoch curve divided by its length: a model that is good after
 *   epoch 1 and stays good beats one that crawls up to the same final accuracy. Time is left to the speed criterion.
 * - Subtracting drops penalises an unstable curve (a sign of a too-high learning rate or a noisy small batch).
 * - With one epoch this is simply the final validation accuracy; with no curve it falls back to finalValAccuracy.
 */
export function learningCurveValue(curve: readonly EpochRecord[], finalValAccuracy: number | null): number | null {
  const accuracies = curve.map((record) => record.valAccuracy).filter(isNumber);
  if (accuracies.length === 0) return isNumber(finalValAccuracy) ? finalValAccuracy : null;
  const mean = accuracies.reduce((sum, a) => sum + a, 0) / accuracies.length;
  let drops = 0;
  for (let k = 1; k < accuracies.length; k++) drops += Math.max(0, accuracies[k - 1]! - accuracies[k]!);
  return Math.max(0, mean - drops);
}

/** Training samples processed up to the first validation at or above the target; null when it was never reached. */
export function samplesToTarget(result: MeasuredResult): number | null {
  const target = result.config.targetAccuracy;
  const hit = result.accuracy.curve.find((record) => record.valAccuracy >= target);
  const samplesPerEpoch = result.data.stepsPerEpoch * result.config.batchSize;
  if (hit && isNumber(hit.epoch) && samplesPerEpoch > 0) return hit.epoch * samplesPerEpoch;
  const { timeToTargetMs, samplesPerSec } = result.timing;
  if (isNumber(timeToTargetMs) && isNumber(samplesPerSec)) return (timeToTargetMs / 1000) * samplesPerSec;
  return null;
}

function defaultLabel(result: MeasuredResult): string {
  const { model, batchSize, accumulationSteps, backend } = result.config;
  const accumulation = accumulationSteps > 1 ? ` (${accumulationSteps}×${batchSize / accumulationSteps})` : '';
  // Results without an engine report ran tfjs's kernels, as do fused requests that fell back.
  const engine = result.engine?.ran === 'fused' ? ' · fused engine' : '';
  return `${model} · batch ${batchSize}${accumulation} · ${result.environment?.backend ?? backend}${engine}`;
}

interface SpeedInputs {
  timeToTargetMs: number | null;
  samplesPerSec: number | null;
  totalMs: number | null;
  samplesToTarget: number | null;
  samplesPerEpoch: number | null;
}

function speedInputs(result: MeasuredResult): SpeedInputs {
  const { timeToTargetMs, samplesPerSec, totalMs } = result.timing;
  const samplesPerEpoch = result.data.stepsPerEpoch * result.config.batchSize;
  return {
    timeToTargetMs: isNumber(timeToTargetMs) && timeToTargetMs > 0 ? timeToTargetMs : null,
    samplesPerSec: isNumber(samplesPerSec) && samplesPerSec > 0 ? samplesPerSec : null,
    totalMs: isNumber(totalMs) ? totalMs : null,
    samplesToTarget: samplesToTarget(result),
    samplesPerEpoch: isNumber(samplesPerEpoch) && samplesPerEpoch > 0 ? samplesPerEpoch : null,
  };
}

/**
 * Training speed on one scale: milliseconds to the target accuracy.
 * - Reached: the measured timeToTargetMs (compile and validation included — what the user waits for).
 * - Not reached, but some done run reached it: an equivalent time = the median number of training samples the
 *   reaching runs needed ÷ this run's steady samples/s, and never less than the time this run actually trained
 *   (it trained that long without getting there, so its true time is at least that). Flagged as an estimate; it is
 *   optimistic, and such a run normally also fails the accuracy gate.
 * - No done run reached it: every run gets the time one epoch (the median samples per epoch) takes at its steady
 *   throughput. A common constant ÷ samples/s ranks exactly like samples/s on a log scale, so this is throughput scoring
 *   expressed in milliseconds.
 */
function speedValues(rows: { id: string; done: boolean; speed: SpeedInputs | null }[]) {
  const done = rows.filter((r) => r.done && r.speed);
  const reachedSamples = done.map((r) => r.speed!).filter((s) => s.timeToTargetMs !== null && s.samplesToTarget !== null)
    .map((s) => s.samplesToTarget!);
  const anyReached = reachedSamples.length > 0;
  const epochSamples = done.map((r) => r.speed!.samplesPerEpoch).filter(isNumber);
  const reference = anyReached ? quantile(reachedSamples, 0.5) : epochSamples.length ? quantile(epochSamples, 0.5) : null;

  const out: Record<string, { value: number | null; measured: boolean; note: string | null; missing: string | null }> = {};
  for (const { id, speed } of rows) {
    if (!speed) {
      out[id] = { value: null, measured: false, note: null, missing: 'not measured: no timing in this result' };
    } else if (speed.timeToTargetMs !== null) {
      out[id] = { value: speed.timeToTargetMs, measured: true, note: 'measured time to the target accuracy', missing: null };
    } else if (speed.samplesPerSec === null || reference === null) {
      out[id] = {
        value: null, measured: false, note: null,
        missing: 'not measured: target not reached and no steady throughput (fewer than two training steps)',
      };
    } else if (anyReached) {
      const equivalent = (reference / speed.samplesPerSec) * 1000;
      out[id] = {
        value: Math.max(equivalent, speed.totalMs ?? 0),
        measured: false,
        note: `estimate: target not reached; equivalent time for the ${Math.round(reference)} samples the other runs ` +
          'needed (median) at this run’s steady throughput, at least the time it trained',
        missing: null,
      };
    } else {
      out[id] = {
        value: (reference / speed.samplesPerSec) * 1000,
        measured: false,
        note: `estimate: no run reached the target; time for one epoch (${Math.round(reference)} samples) at this ` +
          'run’s steady throughput',
        missing: null,
      };
    }
  }
  return out;
}

/**
 * Builds matrix rows from runs. Values are read from every result that exists (a failed run's partial figures are
 * kept for display) but only 'done' rows are scored. Every missing value gets a reason in row.missing.
 */
export function rowsFromRuns(
  entries: readonly RunEntry[], communityScores: Readonly<Record<string, number>> = DEFAULT_COMMUNITY_SCORES,
): { rows: MatrixRow[]; notes: string[] } {
  const notes: string[] = [];
  const prepared = entries.map((entry) => {
    const status = entry.status ?? (entry.result ? statusOfResult(entry.result) : 'queued');
    const done = status === 'done' && entry.result !== null;
    return { entry, status, done, speed: entry.result?.timing ? speedInputs(entry.result) : null };
  });
  const speeds = speedValues(prepared.map((p) => ({ id: p.entry.id, done: p.done, speed: p.speed })));

  const rows = prepared.map(({ entry, status }): MatrixRow => {
    const result = entry.result;
    const reason = entry.result?.reason ?? entry.reason ?? null;
    const values: Record<string, number | null> = {};
    const missing: Record<string, string> = {};
    const rowNotes: Record<string, string> = {};
    const notMeasured = status === 'done' ? null : statusReason(status, reason);
    const set = (key: string, value: number | null, why: string, note?: string | null) => {
      values[key] = value;
      if (value === null) missing[key] = notMeasured ?? why;
      else if (note) rowNotes[key] = note;
    };

    const memory = result?.memory;
    if (memory && isNumber(memory.truePeakBytes) && memory.truePeakBytes > 0) {
      set(CRITERION_IDS.memory, memory.truePeakBytes, '', 'true GPU peak (measured)');
    } else if (memory && isNumber(memory.estimatedBytes) && memory.estimatedBytes > 0) {
      set(CRITERION_IDS.memory, memory.estimatedBytes, '', 'analytic estimate: no measured peak for this run');
    } else {
      const why = result?.environment?.backend === 'cpu'
        ? 'not measured on CPU backend' : 'not measured: no memory figures in this result';
      set(CRITERION_IDS.memory, null, why);
    }

    // Estimates only make sense among finished runs; a failed run keeps a time to target it actually measured.
    const speed = speeds[entry.id] ?? { value: null, measured: false, note: null, missing: 'not measured' };
    set(CRITERION_IDS.speed, status === 'done' || speed.measured ? speed.value : null, speed.missing ?? 'not measured',
      speed.note);

    const params = result?.model?.params;
    set(CRITERION_IDS.deployment, isNumber(params) && params > 0 ? params * 4 : null,
      'not measured: parameter count unknown', 'parameters × 4 bytes (fp32 weights)');
    const latency = result?.inference?.msPerExample;
    set(INFERENCE_METRIC_ID, isNumber(latency) && latency > 0 ? latency : null, 'not measured: no inference timing');

    const finalAccuracy = result?.accuracy?.finalValAccuracy ?? null;
    const curveValue = result ? learningCurveValue(result.accuracy?.curve ?? [], finalAccuracy) : null;
    const curveLength = result?.accuracy?.curve?.length ?? 0;
    set(CRITERION_IDS.learningCurve, curveValue, 'not measured: no validation accuracy',
      curveLength > 1 ? `mean validation accuracy over ${curveLength} epochs minus drops`
        : 'single epoch: final validation accuracy');
    set(CRITERION_IDS.accuracy, isNumber(finalAccuracy) ? finalAccuracy : null, 'not measured: no validation accuracy');

    const architecture = result?.config?.model ?? null;
    const community = architecture !== null ? communityScores[architecture] : undefined;
    const manualScores: Record<string, number | null> = { [CRITERION_IDS.community]: community ?? null };
    if (community === undefined) {
      missing[CRITERION_IDS.community] = architecture === null
        ? 'no community score: architecture unknown'
        : `no community score for architecture “${architecture}”: set one`;
    }

    return {
      id: entry.id,
      label: entry.label ?? (result ? defaultLabel(result) : entry.id),
      status,
      reason: status === 'done' ? null : reason ?? statusReason(status, null),
      architecture,
      accuracy: isNumber(finalAccuracy) ? finalAccuracy : null,
      values,
      manualScores,
      missing,
      notes: rowNotes,
    };
  });

  const done = prepared.filter((p) => p.done).map((p) => p.entry.result!);
  const targets = [...new Set(done.map((r) => r.config.targetAccuracy))].sort((a, b) => a - b);
  if (targets.length > 1) {
    notes.push(`Runs used different target accuracies (${targets.join(', ')}): their times to target are not directly comparable.`);
  }
  const doneRows = rows.filter((r) => r.status === 'done');
  const estimated = doneRows.filter((r) => r.notes[CRITERION_IDS.memory]?.startsWith('analytic')).length;
  if (estimated > 0 && estimated < doneRows.filter((r) => r.values[CRITERION_IDS.memory] !== null).length) {
    notes.push('Memory mixes measured peaks and analytic estimates: estimated rows are flagged.');
  }
  return { rows, notes };
}

function customCriterion(custom: CustomCriterion): Criterion {
  return {
    id: custom.id, label: custom.label, weight: custom.weight, kind: 'manual', direction: 'higher-is-better', scale: null,
    unit: 'score', extraMetrics: [],
    explanation: 'Your own 1–10 score per architecture (every row of an architecture shares it).',
  };
}

/** Adds the custom criteria's per-architecture scores to a row, with a reason for every score still missing. */
function withCustomScores(row: MatrixRow, customs: readonly CustomCriterion[]): MatrixRow {
  const manualScores = { ...row.manualScores };
  const missing = { ...row.missing };
  for (const custom of customs) {
    const score = row.architecture !== null && Object.prototype.hasOwnProperty.call(custom.scores, row.architecture)
      ? custom.scores[row.architecture] ?? null : null;
    manualScores[custom.id] = score;
    if (score === null) missing[custom.id] = `no “${custom.label}” score for ${row.architecture ?? 'this row'} yet: enter one`;
  }
  return { ...row, manualScores, missing };
}

/**
 * The matrix for a set of runs: default criteria (weights overridable, any of them removable), the user's custom
 * criteria, rows, and the accuracy gate.
 */
export function matrixFromRuns(entries: readonly RunEntry[], options: MatrixFromRunsOptions = {}): Matrix {
  const communityScores = { ...DEFAULT_COMMUNITY_SCORES, ...options.communityScores };
  const customs = options.customCriteria ?? [];
  const removed = new Set(options.removedCriteria ?? []);
  const built = rowsFromRuns(entries, communityScores);
  const rows = customs.length ? built.rows.map((row) => withCustomScores(row, customs)) : built.rows;
  const notes = built.notes;
  const criteria: Criterion[] = [
    ...defaultCriteria(options.weights).filter((c) => !removed.has(c.id)),
    ...customs.map(customCriterion),
  ];
  return {
    criteria,
    rows,
    accuracyPolicy: { ...DEFAULT_ACCURACY_POLICY, ...options.accuracyPolicy },
    notes,
  };
}
