/** The RunResult made from what a run measured: plain values in, the one JSON object out (no tfjs, no backend). */
import type { RunConfig } from '../config';
import type { Environment } from '../environment';
import type { LogicalPeak } from '../measure/logical-peak';
import type { MemorySample, MemorySnapshot } from '../measure/memory-snapshot';
import { quantile, summarizeStepTimes } from '../measure/stats';
import type { EvaluationReport } from '../evaluation-report';
import type { EngineReport, EpochRecord, LossScalerSummary, RunMemory, RunResult, RunStatus } from '../result';

/** Everything a run measured, as plain values. */
export interface RunMeasurements {
  config: RunConfig;
  environment: Environment;
  startedAt: string;
  status: RunStatus;
  reason: string | null;
  engine: EngineReport;
  model: RunResult['model'];
  data: RunResult['data'];
  /** Wall time of each optimizer step, and the part of it spent preparing input batches. */
  stepMs: number[];
  dataMs: number[];
  epochMs: number[];
  curve: EpochRecord[];
  compileMs: number | null;
  totalMs: number;
  timeToTargetMs: number | null;
  stoppedEarlyAtEpoch: number | null;
  /** Wall time spent validating (BatchNorm recalibration included), and each validation's recalibration time. */
  validationMs: number;
  recalibrationMs: number[];
  /** The true-peak instrument's last reading and timeline; null when the run stopped before training. */
  memorySnapshot: MemorySnapshot | null;
  memoryTimeline: MemorySample[];
  logical: LogicalPeak | null;
  estimate: RunMemory['estimate'];
  budgetBytes: number;
  /** Some step's peak reached the warning level of the budget. */
  budgetWarned: boolean;
  leakedTensors: number;
  inference: RunResult['inference'];
  lossScale: LossScalerSummary | null;
  /** What the trained model gets wrong on the validation images; only finished runs have it. */
  evaluation?: EvaluationReport | null;
}

export function buildRunResult(m: RunMeasurements): RunResult {
  const { config, memorySnapshot: snapshot, logical, curve } = m;
  const steps = summarizeStepTimes(m.stepMs);
  const last = curve.at(-1) ?? null;
  return {
    schemaVersion: 1,
    config,
    environment: m.environment,
    status: m.status,
    reason: m.reason,
    startedAt: m.startedAt,
    engine: m.engine,
    model: m.model,
    data: m.data,
    timing: {
      ...steps,
      compileMs: m.compileMs,
      stepsCompleted: m.stepMs.length,
      samplesPerSec: steps.medianStepMs ? config.batchSize / (steps.medianStepMs / 1000) : null,
      medianDataMs: m.dataMs.length ? quantile(m.dataMs, 0.5) : null,
      epochMs: m.epochMs,
      totalMs: m.totalMs,
      trainingMs: m.totalMs - m.validationMs,
      validationMs: m.validationMs,
      validations: curve.length,
      medianRecalibrationMs: m.recalibrationMs.length ? quantile(m.recalibrationMs, 0.5) : null,
      timeToTargetMs: m.timeToTargetMs,
    },
    memory: {
      truePeakBytes: snapshot?.truePeakBytes ?? null,
      truePeakSource: snapshot ? `${snapshot.source}${snapshot.exact ? '' : ' (sampled)'}` : null,
      truePeakNote: snapshot?.reason ?? (snapshot ? null : 'not measured: the run stopped before training'),
      logicalPeakBytes: logical?.peakBytes ?? null,
      estimatedBytes: m.estimate?.totalBytes ?? null,
      estimate: m.estimate,
      allocatedBytes: snapshot?.peakAllocatedBytes ?? null,
      budgetBytes: m.budgetBytes,
      budgetWarning: m.budgetWarned || m.status === 'over-budget',
      timeline: m.memoryTimeline.map((s) => ({ step: s.step, bytesInUse: s.bytesInUse, peakBytes: s.peakBytes })),
      topKernels: logical?.topKernels ?? [],
      leakedTensors: m.leakedTensors,
    },
    inference: m.inference,
    precision: { mode: config.precision, lossScale: m.lossScale },
    accuracy: {
      finalValAccuracy: last?.valAccuracy ?? null,
      finalValLoss: last?.valLoss ?? null,
      bestValAccuracy: curve.length ? Math.max(...curve.map((r) => r.valAccuracy)) : null,
      reachedTarget: m.timeToTargetMs !== null,
      curve,
      stoppedEarlyAtEpoch: m.stoppedEarlyAtEpoch,
    },
    ...(m.evaluation ? { evaluation: m.evaluation } : {}),
  };
}
