/**
 * Types of the benchmark harness (bench.html, scripts/bench.mjs): the jobs of a grid, what each job reports, and the
 * report the page hands to the Node script. Everything here is plain JSON.
 */
import type { BackendName, DatasetId, ModelName, RunConfig } from '../core/config';
import type { Environment } from '../core/environment';
import type { RunResult } from '../core/result';
import type { StartupMark } from '../lib/startup-marks';

/**
 * One measurement of a grid:
 * - trainer: the app's own training worker (src/worker/train.worker.ts) runs `config`, exactly as the UI would;
 * - plain: a textbook tfjs loop (optimizer.minimize) on the same model, batches, initial weights and backend;
 * - matmul: the backend's tf.matMul throughput, the yardstick for achieved training GFLOP/s.
 */
export type BenchJob =
  | { id: string; kind: 'trainer'; config: RunConfig }
  | { id: string; kind: 'plain'; config: RunConfig }
  | { id: string; kind: 'matmul'; backend: BackendName; sizes: number[]; minMs: number }
  | StartupJob;

/**
 * startup: scripts/bench.mjs opens the app's page (index.html) `loads` times, each in a fresh browser context, presses
 * Run as soon as it is enabled and reads the start-up marks (src/lib/startup-marks.ts); the page is not bench.html.
 */
export interface StartupJob {
  id: string;
  kind: 'startup';
  loads: number;
}

/** One page load of the startup job: each mark's time in ms since the page's navigation start, or why it failed. */
export interface StartupLoad {
  /** Worker marks moved onto the page's clock (their timeOrigin difference added). */
  marks: Partial<Record<StartupMark, number>>;
  error: string | null;
}

export interface StartupSummary {
  loads: number;
  /** Page open → first trained step of every load that got there, in load order. */
  firstStepMs: number[];
  medianMs: number | null;
  targetMs: number;
  verdict: 'PASS' | 'MISS' | 'n/a';
  /** Every mark seen, with its median time since navigation start, earliest first. */
  marks: { name: StartupMark; meaning: string; medianMs: number; loads: number }[];
  errors: string[];
}

export interface BenchGrid {
  name: string;
  description: string;
  jobs: BenchJob[];
}

/** What the plain tfjs loop measured. */
export interface PlainLoopResult {
  config: RunConfig;
  environment: Environment;
  stepsCompleted: number;
  /** Step 1, shader compilation included (the plain loop does not pre-compile). */
  firstStepMs: number | null;
  medianStepMs: number | null;
  p10StepMs: number | null;
  p90StepMs: number | null;
  samplesPerSec: number | null;
  /** Loss of the last step: with the same batches and initial weights it should match the trainer's. */
  lastLoss: number | null;
  /** Every step's wall time, step 1 included. */
  stepMs: number[];
}

export interface MatmulSizeResult {
  size: number;
  /** Multiplications timed back to back, read back once at the end. */
  reps: number;
  ms: number;
  gflops: number;
}

export interface MatmulResult {
  backend: BackendName;
  environment: Environment;
  /** The best of `bySize`. */
  peakGflops: number;
  bestSize: number;
  bySize: MatmulSizeResult[];
}

export interface ModelFlops {
  model: ModelName;
  dataset: DatasetId;
  forwardFlopsPerExample: number;
  /** 3 × forward (analyzeModel's convention). */
  trainingFlopsPerExample: number;
  params: number;
}

/** Requests to the baseline worker (src/bench/baseline.worker.ts); one worker per request. */
export type BaselineRequest =
  | { type: 'plain'; config: RunConfig; dataBaseUrl: string }
  | { type: 'matmul'; backend: BackendName; sizes: number[]; minMs: number }
  | { type: 'analyze'; model: ModelName; dataset: DatasetId; dataBaseUrl: string };

export type BaselineEvent =
  | { type: 'progress'; message: string }
  | { type: 'step'; step: number; totalSteps: number; stepMs: number; loss: number }
  | { type: 'plain-done'; result: PlainLoopResult }
  | { type: 'matmul-done'; result: MatmulResult }
  | { type: 'analysis'; result: ModelFlops }
  | { type: 'error'; message: string };

/** What one job produced: a result, or why there is none. */
export type JobOutcome =
  | {
    id: string; kind: 'trainer'; ok: boolean; error: string | null; result: RunResult | null; lastLoss: number | null;
    /** Every step's wall time as the worker reported it (RunResult keeps only the summary). */
    stepMs: number[];
    wallMs: number;
  }
  | { id: string; kind: 'plain'; ok: boolean; error: string | null; result: PlainLoopResult | null; wallMs: number }
  | { id: string; kind: 'matmul'; ok: boolean; error: string | null; result: MatmulResult | null; wallMs: number };

/**
 * One line of the printed table: a trainer or plain-loop configuration. A job repeated in the grid (ids ending in
 * #1, #2 …) gives one row: step times pooled over its runs, everything else from its first run.
 */
