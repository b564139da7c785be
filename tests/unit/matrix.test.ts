import { describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src/core/config';
import type { RunConfig } from '../../src/core/config';
import type { EpochRecord } from '../../src/core/result';
import { createRng } from '../../src/core/rng';
import {
  DEFAULT_WEIGHTS, EQUAL_VALUES_SCORE, describeAccuracyPolicy, describeFlip, describeWinners, evaluateMatrix,
  frameworkComparisonPreset, joinNames, learningCurveValue, matrixFromRuns, normaliseMetric, paretoFront,
  paretoPointsFromMatrix, statusOfResult, weightSensitivity,
} from '../../src/core/matrix';
import type { Criterion, Matrix, MatrixRow, MeasuredResult, ParetoPoint, RunEntry } from '../../src/core/matrix';

// ---------- helpers ----------

const inputs = (values: (number | null)[]) => values.map((value, i) => ({ id: String.fromCharCode(97 + i), value }));

function manualCriterion(id: string, weight: number): Criterion {
  return {
    id, label: id.toUpperCase(), weight, kind: 'manual', direction: 'higher-is-better', scale: null, unit: 'score',
    explanation: '', extraMetrics: [],
  };
}

function manualRow(id: string, scores: Record<string, number | null>, extra: Partial<MatrixRow> = {}): MatrixRow {
  return {
    id, label: id, status: 'done', reason: null, architecture: null, accuracy: 0.9, values: {},
    manualScores: scores, missing: {}, notes: {}, ...extra,
  };
}

function manualMatrix(weights: Record<string, number>, rows: MatrixRow[], gate = false): Matrix {
  return {
    criteria: Object.entries(weights).map(([id, w]) => manualCriterion(id, w)),
    rows, accuracyPolicy: { gate, threshold: 0.5 }, notes: [],
  };
}

interface ResultSpec {
  model?: string;
  backend?: 'webgpu' | 'webgl' | 'cpu';
  status?: 'done' | 'failed' | 'cancelled';
  reason?: string | null;
  params?: number;
  curve?: number[];
  timeToTargetMs?: number | null;
  samplesPerSec?: number | null;
  totalMs?: number;
  stepsPerEpoch?: number;
  config?: Partial<RunConfig>;
  memory?: MeasuredResult['memory'];
  inferenceMs?: number;
}

function makeResult(spec: ResultSpec = {}): MeasuredResult {
  const config = { ...defaultRunConfig(), ...spec.config, ...(spec.model ? { model: spec.model } : {}) } as RunConfig;
  const backend = spec.backend ?? 'webgpu';
  const curve: EpochRecord[] = (spec.curve ?? [0.9]).map((valAccuracy, i) => ({
    epoch: i + 1, valAccuracy, valLoss: 1 - valAccuracy, elapsedMs: 1000 * (i + 1),
  }));
  const last = curve.at(-1) ?? null;
  const result: MeasuredResult = {
    schemaVersion: 1,
    config,
    environment: {
      backend, summary: '', attempts: [], adapter: null, webglRenderer: null, webglFloat16Textures: false, tfjsVersion: '4.22.0', userAgent: 'test',
    },
    status: spec.status ?? 'done',
    reason: spec.reason ?? null,
    startedAt: '2026-11-01T00:00:00.000Z',
    model: { name: config.model, params: spec.params ?? 1000 },
    data: { trainExamples: 5000, validationExamples: 1000, stepsPerEpoch: spec.stepsPerEpoch ?? 10, microBatchSize: config.batchSize },
    timing: {
      firstStepMs: 100, compileMs: null, medianDataMs: null, medianStepMs: 10, p10StepMs: 9, p90StepMs: 11, steadySteps: 9, stepsCompleted: 10,
      samplesPerSec: spec.samplesPerSec === undefined ? 3200 : spec.samplesPerSec,
      epochMs: [1000], totalMs: spec.totalMs ?? 1000,
      timeToTargetMs: spec.timeToTargetMs === undefined ? 1000 : spec.timeToTargetMs,
    },
    accuracy: {
      finalValAccuracy: last?.valAccuracy ?? null, finalValLoss: last?.valLoss ?? null,
      bestValAccuracy: curve.length ? Math.max(...curve.map((r) => r.valAccuracy)) : null,
      reachedTarget: spec.timeToTargetMs !== null, curve, stoppedEarlyAtEpoch: null,
    },
  };
  if (spec.memory) result.memory = spec.memory;
  if (spec.inferenceMs !== undefined) result.inference = { msPerExample: spec.inferenceMs };
  return result;
}

const peak = (bytes: number): MeasuredResult['memory'] => ({ truePeakBytes: bytes, estimatedBytes: bytes });

// ---------- normalisation ----------

describe('normaliseMetric', () => {
  it('maps min→1 and max→10 for higher-is-better, and the reverse for lower-is-better', () => {
    const up = normaliseMetric('m', inputs([1, 2, 3]), 'higher-is-better', 'linear');
    expect(up.scores).toEqual({ a: 1, b: 5.5, c: 10 });
    const down = normaliseMetric('m', inputs([1, 2, 3]), 'lower-is-better', 'linear');
    expect(down.scores).toEqual({ a: 10, b: 5.5, c: 1 });
    expect(down.range).toEqual({ metricId: 'm', low: 1, high: 3, clippedRowIds: [], allEqual: false, count: 3 });
  });

  it('spaces bytes and times on a log scale', () => {
    const log = normaliseMetric('bytes', inputs([1e6, 1e7, 1e8]), 'lower-is-better', 'log');
    expect(log.scores.a).toBe(10);
    expect(log.scores.b).toBeCloseTo(5.5, 12);
    expect(log.scores.c).toBe(1);
    // The same values on a linear scale: 1e7 sits near the best end.
    const linear = normaliseMetric('bytes', inputs([1e6, 1e7, 1e8]), 'lower-is-better', 'linear');
    expect(linear.scores.b).toBeCloseTo(10 - 9 * (9e6 / 99e6), 12); // 9.1818…
  });

  it('gives every row 5.5 when all values are equal, and a single row 5.5 too', () => {
    const equal = normaliseMetric('m', inputs([5, 5, 5]), 'lower-is-better', 'log');
    expect(equal.scores).toEqual({ a: 5.5, b: 5.5, c: 5.5 });
    expect(equal.range.allEqual).toBe(true);
    expect(EQUAL_VALUES_SCORE).toBe(5.5);
    expect(normaliseMetric('m', inputs([42]), 'higher-is-better', 'linear').scores).toEqual({ a: 5.5 });
  });

  it('clips a single outlier at median ± 3·1.4826·MAD (log space) so the others keep their spread', () => {
    const result = normaliseMetric('ms', inputs([10, 20, 30, 40, 10_000]), 'lower-is-better', 'log');
    const mad = Math.log10(1.5); // deviations from log10(30): 0.477, 0.176, 0, 0.125, 2.52 → median 0.176
    const high = Math.log10(30) + 3 * 1.4826 * mad; // ≈ 2.26, i.e. ≈ 182 ms
    expect(result.range.high).toBeCloseTo(10 ** high, 9);
    expect(result.range.low).toBe(10);
    expect(result.range.clippedRowIds).toEqual(['e']);
    expect(result.notes.e).toBe('outlier: clipped to the worst end of the range');
    expect(result.scores.a).toBe(10);
    expect(result.scores.e).toBe(1);
    expect(result.scores.d).toBeCloseTo(10 - 9 * (Math.log10(40) - 1) / (high - 1), 12);
    expect(result.scores.d).toBeCloseTo(5.701, 3);
    // Without the clipping 40 ms would score 8.33 and be hard to tell from 10 ms.
    const unclipped = normaliseMetric('ms', inputs([10, 40, 10_000]), 'lower-is-better', 'log');
    expect(unclipped.scores.b).toBeCloseTo(10 - 9 * Math.log10(4) / 3, 12);
  });

  it('does not stretch differences narrower than a factor of 2 (log) or 0.1 (linear) over the whole scale', () => {
    // 6.03 s against 6.07 s is noise: both score about the midpoint, not 10 and 1.
    const close = normaliseMetric('ms', inputs([6030, 6070]), 'lower-is-better', 'log');
    const half = Math.log10(2) / 2;
    const centre = (Math.log10(6030) + Math.log10(6070)) / 2;
    expect(close.scores.a).toBeCloseTo(10 - 9 * (Math.log10(6030) - (centre - half)) / (2 * half), 12);
    expect(close.scores.a).toBeCloseTo(5.54, 2);
    expect(close.scores.b).toBeCloseTo(5.46, 2);
    expect(close.range.low).toBeCloseTo(10 ** (centre - half), 6);
    // Exactly a factor of 2 apart is already wide enough: 10 and 1.
    expect(normaliseMetric('ms', inputs([1000, 2000]), 'lower-is-better', 'log').scores).toEqual({ a: 10, b: 1 });
    const accuracy = normaliseMetric('acc', inputs([0.97, 0.98]), 'higher-is-better', 'linear');
    expect(accuracy.scores.a).toBeCloseTo(5.05, 12);
    expect(accuracy.scores.b).toBeCloseTo(5.95, 12);
  });

  it('leaves evenly spread values alone (no clipping below 5 values or without outliers)', () => {
    const even = normaliseMetric('m', inputs([1, 2, 3, 4, 5]), 'higher-is-better', 'linear');
    expect(even.scores).toEqual({ a: 1, b: 3.25, c: 5.5, d: 7.75, e: 10 });
    expect(even.range.clippedRowIds).toEqual([]);
  });

  it('scores missing and unusable values null with a reason, never 0, and leaves them out of the range', () => {
    const result = normaliseMetric('m', inputs([null, 0, Number.NaN, 100, 1000]), 'lower-is-better', 'log');
    expect(result.scores).toEqual({ a: null, b: null, c: null, d: 10, e: 1 });
    expect(result.notes.b).toBe('not scored: 0 cannot be placed on a log scale');
    expect(result.notes.c).toBe('not scored: NaN is not a finite number');
    expect(result.notes.a).toBeUndefined(); // the caller owns the reason of a null value
    expect(result.range.count).toBe(2);
  });
});

// ---------- weights, totals, preset ----------

describe('weighted totals', () => {
  it('divides by the weight sum, so percentages and fractions rank the same', () => {
    const rows = [manualRow('x', { a: 10, b: 2 }), manualRow('y', { a: 4, b: 8 })];
    const percent = evaluateMatrix(manualMatrix({ a: 75, b: 25 }, rows));
    expect(percent.weightSum).toBe(100);
    expect(percent.shares).toEqual({ a: 0.75, b: 0.25 });
    expect(percent.rows.map((r) => r.total)).toEqual([8, 5]);
    const raw = evaluateMatrix(manualMatrix({ a: 3, b: 1 }, rows));
    expect(raw.weightSum).toBe(4);
    expect(raw.rows.map((r) => r.total)).toEqual([8, 5]);
    expect(raw.ranking).toEqual(['x', 'y']);
  });

  it('treats a negative weight as 0 with a warning and gives no total when every weight is 0', () => {
    const rows = [manualRow('x', { a: 10, b: 2 })];
    const negative = evaluateMatrix(manualMatrix({ a: -5, b: 1 }, rows));
    expect(negative.rows[0]!.total).toBe(2);
    expect(negative.warnings).toEqual(['Weight of “A” must be a non-negative number; got -5; counted as 0.']);
    const zero = evaluateMatrix(manualMatrix({ a: 0, b: 0 }, rows));
    expect(zero.rows[0]!.total).toBeNull();
    expect(zero.rows[0]!.totalReason).toBe('no total: every weight is 0');
    expect(zero.winners).toEqual([]);
  });

  it('rejects manual scores outside 1–10 with a reason', () => {
    const result = evaluateMatrix(manualMatrix({ a: 1 }, [manualRow('x', { a: 11 })]));
    expect(result.rows[0]!.scores.a).toBeNull();
    expect(result.rows[0]!.scoreNotes.a).toBe('manual score 11 is outside 1–10');
  });
});

describe('framework comparison preset', () => {
  // The method's table: scores 1–10 per framework and criterion, weights in percent.
  const METHOD_SCORES = {
    'pytorch-lightning': { memory: 9, speed: 8, deployment: 7, learningCurve: 8, community: 9 },
    tensorflow: { memory: 7, speed: 7, deployment: 9, learningCurve: 6, community: 9 },
    'hugging-face': { memory: 8, speed: 9, deployment: 6, learningCurve: 9, community: 10 },
  };

  it('holds every score and weight of the method’s table', () => {
    const preset = frameworkComparisonPreset();
    expect(preset.criteria.map((c) => [c.id, c.weight])).toEqual([
      ['memory', 30], ['speed', 25], ['deployment', 20], ['learningCurve', 15], ['community', 10],
    ]);
    expect(Object.fromEntries(preset.rows.map((r) => [r.id, r.manualScores]))).toEqual(METHOD_SCORES);
    const evaluation = evaluateMatrix(preset);
    expect(Object.fromEntries(evaluation.rows.map((r) => [r.id, r.scores]))).toEqual(METHOD_SCORES);
    expect(evaluation.weightSum).toBe(100);
  });

  it('totals 8.20, 7.45 and 8.20, and marks Lightning and Hugging Face as tied winners', () => {
    const evaluation = evaluateMatrix(frameworkComparisonPreset());
    const totals = Object.fromEntries(evaluation.rows.map((r) => [r.id, r.total]));
    // Lightning: 0.3·9 + 0.25·8 + 0.2·7 + 0.15·8 + 0.1·9 = 2.7 + 2 + 1.4 + 1.2 + 0.9
    expect(totals['pytorch-lightning']).toBeCloseTo(8.2, 12);
    // TensorFlow: 0.3·7 + 0.25·7 + 0.2·9 + 0.15·6 + 0.1·9 = 2.1 + 1.75 + 1.8 + 0.9 + 0.9
    expect(totals.tensorflow).toBeCloseTo(7.45, 12);
    // Hugging Face: 0.3·8 + 0.25·9 + 0.2·6 + 0.15·9 + 0.1·10 = 2.4 + 2.25 + 1.2 + 1.35 + 1
    expect(totals['hugging-face']).toBeCloseTo(8.2, 12);
    expect(evaluation.ranking).toEqual(['pytorch-lightning', 'hugging-face', 'tensorflow']);
    expect(evaluation.rows.map((r) => [r.id, r.rank, r.tied])).toEqual([
      ['pytorch-lightning', 1, true], ['tensorflow', 3, false], ['hugging-face', 1, true],
    ]);
    expect(evaluation.winners).toEqual(['pytorch-lightning', 'hugging-face']);
    expect(describeWinners(evaluation)).toBe('Tie: PyTorch Lightning and Hugging Face, 8.20');
  });

  it('keeps the tie when the same proportions in decimal weights make the floating-point totals differ in the last bit', () => {
    const preset = frameworkComparisonPreset();
    const decimals: Record<string, number> = { memory: 3.3, speed: 2.75, deployment: 2.2, learningCurve: 1.65, community: 1.1 };
    const evaluation = evaluateMatrix({ ...preset, criteria: preset.criteria.map((c) => ({ ...c, weight: decimals[c.id]! })) });
    const [lightning, , huggingFace] = evaluation.rows;
    expect(lightning!.total).not.toBe(huggingFace!.total); // 8.200000000000001 against 8.2: `===` would split them
    expect(evaluation.winners).toEqual(['pytorch-lightning', 'hugging-face']);
    expect(describeWinners(evaluation)).toBe('Tie: PyTorch Lightning and Hugging Face, 8.20');
  });

  it('names a single winner when a score breaks the tie', () => {
    const preset = frameworkComparisonPreset();
    preset.rows[2]!.manualScores.community = 9;
    expect(describeWinners(evaluateMatrix(preset))).toBe('Winner: PyTorch Lightning, 8.20');
  });
});

// ---------- ties, missing values, failed rows, gate ----------

describe('ranking', () => {
  it('gives tied totals (within 1e-9) the same rank and several winners', () => {
    const rows = [
      manualRow('c', { a: 1, b: 1 }),
      manualRow('a', { a: 1.1, b: 2.2 }), // (1.1 + 2.2) / 2 = 1.6500000000000001
      manualRow('b', { a: 1.65, b: 1.65 }), // 1.65
      manualRow('d', { a: 1.5, b: 1.5 }),
    ];
    const evaluation = evaluateMatrix(manualMatrix({ a: 1, b: 1 }, rows));
    expect(evaluation.ranking).toEqual(['a', 'b', 'd', 'c']);
    const byId = Object.fromEntries(evaluation.rows.map((r) => [r.id, [r.rank, r.tied]]));
    expect(byId).toEqual({ a: [1, true], b: [1, true], d: [3, false], c: [4, false] });
    expect(evaluation.winners).toEqual(['a', 'b']);
  });

  it('gives a row missing a weighted score no total, says why, shows a flagged partial total and ranks it after complete rows', () => {
    const rows = [
      manualRow('gap', { a: 10, b: null }, { missing: { b: 'no community score for architecture “x”: set one' } }),
      manualRow('full', { a: 2, b: 2 }),
    ];
    const evaluation = evaluateMatrix(manualMatrix({ a: 1, b: 1 }, rows));
    const gap = evaluation.rows[0]!;
    expect(gap.total).toBeNull();
    expect(gap.partialTotal).toBe(10);
    expect(gap.missingCriteria).toEqual(['b']);
    expect(gap.scoreNotes.b).toBe('no community score for architecture “x”: set one');
    expect(gap.totalReason).toBe('no total: missing B (no community score for architecture “x”: set one)');
    expect(gap.tier).toBe('incomplete');
    expect(gap.rank).toBeNull();
    expect(evaluation.ranking).toEqual(['full', 'gap']);
    expect(evaluation.winners).toEqual(['full']);
    // A missing score on a weight-0 criterion does not matter.
    const unweighted = evaluateMatrix(manualMatrix({ a: 1, b: 0 }, rows));
    expect(unweighted.rows[0]!.total).toBe(10);
  });

  it('keeps failed, cancelled and pending rows, with their reasons, after every scored row', () => {
    const rows = [
      manualRow('queued', { a: 5 }, { status: 'queued' }),
      manualRow('crashed', { a: 9 }, { status: 'failed', reason: 'device lost' }),
      manualRow('ok', { a: 3 }),
      manualRow('stopped', { a: 9 }, { status: 'cancelled', reason: 'Stopped by the user.' }),
    ];
    const evaluation = evaluateMatrix(manualMatrix({ a: 1 }, rows));
    expect(evaluation.ranking).toEqual(['ok', 'crashed', 'stopped', 'queued']);
    const byId = Object.fromEntries(evaluation.rows.map((r) => [r.id, r]));
    expect(byId.crashed!.tier).toBe('not-scored');
    expect(byId.crashed!.total).toBeNull();
    expect(byId.crashed!.rank).toBeNull();
    expect(byId.crashed!.totalReason).toBe('not scored: not measured: run failed (device lost)');
    expect(byId.stopped!.totalReason).toBe('not scored: not measured: run cancelled (Stopped by the user.)');
    expect(byId.queued!.tier).toBe('pending');
    expect(byId.ok!.rank).toBe(1);
    expect(evaluation.winners).toEqual(['ok']);
  });
});

describe('accuracy policy', () => {
  const rows = [
    manualRow('sharp', { a: 9 }, { accuracy: 0.5 }), // exactly at the threshold: not above it
    manualRow('blunt', { a: 4 }, { accuracy: 0.93 }),
    manualRow('lost', { a: 10 }, { accuracy: null }),
  ];

  it('ranks rows not above the threshold after every passing row, even with a higher total', () => {
    const evaluation = evaluateMatrix(manualMatrix({ a: 1 }, rows, true));
    expect(evaluation.ranking).toEqual(['blunt', 'lost', 'sharp']);
    expect(evaluation.rows.map((r) => [r.id, r.gate, r.tier, r.rank])).toEqual([
      ['sharp', 'below', 'below-gate', 3], ['blunt', 'pass', 'scored', 1], ['lost', 'below', 'below-gate', 2],
    ]);
    expect(evaluation.winners).toEqual(['blunt']);
    expect(evaluation.accuracyPolicyText).toBe('Final validation accuracy is a gate: configurations at or below 50 % are ' +
      'marked “below gate” and ranked after every configuration above it; none of them can win. It adds nothing to the total (weight 0).');
  });

  it('ranks by total alone when the gate is off, and has no winner when nobody passes', () => {
    expect(evaluateMatrix(manualMatrix({ a: 1 }, rows, false)).ranking).toEqual(['lost', 'sharp', 'blunt']);
    const nobody = evaluateMatrix({ ...manualMatrix({ a: 1 }, [rows[0]!], true), accuracyPolicy: { gate: true, threshold: 0.6 } });
    expect(nobody.winners).toEqual([]);
    expect(nobody.rows[0]!.rank).toBe(1);
  });

  it('explains every combination of gate and accuracy weight', () => {
    expect(describeAccuracyPolicy({ gate: true, threshold: 0.75 }, 0.1)).toBe('Final validation accuracy is a gate: ' +
      'configurations at or below 75 % are marked “below gate” and ranked after every configuration above it; none of ' +
      'them can win. It also counts as a criterion with 10 % of the weight.');
    expect(describeAccuracyPolicy({ gate: false, threshold: 0.5 }, 0.125)).toBe('Final validation accuracy counts only ' +
      'as a criterion (12.5 % of the weight); there is no gate, so a configuration that failed to learn can still win on other criteria.');
    expect(describeAccuracyPolicy({ gate: false, threshold: 0.5 }, 0)).toBe(
      'Final validation accuracy does not enter the ranking: there is no gate and its weight is 0.');
  });
});

// ---------- extraction from RunResult ----------

describe('matrixFromRuns', () => {
  it('uses the default criteria and weights, and scores two runs end to end', () => {
    const entries: RunEntry[] = [
      { id: 'x', result: makeResult({ memory: peak(1e6), timeToTargetMs: 4000, curve: [0.9] }) },
      { id: 'y', result: makeResult({ memory: peak(4e6), timeToTargetMs: 1000, curve: [0.8] }) },
    ];
    const matrix = matrixFromRuns(entries);
    expect(Object.fromEntries(matrix.criteria.map((c) => [c.id, c.weight]))).toEqual(DEFAULT_WEIGHTS);
    expect(matrix.rows[0]!.label).toBe('cnn-small · batch 32 · webgpu');
    const fused = makeResult({ memory: peak(1e6), timeToTargetMs: 4000, curve: [0.9] });
    fused.engine = { requested: 'fused', ran: 'fused', reason: null, stepTimeSource: 'window', dispatchesPerStep: 12 };
    expect(matrixFromRuns([{ id: 'f', result: fused }]).rows[0]!.label).toBe('cnn-small · batch 32 · webgpu · fused engine');
    const evaluation = evaluateMatrix(matrix);
    const x = evaluation.rows[0]!;
    const y = evaluation.rows[1]!;
    expect(x.scores).toEqual({ memory: 10, speed: 1, deployment: 5.5, learningCurve: 10, community: 9, accuracy: 10 });
    expect(y.scores).toEqual({ memory: 1, speed: 10, deployment: 5.5, learningCurve: 1, community: 9, accuracy: 1 });
    // x: 0.3·10 + 0.25·1 + 0.2·5.5 + 0.15·10 + 0.1·9 = 6.75; y: 0.3·1 + 0.25·10 + 0.2·5.5 + 0.15·1 + 0.1·9 = 4.95
    expect(x.total).toBeCloseTo(6.75, 12);
    expect(y.total).toBeCloseTo(4.95, 12);
    expect(evaluation.winners).toEqual(['x']);
  });

  it('reads the true memory peak, falls back to the estimate (flagged) and says why memory is missing', () => {
    const matrix = matrixFromRuns([
      { id: 'true', result: makeResult({ memory: { truePeakBytes: 5e6, estimatedBytes: 3e6 } }) },
      { id: 'estimate', result: makeResult({ memory: { truePeakBytes: null, estimatedBytes: 3e6 } }) },
      { id: 'cpu', result: makeResult({ backend: 'cpu' }) },
      { id: 'old', result: makeResult() },
    ]);
    const [measured, estimated, cpu, old] = matrix.rows;
    expect(measured!.values.memory).toBe(5e6);
    expect(measured!.notes.memory).toBe('true GPU peak (measured)');
    expect(estimated!.values.memory).toBe(3e6);
    expect(estimated!.notes.memory).toBe('analytic estimate: no measured peak for this run');
    expect(cpu!.values.memory).toBeNull();
    expect(cpu!.missing.memory).toBe('not measured on CPU backend');
    expect(old!.missing.memory).toBe('not measured: no memory figures in this result');
    expect(matrix.notes).toEqual(['Memory mixes measured peaks and analytic estimates: estimated rows are flagged.']);
    const evaluation = evaluateMatrix(matrix);
    expect(evaluation.rows[2]!.scores.memory).toBeNull();
    expect(evaluation.rows[2]!.scoreNotes.memory).toBe('not measured on CPU backend');
    expect(evaluation.rows[2]!.totalReason).toBe('no total: missing Memory efficiency (not measured on CPU backend)');
    expect(evaluation.rows[1]!.scoreNotes.memory).toBe('analytic estimate: no measured peak for this run');
  });

  it('puts time to target and throughput on one scale of milliseconds', () => {
    // a reaches 0.5 after epoch 1 (10 steps × 32 = 320 samples), b after epoch 2 (640): median 480 samples.
    const matrix = matrixFromRuns([
      { id: 'a', result: makeResult({ curve: [0.6], timeToTargetMs: 2000 }) },
      { id: 'b', result: makeResult({ curve: [0.4, 0.7], timeToTargetMs: 5000 }) },
      { id: 'slow', result: makeResult({ curve: [0.3], timeToTargetMs: null, samplesPerSec: 100, totalMs: 3000 }) },
      { id: 'quick', result: makeResult({ curve: [0.3], timeToTargetMs: null, samplesPerSec: 1000, totalMs: 3000 }) },
      { id: 'one-step', result: makeResult({ curve: [0.3], timeToTargetMs: null, samplesPerSec: null }) },
    ]);
    const speed = matrix.rows.map((r) => r.values.speed);
    // slow: 480 / 100 samples/s = 4.8 s; quick: 480 / 1000 = 0.48 s, but it trained 3 s without reaching the target.
    expect(speed).toEqual([2000, 5000, 4800, 3000, null]);
    expect(matrix.rows[2]!.notes.speed).toMatch(/^estimate: target not reached; equivalent time for the 480 samples/);
    expect(matrix.rows[4]!.missing.speed).toBe(
      'not measured: target not reached and no steady throughput (fewer than two training steps)');

    // Nobody reached the target: one epoch (320 samples) at each run's throughput, which ranks like samples/s.
    const none = matrixFromRuns([
      { id: 'p', result: makeResult({ timeToTargetMs: null, samplesPerSec: 640 }) },
      { id: 'q', result: makeResult({ timeToTargetMs: null, samplesPerSec: 160 }) },
    ]);
    expect(none.rows.map((r) => r.values.speed)).toEqual([500, 2000]);
  });

  it('flags runs trained to different targets', () => {
    const matrix = matrixFromRuns([
      { id: 'a', result: makeResult({ config: { targetAccuracy: 0.5 } }) },
      { id: 'b', result: makeResult({ config: { targetAccuracy: 0.8 } }) },
    ]);
    expect(matrix.notes).toEqual(['Runs used different target accuracies (0.5, 0.8): their times to target are not directly comparable.']);
  });

  it('scores deployment on model size, averaged with inference latency only when every run has it', () => {
    const partial = matrixFromRuns([
      { id: 'small', result: makeResult({ params: 1000, inferenceMs: 2 }) },
      { id: 'big', result: makeResult({ params: 100_000 }) },
    ]);
    expect(partial.rows.map((r) => r.values.deployment)).toEqual([4000, 400_000]);
    const e1 = evaluateMatrix(partial);
    expect(e1.rows.map((r) => r.scores.deployment)).toEqual([10, 1]);
    expect(e1.warnings).toEqual(['Inference latency per example is left out of “Deployment”: measured for 1 of 2 runs.']);

    const full = matrixFromRuns([
      { id: 'small', result: makeResult({ params: 1000, inferenceMs: 8 }) },
      { id: 'big', result: makeResult({ params: 100_000, inferenceMs: 2 }) },
    ]);
    const e2 = evaluateMatrix(full);
    // size: small 10, big 1; latency: small 1, big 10 → both (10 + 1) / 2 = 5.5
    expect(e2.rows.map((r) => r.scores.deployment)).toEqual([5.5, 5.5]);
    expect(e2.ranges.deployment!.map((r) => [r.metricId, r.low, r.high])).toEqual([
      ['deployment', 4000, 400_000], ['inferenceMsPerExample', 2, 8],
    ]);
  });

  it('measures the learning curve as mean validation accuracy minus drops, final accuracy for one epoch', () => {
    expect(learningCurveValue(makeResult({ curve: [0.6, 0.8, 0.7] }).accuracy.curve, 0.7)).toBeCloseTo(0.6, 12);
    expect(learningCurveValue(makeResult({ curve: [0.2, 0.9, 0.95] }).accuracy.curve, 0.95)).toBeCloseTo(0.6833333333, 9);
    expect(learningCurveValue(makeResult({ curve: [0.9] }).accuracy.curve, 0.9)).toBe(0.9);
    expect(learningCurveValue([], 0.8)).toBe(0.8);
    expect(learningCurveValue([], null)).toBeNull();
  });

  it('takes community scores per architecture, editable, with a reason when there is none', () => {
    const matrix = matrixFromRuns([
      { id: 'mlp', result: makeResult({ model: 'mlp' }) },
      { id: 'new', result: makeResult({ model: 'vit-nano' }) },
    ], { communityScores: { mlp: 6 } });
    expect(matrix.rows[0]!.manualScores.community).toBe(6);
    expect(matrix.rows[1]!.manualScores.community).toBeNull();
    expect(matrix.rows[1]!.missing.community).toBe('no community score for architecture “vit-nano”: set one');
  });

  it('adds custom manual criteria scored per architecture, and removes criteria the user took out', () => {
    const entries = [
      { id: 'a', result: makeResult({ model: 'mlp', memory: peak(1e6) }) },
      { id: 'b', result: makeResult({ model: 'cnn-small', memory: peak(2e6) }) },
      { id: 'c', result: makeResult({ model: 'cnn-small', memory: peak(3e6) }) },
    ];
    const matrix = matrixFromRuns(entries, {
      customCriteria: [{ id: 'custom-team', label: 'Team knows it', weight: 10, scores: { 'cnn-small': 8 } }],
      removedCriteria: ['community'],
    });
    expect(matrix.criteria.map((c) => c.id)).toEqual(['memory', 'speed', 'deployment', 'learningCurve', 'accuracy', 'custom-team']);
    expect(matrix.criteria.at(-1)).toMatchObject({ kind: 'manual', weight: 10, label: 'Team knows it' });
    expect(matrix.rows.map((r) => r.manualScores['custom-team'])).toEqual([null, 8, 8]);
    expect(matrix.rows[0]!.missing['custom-team']).toBe('no “Team knows it” score for mlp yet: enter one');
    // A weighted criterion without a score leaves the row without a total, with the reason.
    const evaluation = evaluateMatrix(matrix);
    expect(evaluation.rows[0]!.total).toBeNull();
    expect(evaluation.rows[0]!.missingCriteria).toEqual(['custom-team']);
    expect(evaluation.rows[1]!.scores['custom-team']).toBe(8);
  });

  it('keeps the reason of a run that failed before it produced a result', () => {
    const matrix = matrixFromRuns([{ id: 'x', status: 'failed', reason: 'The training worker crashed.', result: null }]);
    expect(matrix.rows[0]!.reason).toBe('The training worker crashed.');
  });

  it('maps failures to row statuses and keeps failed rows out of everyone else’s normalisation', () => {
    expect(statusOfResult(makeResult({ status: 'failed', reason: 'GPU out of memory while allocating' }))).toBe('oom');
    expect(statusOfResult(makeResult({ status: 'cancelled', reason: 'Over the memory budget (8 GB)' }))).toBe('over-budget');
    expect(statusOfResult(makeResult({ status: 'failed', reason: 'device lost' }))).toBe('failed');

    const good = [
      { id: 'a', result: makeResult({ memory: peak(1e6) }) },
      { id: 'b', result: makeResult({ memory: peak(1e7) }) },
    ];
    const crashed = { id: 'z', result: makeResult({ status: 'failed', reason: 'device lost', memory: peak(1e9) }) };
    const running: RunEntry = { id: 'r', status: 'running', result: null };
    const withFailed = evaluateMatrix(matrixFromRuns([crashed, ...good, running]));
    const without = evaluateMatrix(matrixFromRuns(good));
    expect(withFailed.rows.slice(1, 3).map((r) => r.scores.memory)).toEqual([10, 1]);
    expect(withFailed.rows.slice(1, 3).map((r) => r.total)).toEqual(without.rows.map((r) => r.total));
    expect(withFailed.ranking.slice(2)).toEqual(['z', 'r']);
    const z = withFailed.rows[0]!;
    expect(z.status).toBe('failed');
    expect(z.scores.memory).toBeNull();
    expect(z.scoreNotes.memory).toBe('not scored: not measured: run failed (device lost)');
    expect(z.totalReason).toBe('not scored: not measured: run failed (device lost)');
    const r = withFailed.rows[3]!;
    expect([r.tier, r.totalReason]).toEqual(['pending', 'not scored: not measured yet: still running']);
  });
});

// ---------- Pareto ----------

describe('paretoFront', () => {
  const points: ParetoPoint[] = [
    { id: 'A', time: 1, memory: 4, accuracy: 0.6 },
    { id: 'B', time: 2, memory: 2, accuracy: 0.7 },
    { id: 'C', time: 4, memory: 1, accuracy: 0.8 },
    { id: 'D', time: 3, memory: 3, accuracy: 0.99 },
    { id: 'E', time: 2, memory: 2, accuracy: 0.5 }, // same point as B
    { id: 'F', time: 2, memory: 5, accuracy: 0.6 },
    { id: 'G', time: null, memory: 1, accuracy: 0.9 },
  ];

  it('returns the non-dominated points, with equal points both on the front', () => {
    expect(paretoFront(points)).toEqual({
      front: ['A', 'B', 'C', 'E'],
      dominated: [{ id: 'D', dominatedBy: ['B', 'E'] }, { id: 'F', dominatedBy: ['A', 'B', 'E'] }],
      excluded: [{ id: 'G', reason: 'no time value' }],
    });
  });

  it('lets accuracy enter dominance only when asked', () => {
    const result = paretoFront(points, { useAccuracy: true });
    // D is now the most accurate; B (0.7) dominates E (0.5) at the same time and memory.
    expect(result.front).toEqual(['A', 'B', 'C', 'D']);
    expect(result.dominated).toEqual([{ id: 'E', dominatedBy: ['B'] }, { id: 'F', dominatedBy: ['A', 'B'] }]);
  });

  it('reads time and memory of the finished rows of a matrix', () => {
    const matrix = matrixFromRuns([
      { id: 'a', result: makeResult({ memory: peak(1e6), timeToTargetMs: 3000 }) },
      { id: 'b', result: makeResult({ memory: peak(2e6), timeToTargetMs: 4000 }) },
      { id: 'c', result: makeResult({ status: 'failed', reason: 'x' }) },
    ]);
    expect(paretoPointsFromMatrix(matrix)).toEqual([
      { id: 'a', time: 3000, memory: 1e6, accuracy: 0.9 },
      { id: 'b', time: 4000, memory: 2e6, accuracy: 0.9 },
    ]);
    expect(paretoFront(paretoPointsFromMatrix(matrix)).front).toEqual(['a']);
  });
});

// ---------- sensitivity ----------

describe('weightSensitivity', () => {
  /** The preset's criteria with scores that give one clear winner (these are not the method's table, which ties). */
  const clearWinner = (): Matrix => {
    const matrix = frameworkComparisonPreset();
    const scores: Record<string, number[]> = {
      'pytorch-lightning': [9, 8, 7, 8, 9], tensorflow: [7, 8, 9, 6, 9], 'hugging-face': [6, 7, 8, 9, 10],
    };
    for (const row of matrix.rows) {
      row.manualScores = Object.fromEntries(matrix.criteria.map((c, i) => [c.id, scores[row.id]![i]!]));
    }
    return matrix;
  };
  const byId = () => Object.fromEntries(weightSensitivity(clearWinner()).map((s) => [s.criterionId, s]));

  it('on the method’s table, splits the Lightning–Hugging Face tie at once with every weight, towards the better score', () => {
    const [lightning, huggingFace] = ['pytorch-lightning', 'hugging-face'];
    const expected: Record<string, [up: string, down: string]> = {
      memory: [lightning!, huggingFace!], // 9 against 8
      speed: [huggingFace!, lightning!], // 8 against 9
      deployment: [lightning!, huggingFace!], // 7 against 6
      learningCurve: [huggingFace!, lightning!], // 8 against 9
      community: [huggingFace!, lightning!], // 9 against 10
    };
    const sensitivity = weightSensitivity(frameworkComparisonPreset());
    expect(sensitivity.map((s) => s.criterionId)).toEqual(Object.keys(expected));
    for (const s of sensitivity) {
      for (const [flip, winner] of [[s.up, expected[s.criterionId]![0]], [s.down, expected[s.criterionId]![1]]] as const) {
        expect(flip!.deltaPoints).toBe(0);
        expect(flip!.shareAtFlip).toBeCloseTo(s.weight, 10); // the weights sum to 100
        expect(flip!.weightAtFlip).toBeCloseTo(s.weight, 10);
        expect(flip!.newWinners).toEqual([winner]);
      }
    }
  });

  it('finds where raising deployment hands the win to TensorFlow (hand-computed crossing)', () => {
    // With p = deployment's share and the others held in proportion (memory 30, speed 25, learning 15, community 10):
    // Lightning 8.5 − 1.5p, TensorFlow 7.375 + 1.625p, Hugging Face 7.375 + 0.625p → Lightning = TensorFlow at p = 0.36.
    const deployment = byId().deployment!;
    expect(deployment.share).toBe(20);
    expect(deployment.up!.shareAtFlip).toBeCloseTo(36, 10);
    expect(deployment.up!.deltaPoints).toBeCloseTo(16, 10);
    expect(deployment.up!.weightAtFlip).toBeCloseTo(45, 10); // 45 / (45 + 80) = 0.36
    expect(deployment.up!.newWinners).toEqual(['tensorflow']);
    expect(deployment.down).toBeNull();
  });

  it('finds the learning-curve and community crossings towards Hugging Face', () => {
    const s = byId();
    // Learning curve: Lightning 700/85 − (700/85 − 8)p vs Hugging Face 615/85 + (9 − 615/85)p → p = 0.5.
    expect(s.learningCurve!.up!.shareAtFlip).toBeCloseTo(50, 10);
    expect(s.learningCurve!.up!.deltaPoints).toBeCloseTo(35, 10);
    expect(s.learningCurve!.up!.weightAtFlip).toBeCloseTo(85, 10);
    expect(s.learningCurve!.up!.newWinners).toEqual(['hugging-face']);
    // Community: (730 + 80p)/90 vs (650 + 250p)/90 → p = 80/170 = 8/17.
    expect(s.community!.up!.shareAtFlip).toBeCloseTo(800 / 17, 10);
    expect(s.community!.up!.deltaPoints).toBeCloseTo(800 / 17 - 10, 10);
    expect(s.community!.up!.weightAtFlip).toBeCloseTo(80, 10);
    expect(s.community!.up!.newWinners).toEqual(['hugging-face']);
    expect(s.community!.down).toBeNull();
  });

  it('finds where lowering memory flips the winner, and that raising it never does', () => {
    // Memory: Lightning (550 + 80p)/70, TensorFlow (560 − 70p)/70, Hugging Face (570 − 150p)/70.
    // Going down from 0.3 Lightning meets Hugging Face first, at p = 20/230 = 2/23 (TensorFlow only at 1/15).
    const memory = byId().memory!;
    expect(memory.up).toBeNull();
    expect(memory.down!.shareAtFlip).toBeCloseTo(200 / 23, 10);
    expect(memory.down!.deltaPoints).toBeCloseTo(30 - 200 / 23, 10);
    expect(memory.down!.weightAtFlip).toBeCloseTo(20 / 3, 10); // (2/23)·70 / (21/23)
    expect(memory.down!.newWinners).toEqual(['hugging-face']);
  });

  it('counts a tie reached only at 100 % as a change, with no finite weight to get there', () => {
    // Speed: Lightning and TensorFlow both score 8, so they meet exactly when speed is all that counts.
    const speed = byId().speed!;
    expect(speed.up).toEqual({ deltaPoints: 75, shareAtFlip: 100, weightAtFlip: null, newWinners: ['pytorch-lightning', 'tensorflow'] });
    expect(speed.down).toBeNull();
  });

  it('reports distance 0 when the current winners are tied and the weight splits them', () => {
    const matrix = manualMatrix({ a: 50, b: 50 }, [manualRow('x', { a: 8, b: 4 }), manualRow('y', { a: 4, b: 8 })]);
    const [a] = weightSensitivity(matrix);
    expect(a!.up).toEqual({ deltaPoints: 0, shareAtFlip: 50, weightAtFlip: 50, newWinners: ['x'] });
    expect(a!.down).toEqual({ deltaPoints: 0, shareAtFlip: 50, weightAtFlip: 50, newWinners: ['y'] });
  });

  it('agrees with re-ranking at the changed weights on random 40-row matrices: same winners up to the flip, new ones past it', () => {
    const rng = createRng(7);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    /** Winners when criterion `id` has share p of the weights and the others keep theirs. */
    const winnersAtShare = (matrix: Matrix, id: string, p: number): string[] => {
      const others = matrix.criteria.filter((c) => c.id !== id).reduce((acc, c) => acc + c.weight, 0);
      const criteria = matrix.criteria.map((c) => (c.id !== id ? c : { ...c, weight: (p * others) / (1 - p) }));
      return evaluateMatrix({ ...matrix, criteria }).winners;
    };
    let flips = 0;
    for (let trial = 0; trial < 6; trial++) {
      const rows = Array.from({ length: 40 }, (_, r) => manualRow(`r${r}`, Object.fromEntries(ids.map((id) => [id, 1 + 9 * rng.next()]))));
      const matrix = manualMatrix(Object.fromEntries(ids.map((id) => [id, 5 + Math.round(20 * rng.next())])), rows);
      const { winners } = evaluateMatrix(matrix);
      for (const s of weightSensitivity(matrix)) {
        const p0 = s.share / 100;
        for (const [flip, end] of [[s.up, 1], [s.down, 0]] as const) {
          const stop = flip ? flip.shareAtFlip / 100 : end;
          // Nothing changes on the way (sampled at 9 points strictly between), whatever the walk skipped.
          for (let k = 1; k < 10; k++) {
            const p = p0 + ((stop - p0) * k) / 10;
            if (p < 1) expect(winnersAtShare(matrix, s.criterionId, p)).toEqual(winners);
          }
          if (!flip || flip.shareAtFlip >= 100) continue;
          flips++;
          const past = flip.shareAtFlip / 100 + (end === 1 ? 1e-7 : -1e-7);
          expect(winnersAtShare(matrix, s.criterionId, past)).toEqual(flip.newWinners);
        }
      }
    }
    expect(flips).toBeGreaterThan(20);
  });

  it('says why when it cannot answer', () => {
    const single = weightSensitivity(manualMatrix({ a: 1, b: 0 }, [manualRow('x', { a: 8, b: 1 }), manualRow('y', { a: 4, b: 9 })]));
    expect(single[0]!.note).toBe('No other criterion has weight: moving this one cannot change the order.');
    // b has weight 0 now; with p = b's share, x totals 8 − 7p and y 4 + 5p → y wins past p = 1/3 (weight 0.5 against a's 1).
    expect(single[1]!.up!.shareAtFlip).toBeCloseTo(100 / 3, 10);
    expect(single[1]!.up!.weightAtFlip).toBeCloseTo(0.5, 10);
    const nobody = weightSensitivity(manualMatrix({ a: 1 }, [manualRow('x', { a: 8 }, { accuracy: 0.1 })], true));
    expect(nobody[0]!.note).toBe('No configuration passes the gate with a total: there is no winner to flip.');
  });
});

describe('the decision in words', () => {
  const names = (ids: string[]) => joinNames(ids.map((id) => id.toUpperCase()));

  it('joins names as a sentence does', () => {
    expect([joinNames(['a']), joinNames(['a', 'b']), joinNames(['a', 'b', 'c'])]).toEqual(['a', 'a and b', 'a, b and c']);
  });

  it('says how far a weight must move, or that any move splits a tie, and whether the result is a win or a tie', () => {
    expect(describeFlip('up', { deltaPoints: 16, shareAtFlip: 36, weightAtFlip: 45, newWinners: ['tf'] }, names))
      .toBe('raising it to 36 % (+16 points, weight 45) makes TF win');
    expect(describeFlip('down', { deltaPoints: 21.3, shareAtFlip: 8.7, weightAtFlip: 6.67, newWinners: ['hf'] }, names))
      .toBe('lowering it to 8.7 % (−21.3 points) makes HF win');
    expect(describeFlip('up', { deltaPoints: 75, shareAtFlip: 100, weightAtFlip: null, newWinners: ['pl', 'tf'] }, names))
      .toBe('raising it to 100 % (+75 points) makes PL and TF tie');
    expect(describeFlip('up', { deltaPoints: 0, shareAtFlip: 30, weightAtFlip: 30, newWinners: ['pl'] }, names))
      .toBe('raising it at all makes PL win');
  });

  it('has nothing to say when nothing wins', () => {
    expect(describeWinners(evaluateMatrix(manualMatrix({ a: 1 }, [manualRow('x', { a: 8 }, { accuracy: 0.1 })], true)))).toBeNull();
  });
});

// ---------- JSON ----------

describe('JSON', () => {
  it('survives JSON.stringify/parse unchanged, and re-evaluates to the same result', () => {
    const matrix = matrixFromRuns([
      { id: 'a', result: makeResult({ memory: peak(1e6), timeToTargetMs: 3000, curve: [0.6, 0.8] }) },
      { id: 'b', result: makeResult({ memory: { truePeakBytes: null, estimatedBytes: 3e6 }, timeToTargetMs: 1500 }) },
      { id: 'c', result: makeResult({ backend: 'cpu', timeToTargetMs: null, curve: [0.3] }) },
      { id: 'd', result: makeResult({ status: 'failed', reason: 'device lost' }) },
      { id: 'e', status: 'queued', result: null },
    ]);
    const evaluation = evaluateMatrix(matrix);
    const sensitivity = weightSensitivity(matrix, evaluation);
    const pareto = paretoFront(paretoPointsFromMatrix(matrix));
    const bundle = { matrix, evaluation, sensitivity, pareto };
    const copy = JSON.parse(JSON.stringify(bundle)) as typeof bundle;
    expect(copy).toEqual(bundle);
    expect(evaluateMatrix(copy.matrix)).toEqual(evaluation);
    expect(evaluation.ranking).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(evaluation.winners).toEqual(['a']);
    expect(pareto.front).toEqual(['a', 'b']);
  });
});
