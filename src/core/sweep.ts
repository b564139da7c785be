/**
 * A sweep: one base configuration and, for each axis, the set of values to try. Its candidates are the cartesian
 * product of the axes, each validated as a RunConfig; invalid combinations are set aside with their messages.
 */
import { RUN_CONFIG_FIELDS, defaultRunConfig, validateRunConfig, type DatasetId, type ModelName, type RunConfig } from './config';
import { datasetCard } from './data/catalog';
import { SPLIT_FRACTIONS } from './data/splits';
import type { UserDatasetSummary } from './data/user-import';
import { MODEL_CATALOG, type CatalogInputShape } from './models/catalog';
import type { InputShape } from './models/types';

/** The axes a sweep can vary; every other RunConfig field is shared by all candidates (SweepSpec.base). */
export const SWEEP_AXES = [
  'model', 'batchSize', 'accumulationSteps', 'precision', 'dataPipeline', 'backend', 'engine', 'learningRateSchedule',
] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];
export type SweepAxes = { [K in SweepAxis]: RunConfig[K][] };

export interface SweepSpec {
  /** Shared settings (dataset, subset, epochs, learning rate, seed, target, budget, patience); its axis fields are unused. */
  base: RunConfig;
  axes: SweepAxes;
}

export interface SweepCandidate {
  /** Stable id from the axis values: the same configuration always gets the same id (links, history, re-runs). */
  id: string;
  label: string;
  config: RunConfig;
}

export interface RejectedCombination {
  label: string;
  messages: string[];
}

export interface SweepExpansion {
  candidates: SweepCandidate[];
  rejected: RejectedCombination[];
  /** Problems with the shared settings or an empty axis: no candidate can run until they are fixed. */
  errors: string[];
}

/** Upper bound on candidates, so a typo cannot queue thousands of runs. */
export const MAX_SWEEP_CANDIDATES = 64;

/**
 * The method's quick validation: 10 % of the data, 2 epochs, the mlp baseline and two light candidates. It validates
 * every 2 steps (4 % of MNIST's 50-step run), so time to target is within 5 % of the crossing, and stops after 5
 * validations without a lower validation loss (10 steps).
 */
export function quickValidationSweep(): SweepSpec {
  return {
    base: {
      ...defaultRunConfig(), subsetFraction: 0.1, epochs: 2, targetAccuracy: 0.5, earlyStoppingPatience: 5,
      validationUnit: 'steps', validationInterval: 2,
    },
    axes: {
      model: ['mlp', 'cnn-small', 'mobilenet-v2-tiny'],
      batchSize: [32],
      accumulationSteps: [1],
      precision: ['fp32'],
      dataPipeline: ['gpu-resident'],
      backend: ['auto'],
      engine: ['fused'],
      learningRateSchedule: ['constant'],
    },
  };
}

const AXIS_SHORT: Record<SweepAxis, (value: RunConfig[SweepAxis]) => string> = {
  model: (v) => String(v),
  batchSize: (v) => `b${v}`,
  accumulationSteps: (v) => `k${v}`,
  precision: (v) => String(v),
  dataPipeline: (v) => String(v),
  backend: (v) => String(v),
  // tfjs adds nothing, so the ids of configurations from before the engine axis (all tfjs) stay what they were.
  engine: (v) => (v === 'tfjs' ? '' : String(v)),
  // constant adds nothing either: ids from before the schedule axis stay what they were.
  learningRateSchedule: (v) => (v === 'constant' ? '' : String(v)),
};

export function candidateId(config: RunConfig): string {
  return SWEEP_AXES.map((axis) => AXIS_SHORT[axis](config[axis])).filter((part) => part !== '').join('·');
}

/**
 * A short label naming only what differs between candidates (the axes with more than one value), plus the model,
 * e.g. "cnn-small · batch 64 · K=4".
 */
export function candidateLabel(config: RunConfig, axes: SweepAxes): string {
  const parts: string[] = [config.model];
  if (axes.batchSize.length > 1 || axes.accumulationSteps.length > 1) parts.push(`batch ${config.batchSize}`);
  if (axes.accumulationSteps.length > 1 || config.accumulationSteps > 1) parts.push(`K=${config.accumulationSteps}`);
  if (axes.precision.length > 1 || config.precision !== 'fp32') parts.push(config.precision);
  if (axes.dataPipeline.length > 1) parts.push(config.dataPipeline);
  if (axes.backend.length > 1 || config.backend !== 'auto') parts.push(config.backend);
  if (axes.engine.length > 1) parts.push(`${config.engine} engine`);
  if (axes.learningRateSchedule.length > 1 || config.learningRateSchedule !== 'constant') parts.push(config.learningRateSchedule);
  return parts.join(' · ');
}

function cartesian(axes: SweepAxes): Partial<RunConfig>[] {
  let combos: Partial<RunConfig>[] = [{}];
  for (const axis of SWEEP_AXES) {
    const values = axes[axis] as unknown[];
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [axis]: value })));
  }
  return combos;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/** Expands a sweep into validated candidates; duplicates collapse into one candidate. */