export interface BenchRow {
  /** The job id without its repeat suffix. */
  id: string;
  /** How many runs the row pools (1 unless the grid repeats the job). */
  runs: number;
  kind: 'trainer' | 'plain';
  /** e.g. "cnn-small b32 K1 fp32 cpu-upload". */
  label: string;
  model: ModelName;
  backend: BackendName | 'auto';
  batchSize: number;
  accumulationSteps: number;
  precision: RunConfig['precision'];
  dataPipeline: RunConfig['dataPipeline'];
  /** The engine that trained (the plain loop: tfjs), and the fused engine's dispatches per optimizer step (else null). */
  engine: RunConfig['engine'];
  dispatchesPerStep: number | null;
  /** Why a run that asked for the fused engine trained on tfjs's kernels (null otherwise). */
  engineReason: string | null;
  /** 'done', or why the figures are missing (failed, oom, timeout …). */
  status: string;
  reason: string | null;
  /** Key into BenchReport.adapters. */
  adapter: string | null;
  compileMs: number | null;
  firstStepMs: number | null;
  medianStepMs: number | null;
  p10StepMs: number | null;
  p90StepMs: number | null;
  steadySteps: number;
  /** Each run's own median step (one entry per run). */
  runMedianStepMs: (number | null)[];
  /** Optimizer steps the (first) run completed. */
  stepsCompleted: number;
  samplesPerSec: number | null;
  truePeakBytes: number | null;
  /**
   * The most bytes in use during the optimizer steps alone (the largest per-step peak of the run's memory timeline),
   * without the validation passes, which run the fp32 inference model at batch 256 whatever the precision.
   */
  stepPeakBytes: number | null;
  truePeakSource: string | null;
  truePeakNote: string | null;
  logicalPeakBytes: number | null;
  estimatedBytes: number | null;
  /**
   * Most bytes the backend held from the GPU, free pooled buffers/textures included (WebGPU: BufferManager
   * numBytesAllocated; WebGL: numBytesInGPUAllocated, the only WebGL figure that counts half-float textures as 2 bytes).
   */
  allocatedBytes: number | null;
  valAccuracy: number | null;
  lastLoss: number | null;
  /** WebGL stored tensors as half floats in this run. */
  float16Textures: boolean;
  trainingFlopsPerExample: number | null;
  /** trainingFlopsPerExample × samples/s ÷ 1e9. */
  achievedGflops: number | null;
  wallMs: number;
}

/** One configuration's median step on the fused engine, on tfjs's WebGPU kernels and on tfjs's WebGL backend. */
export interface EngineComparison {
  /** e.g. "cnn-small b32 K1 fp32 gpu-resident". */
  config: string;
  model: ModelName;
  fused: EngineCell | null;
  tfjsWebgpu: EngineCell | null;
  webgl: EngineCell | null;
  /** Why the fused job trained on tfjs's kernels (its figures are then the tfjs WebGPU cell's, if none was run apart). */
  fusedFellBack: string | null;
  /** Median step ÷ median step; null where a side has no median. */
  fusedOverTfjs: number | null;
  fusedOverWebgl: number | null;
  tfjsOverWebgl: number | null;
}

export interface EngineCell {
  medianStepMs: number | null;
  achievedGflops: number | null;
  /** achievedGflops ÷ the best matmul throughput measured on the same backend in this run. */
  peakFraction: number | null;
  status: string;
}

export type RatioSection = 'trainer-vs-plain' | 'backends' | 'fused' | 'accumulation' | 'fp16' | 'fp16-activations' | 'flops';

export interface BenchRatio {
  section: RatioSection;
  /** Which question it answers, e.g. "trainer ÷ plain tfjs loop". */
  name: string;
  /** What was divided by what, in words, with both figures. */
  formula: string;
  numerator: number | null;
  denominator: number | null;
  value: number | null;
  /** e.g. "≤ 1.05" (or "≤ 1 pp" for a difference); null where the issue sets none. */
  target: string | null;
  verdict: 'PASS' | 'MISS' | 'info' | 'n/a';
  /** Why a figure is n/a, or what to keep in mind reading it. */
  note: string | null;
}

export interface AdapterEntry {
  key: string;
  backend: BackendName;
  description: string;
  webgpu: { vendor: string; architecture: string; isFallbackAdapter: boolean; shaderF16: boolean } | null;
}

export interface BenchReport {
  schemaVersion: 1;
  grid: string;
  gridDescription: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  userAgent: string;
  /** WEBGL_debug_renderer_info's renderer of a WebGL2 context on the page (null where the browser hides it). */
  webglUnmaskedRenderer: string | null;
  /** What each backend gave when probed before the jobs ran (null: unavailable, see probeErrors). */
  probes: { backend: BackendName; environment: Environment | null; error: string | null }[];
  adapters: AdapterEntry[];
  rows: BenchRow[];
  /** Fused engine, tfjs WebGPU and tfjs WebGL side by side, one entry per fp32 trainer configuration. */
  engines: EngineComparison[];
  /** The startup job's page loads, summarised (null when the grid or --only left it out). */
  startup: StartupSummary | null;
  matmul: (MatmulResult & { adapter: string | null })[];
  ratios: BenchRatio[];
  /** Title and explanation of each ratio section, in printing order. */
  ratioSections: { id: RatioSection; title: string; intro: string }[];
  flops: ModelFlops[];
  /** Every job's raw outcome (full RunResult objects included). */
  outcomes: JobOutcome[];
}

export interface RunBenchOptions {
  /** The grid to run; with `jobs`, only the report's name for them. */
  grid: string;
  /** Jobs to run instead of the grid's (npm run race passes the configurations it races). */
  jobs?: BenchJob[];
  /** Stop each trainer job at its first validation at or above its target (its result then says cancelled). */
  stopAtTarget?: boolean;
  /** Only jobs whose id matches this regular expression. */
  only?: string | null;
  /** A job that takes longer is ended (its worker terminated) and reported as timed out. */
  jobTimeoutMs?: number;
  /** The startup job's page loads, measured by scripts/bench.mjs before the page's own jobs. */
  startup?: StartupLoad[] | null;
}