export function expandSweep(spec: SweepSpec): SweepExpansion {
  const errors: string[] = [];
  const base = validateRunConfig(spec.base);
  if (!base.ok) {
    const shared = base.errors.filter((e) => !(SWEEP_AXES as readonly string[]).includes(e.field));
    errors.push(...shared.map((e) => e.message));
  }
  const axes = Object.fromEntries(SWEEP_AXES.map((axis) => [axis, unique(spec.axes[axis] as unknown[])])) as SweepAxes;
  for (const axis of SWEEP_AXES) {
    if (axes[axis].length === 0) errors.push(`Choose at least one value for ${RUN_CONFIG_FIELDS[axis].label.toLowerCase()}.`);
  }
  if (errors.length > 0) return { candidates: [], rejected: [], errors };

  const combos = cartesian(axes);
  if (combos.length > MAX_SWEEP_CANDIDATES) {
    return {
      candidates: [], rejected: [],
      errors: [`${combos.length} combinations is more than ${MAX_SWEEP_CANDIDATES}: remove some values.`],
    };
  }
  const candidates: SweepCandidate[] = [];
  const rejected: RejectedCombination[] = [];
  for (const combo of combos) {
    const merged = { ...spec.base, ...combo };
    const label = candidateLabel(merged, axes);
    const validation = validateRunConfig(merged);
    if (validation.ok) candidates.push({ id: candidateId(validation.config), label, config: validation.config });
    else rejected.push({ label, messages: validation.errors.map((e) => e.message) });
  }
  return { candidates, rejected, errors };
}

/** Training throughput assumed by the duration estimate, and where the figure comes from (shown beside it). */
export interface ThroughputAssumption {
  trainingFlopsPerSec: number;
  source: string;
}

/**
 * Guesses used until a run in this session has measured the real throughput: a software adapter (SwiftShader)
 * trains at roughly 0.1–0.3 GFLOP/s here; a real GPU through tfjs at several GFLOP/s for models this small.
 */
export function assumedThroughput(isSoftwareAdapter: boolean): ThroughputAssumption {
  return isSoftwareAdapter
    ? { trainingFlopsPerSec: 0.15e9, source: 'assumed 0.15 GFLOP/s (software adapter) until a run measures it' }
    : { trainingFlopsPerSec: 5e9, source: 'assumed 5 GFLOP/s (GPU) until a run measures it' };
}

/** Worker start, data load and shader compilation per run, before the first step. */
export const RUN_OVERHEAD_MS = 6000;

/**
 * Rough duration of one candidate: training FLOPs (3 × forward, per example, per epoch) plus one validation pass per
 * epoch, at the assumed throughput, plus the per-run overhead. Early stopping can only make it shorter.
 */
export function estimateCandidateMs(
  config: RunConfig, dataset: { count: number }, forwardFlopsPerExample: number, throughput: ThroughputAssumption,
): number {
  const trainExamples = Math.floor(dataset.count * SPLIT_FRACTIONS.train * config.subsetFraction);
  const usedPerEpoch = Math.floor(trainExamples / config.batchSize) * config.batchSize;
  const validationExamples = Math.round(dataset.count * SPLIT_FRACTIONS.validation * config.subsetFraction);
  const flops = config.epochs * (3 * usedPerEpoch + validationExamples) * forwardFlopsPerExample;
  return RUN_OVERHEAD_MS + (flops / throughput.trainingFlopsPerSec) * 1000;
}

/**
 * How much a finished run's throughput says about a candidate: the fields that change FLOP/s the most, weighted so that
 * a match on an earlier field outweighs matches on all later ones. On tfjs's CPU backend cnn-small trains at about a tenth
 * of the mlp's FLOP/s (calibrating one on the other was off ×11–×14 in wall time), and the mlp at batch 64 at about
 * twice its FLOP/s at batch 16 (tests/unit/sweep-estimate.test.ts).
 */
const SIMILARITY: readonly [keyof RunConfig, number][] = [['model', 8], ['backend', 4], ['batchSize', 2], ['precision', 1]];

/**
 * The throughput this machine really reached: training FLOPs per second (3 × forward FLOPs per example × its steady
 * samples/s) of a finished run, or null when no finished run has a steady throughput. With `like`, the run most like
 * that configuration (same model, then backend, then batch size, then precision); the latest one among equals.
 */
export function measuredThroughput(
  results: readonly { status: string; config: RunConfig; environment?: { backend: string }; timing: { samplesPerSec: number | null } }[],
  forwardFlops: (config: RunConfig) => number | null,
  like?: RunConfig,
): ThroughputAssumption | null {
  let best: ThroughputAssumption | null = null;
  let bestScore = -1;
  for (let i = results.length - 1; i >= 0; i--) {
    const result = results[i]!;
    const flops = forwardFlops(result.config);
    const samplesPerSec = result.timing.samplesPerSec;
    if (result.status !== 'done' || flops === null || samplesPerSec === null || !(samplesPerSec > 0)) continue;
    const score = like ? SIMILARITY.reduce((sum, [field, weight]) => sum + (result.config[field] === like[field] ? weight : 0), 0) : 0;
    if (score <= bestScore) continue;
    const trainingFlopsPerSec = 3 * flops * samplesPerSec;
    best = {
      trainingFlopsPerSec,
      source: `${(trainingFlopsPerSec / 1e9).toFixed(2)} GFLOP/s, measured by the ${result.config.model} run on ${result.environment?.backend ?? result.config.backend}`,
    };
    bestScore = score;
  }
  return best;
}

function parseShape(shape: string): InputShape {
  const [height, width, channels] = shape.split('x').map(Number) as [number, number, number];
  return { height, width, channels };
}

/**
 * Forward FLOPs per example of a model on inputs of `shape` (10 classes): the catalog's figure when its table has the
 * shape; otherwise a · pixels + b · input values, with a and b fitted to the table's two shapes (convolutions after
 * the first layer cost per pixel whatever the input's channels; a dense layer on the flattened input costs per input
 * value). Exact at both table shapes; within 15 % of analyzeModel for the shapes an import makes (32 or 64 px, grey or
 * RGB: at most 14 %, grey images on the depthwise models), and the class count moves it by under 1 %
 * (tests/unit/sweep.test.ts).
 */
export function modelForwardFlops(model: ModelName, shape: InputShape): number {
  const table = MODEL_CATALOG[model].forwardFlops;
  const exact = table[`${shape.height}x${shape.width}x${shape.channels}` as CatalogInputShape];
  if (exact !== undefined) return exact;
  const [s1, s2] = (Object.keys(table) as CatalogInputShape[]).map((key) => {
    const { height, width, channels } = parseShape(key);
    return { pixels: height * width, values: height * width * channels, flops: table[key] };
  }) as [{ pixels: number; values: number; flops: number }, { pixels: number; values: number; flops: number }];
  // Cramer's rule for a · pixels + b · values = flops at both table shapes.
  const det = s1.pixels * s2.values - s2.pixels * s1.values;
  const a = (s1.flops * s2.values - s2.flops * s1.values) / det;
  const b = (s1.pixels * s2.flops - s2.pixels * s1.flops) / det;
  const pixels = shape.height * shape.width;
  return a * pixels + b * pixels * shape.channels;
}

/** Image count and shape of a built-in or imported dataset (null for an imported one this browser does not have). */
export function datasetInput(id: DatasetId, userDatasets: readonly UserDatasetSummary[] = []): (InputShape & { count: number }) | null {
  const card = datasetCard(id, userDatasets);
  return card ? { count: card.count, ...parseShape(card.actualShape ?? card.shape) } : null;
}

/** Forward FLOPs per example of a configuration (null for an imported dataset this browser does not have). */
export function catalogForwardFlops(config: RunConfig, userDatasets: readonly UserDatasetSummary[] = []): number | null {
  const input = datasetInput(config.dataset, userDatasets);
  return input ? modelForwardFlops(config.model, input) : null;
}

/**
 * The whole sweep's estimated duration: each candidate at the throughput measured by the finished run most like it
 * (measuredThroughput) when there is one, else at the assumption for this kind of adapter. Imported datasets are found
 * in `userDatasets`; null when a candidate's dataset is not there.
 */
export function estimateSweepMs(
  candidates: readonly SweepCandidate[], finished: Parameters<typeof measuredThroughput>[0], isSoftwareAdapter: boolean,
  userDatasets: readonly UserDatasetSummary[] = [],
): { totalMs: number; source: string } | null {
  // Every candidate looks through every finished run: each run's FLOPs are worked out once, not once per candidate.
  const flopsByConfig = new Map<RunConfig, number | null>();
  const forwardFlops = (config: RunConfig): number | null => {
    let flops = flopsByConfig.get(config);
    if (flops === undefined) {
      flops = catalogForwardFlops(config, userDatasets);
      flopsByConfig.set(config, flops);
    }
    return flops;
  };
  const sources = new Set<string>();
  let totalMs = 0;
  for (const { config } of candidates) {
    const input = datasetInput(config.dataset, userDatasets);
    if (!input) return null;
    const throughput = measuredThroughput(finished, forwardFlops, config) ?? assumedThroughput(isSoftwareAdapter);
    sources.add(throughput.source);
    totalMs += estimateCandidateMs(config, input, modelForwardFlops(config.model, input), throughput);
  }
  const source = sources.size === 1 ? [...sources][0]!
    : sources.size === 0 ? (measuredThroughput(finished, forwardFlops) ?? assumedThroughput(isSoftwareAdapter)).source
      : `throughput measured by ${sources.size} earlier runs, each candidate at the one most like it`;
  return { totalMs, source };
}
