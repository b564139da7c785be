/**
 * Turns the outcomes of a grid's jobs into the table rows and the ratios the issue asks for. Pure: no tfjs, no DOM.
 * Every ratio says what was divided by what, carries its target where the issue sets one, and is n/a with a reason
 * when a figure does not exist.
 */
import type { BackendName, ModelName } from '../core/config';
import { formatBytes, formatMs } from '../core/format';
import type { Environment } from '../core/environment';
import { quantile } from '../core/measure/stats';
import type { RunResult } from '../core/result';
import { summariseStartup } from './startup';
import type {
  AdapterEntry, BenchRatio, BenchReport, BenchRow, EngineCell, EngineComparison, JobOutcome, MatmulResult, ModelFlops, PlainLoopResult,
  RatioSection, StartupLoad,
} from './types';

export function configLabel(c: { model: string; batchSize: number; accumulationSteps: number; precision: string; dataPipeline: string }): string {
  return `${c.model} b${c.batchSize} K${c.accumulationSteps} ${c.precision} ${c.dataPipeline}`;
}

function describeEnvironment(env: Environment, webglUnmaskedRenderer: string | null): AdapterEntry['description'] {
  if (env.backend === 'webgpu' && env.adapter) {
    const a = env.adapter;
    const kind = a.isFallbackAdapter ? 'fallback (software) adapter' : 'hardware adapter';
    return `WebGPU ${a.vendor}/${a.architecture}${a.description ? ` "${a.description}"` : ''}, ${kind}, `
      + `shader-f16 ${a.shaderF16 ? 'yes' : 'no'}, maxBufferSize ${(a.maxBufferSize / 2 ** 20).toFixed(0)} MiB`;
  }
  if (env.backend === 'webgl') {
    const unmasked = webglUnmaskedRenderer ? ` (the page's WebGL2 context, unmasked: ${webglUnmaskedRenderer})` : '';
    return `WebGL "${env.webglRenderer ?? 'renderer unknown'}"${unmasked}`;
  }
  return `tfjs ${env.backend} backend (JavaScript on the CPU, no GPU)`;
}

/** Assigns short keys (A, B, …) to the distinct compute paths seen, in order of appearance. */
export class AdapterTable {
  readonly entries: AdapterEntry[] = [];

  constructor(private readonly webglUnmaskedRenderer: string | null = null) {}

  keyFor(env: Environment | null | undefined): string | null {
    if (!env) return null;
    const description = describeEnvironment(env, this.webglUnmaskedRenderer);
    let entry = this.entries.find((e) => e.description === description);
    if (!entry) {
      const a = env.backend === 'webgpu' ? env.adapter : null;
      entry = {
        key: String.fromCharCode(65 + this.entries.length),
        backend: env.backend,
        description,
        webgpu: a ? { vendor: a.vendor, architecture: a.architecture, isFallbackAdapter: a.isFallbackAdapter, shaderF16: a.shaderF16 } : null,
      };
      this.entries.push(entry);
    }
    return entry.key;
  }
}

function achieved(flops: ModelFlops | undefined, samplesPerSec: number | null): number | null {
  return flops && samplesPerSec ? (flops.trainingFlopsPerExample * samplesPerSec) / 1e9 : null;
}

export const TIMEOUT_PREFIX = 'Timed out';

function rowStatus(ok: boolean, status: string | null, error: string | null): string {
  if (ok && status) return status;
  if (error?.startsWith(TIMEOUT_PREFIX)) return 'timeout';
  return status && status !== 'done' ? status : 'failed';
}

function trainerRow(outcome: Extract<JobOutcome, { kind: 'trainer' }>, config: RunResult['config'], adapters: AdapterTable,
  flops: Map<ModelName, ModelFlops>): BenchRow {
  const r = outcome.result;
  const f = flops.get(config.model);
  return {
    id: baseId(outcome.id), runs: 1, kind: 'trainer', model: config.model,
    label: `${configLabel(config)}${config.engine === 'fused' ? ` fused${r?.engine?.ran === 'tfjs' ? ' (fell back to tfjs)' : ''}` : ''}`,
    backend: r?.environment.backend ?? config.backend,
    batchSize: config.batchSize, accumulationSteps: config.accumulationSteps, precision: config.precision, dataPipeline: config.dataPipeline,
    engine: r?.engine?.ran ?? config.engine, dispatchesPerStep: r?.engine?.dispatchesPerStep ?? null,
    engineReason: r?.engine?.reason ?? null,
    status: rowStatus(outcome.ok, r?.status ?? null, outcome.error),
    reason: outcome.error ?? r?.reason ?? null,
    adapter: adapters.keyFor(r?.environment),
    compileMs: r?.timing.compileMs ?? null,
    firstStepMs: r?.timing.firstStepMs ?? null,
    medianStepMs: r?.timing.medianStepMs ?? null,
    p10StepMs: r?.timing.p10StepMs ?? null,
    p90StepMs: r?.timing.p90StepMs ?? null,
    steadySteps: r?.timing.steadySteps ?? 0,
    runMedianStepMs: [r?.timing.medianStepMs ?? null],
    stepsCompleted: r?.timing.stepsCompleted ?? 0,
    samplesPerSec: r?.timing.samplesPerSec ?? null,
    truePeakBytes: r?.memory.truePeakBytes ?? null,
    stepPeakBytes: r?.memory.timeline.length ? Math.max(...r.memory.timeline.map((sample) => sample.peakBytes)) : null,
    truePeakSource: r?.memory.truePeakSource ?? null,
    truePeakNote: r?.memory.truePeakNote ?? null,
    logicalPeakBytes: r?.memory.logicalPeakBytes ?? null,
    estimatedBytes: r?.memory.estimatedBytes ?? null,
    allocatedBytes: r?.memory.allocatedBytes ?? null,
    valAccuracy: r?.accuracy.finalValAccuracy ?? null,
    lastLoss: outcome.lastLoss,
    float16Textures: r?.environment.webglFloat16Textures ?? false,
    trainingFlopsPerExample: f?.trainingFlopsPerExample ?? null,
    achievedGflops: achieved(f, r?.timing.samplesPerSec ?? null),
    wallMs: outcome.wallMs,
  };
}

function plainRow(outcome: Extract<JobOutcome, { kind: 'plain' }>, config: PlainLoopResult['config'], adapters: AdapterTable,
  flops: Map<ModelName, ModelFlops>): BenchRow {
  const r = outcome.result;
  const f = flops.get(config.model);
  return {
    id: baseId(outcome.id), runs: 1, kind: 'plain', label: `${config.model} b${config.batchSize} plain tfjs loop`, model: config.model,
    backend: r?.environment.backend ?? config.backend, batchSize: config.batchSize, accumulationSteps: 1, precision: 'fp32',
    dataPipeline: 'cpu-upload', engine: 'tfjs', dispatchesPerStep: null, engineReason: null,
    status: rowStatus(outcome.ok, outcome.ok ? 'done' : null, outcome.error), reason: outcome.error,
    adapter: adapters.keyFor(r?.environment),
    compileMs: null,
    firstStepMs: r?.firstStepMs ?? null,
    medianStepMs: r?.medianStepMs ?? null,
    p10StepMs: r?.p10StepMs ?? null,
    p90StepMs: r?.p90StepMs ?? null,
    steadySteps: r ? Math.max(0, r.stepsCompleted - 1) : 0,
    runMedianStepMs: [r?.medianStepMs ?? null],
    stepsCompleted: r?.stepsCompleted ?? 0,
    samplesPerSec: r?.samplesPerSec ?? null,
    truePeakBytes: null,
    stepPeakBytes: null,
    truePeakSource: null,
    truePeakNote: 'not measured for the plain loop',
    logicalPeakBytes: null,
    estimatedBytes: null,
    allocatedBytes: null,
    valAccuracy: null,
    lastLoss: r?.lastLoss ?? null,
    float16Textures: r?.environment.webglFloat16Textures ?? false,
    trainingFlopsPerExample: f?.trainingFlopsPerExample ?? null,
    achievedGflops: achieved(f, r?.samplesPerSec ?? null),
    wallMs: outcome.wallMs,
  };
}

/** A job repeated in a grid has ids "…#1", "…#2": they share one row. */
export function baseId(id: string): string {
  return id.replace(/#\d+$/, '');
}

/**
 * One row for the runs of a repeated job: steady step times pooled over the runs that finished (step 1 of each run
 * left out), first step, compile time, memory and accuracy from the first run; the status is the first non-done one.
 */
function mergeRuns(rows: BenchRow[], stepLists: number[][]): BenchRow {
  const first = rows[0]!;
  if (rows.length === 1) return first;
  const steady = rows.flatMap((row, i) => (row.status === 'done' ? stepLists[i]!.slice(1) : []));
  const pick = (q: number) => (steady.length ? quantile(steady, q) : null);
  const median = pick(0.5);
  const samplesPerSec = median ? first.batchSize / (median / 1000) : null;
  const bad = rows.find((row) => row.status !== 'done');
  return {
    ...first,
    runs: rows.length,
    status: bad?.status ?? 'done',
    reason: bad ? `run ${rows.indexOf(bad) + 1} of ${rows.length}: ${bad.reason ?? 'no reason given'}` : null,
    medianStepMs: median,
    p10StepMs: pick(0.1),
    p90StepMs: pick(0.9),
    steadySteps: steady.length,
    runMedianStepMs: rows.flatMap((row) => row.runMedianStepMs),
    samplesPerSec,
    achievedGflops: first.trainingFlopsPerExample !== null && samplesPerSec ? (first.trainingFlopsPerExample * samplesPerSec) / 1e9 : null,
    wallMs: rows.reduce((sum, row) => sum + row.wallMs, 0),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Ratios

/** The ratio sections in printing order, each with what its ratios divide and the target the issue sets. */
export const RATIO_SECTIONS: { id: RatioSection; title: string; intro: string }[] = [
  {
    id: 'trainer-vs-plain',
    title: 'Trainer ÷ plain tfjs loop (target ≤ 1.05, like for like)',
    intro: 'Median step of the app\'s trainer ÷ median step of a textbook optimizer.minimize loop: same model, batch, backend, '
      + 'batches and initial weights, so the last losses should match. Like for like = the trainer with cpu-upload (both '
      + 'upload every batch from the CPU, fp32, K=1): that one has the target. gpu-resident (the app\'s default) is shown '
      + 'beside it without a target. Repeated runs ran A B B A; their steady steps are pooled.',
  },
  {
    id: 'backends',
    title: 'Backends: WebGPU ÷ WebGL ÷ CPU step time',
    intro: 'Median step of one config on one backend ÷ the same config on another (< 1: the first is faster). No target.',
  },
  {
    id: 'fused',
    title: 'Fused engine ÷ tfjs: step time on WebGPU (target ≤ 0.2) and against WebGL (target ≤ 1.0); dispatches per step (target ≤ 40)',
    intro: 'Median step of the fused WebGPU engine ÷ the tfjs trainer (gpu-resident, same config and seed) on WebGPU and on '
      + 'WebGL. A fused step time is the wall time between two metric read-backs (every 8 steps) over their steps; a tfjs '
      + 'step ends when its loss is read back. Dispatches are the compute passes the engine encodes per optimizer step.',
  },
  {
    id: 'accumulation',
    title: 'Gradient accumulation: true peak K ÷ K=1 at equal effective batch (target ≤ 0.6 for cnn-small at batch 256, K=4)',
    intro: 'K micro-batches of batch/K examples hold one micro-batch of activations at a time plus one gradient-sized '
      + 'accumulator. The logical peak (tf.profile) is shown as a cross-check.',
  },
  {
    id: 'fp16',
    title: 'fp16 storage ÷ fp32 true peak (target ≤ 0.6 where real fp16 storage exists)',
    intro: 'Real fp16 storage exists only on WebGL (half-float textures; arithmetic stays fp32). The verdict uses the bytes of '
      + 'textures the backend held, the one WebGL figure computed from each texture\'s format.',
  },
  {
    id: 'fp16-activations',
    title: 'fp16-activations ÷ fp32 on WebGPU: true peak (target ≤ 0.65 at batch 256 for cnn-small or mobilenet-v2-tiny), '
      + 'step time (target ≤ 1.3), validation accuracy (target within 1 pp after ≥ 20 steps)',
    intro: 'fp16-activations keeps the activations the backward pass reads as packed halves (two binary16 per 32-bit word) and '
      + 'computes in fp32; it runs the same model (same seeded weights, same batches) through its own backward pass, which also '
      + 'frees each tensor after its last use and recomputes BatchNorm/ReLU outputs instead of keeping them, so not all of the '
      + 'saving is the halves: the estimate columns say how much the kept activations themselves weigh. Each pair differs only '
      + 'in the precision.',
  },
  {
    id: 'flops',
    title: 'Achieved training GFLOP/s ÷ matmul peak on the same adapter',
    intro: 'Achieved = analyzeModel\'s training FLOPs per example (3 × forward) × samples/s at the median step. '
      + 'Peak = the best tf.matMul throughput measured on the same backend in this run. No target.',
  },
];

function ratio(
  section: RatioSection, name: string, numeratorText: string, denominatorText: string, numerator: number | null, denominator: number | null,
  format: (v: number) => string, target: { max: number } | null, note: string | null, naReason: string,
): BenchRatio {
  const targetText = target ? `≤ ${target.max}` : null;
  if (numerator === null || denominator === null || !(denominator > 0)) {
    return {
      section, name, formula: `${numeratorText} ÷ ${denominatorText}`, numerator, denominator, value: null, target: targetText,
      verdict: 'n/a',
      note: [naReason || 'a figure is missing from a finished run (e.g. fewer than two steps, so no steady median).', note]
        .filter(Boolean).join(' '),
    };
  }
  const value = numerator / denominator;
  return {
    section,
    name,
    formula: `${numeratorText} ${format(numerator)} ÷ ${denominatorText} ${format(denominator)}`,
    numerator, denominator, value, target: targetText,
    verdict: target ? (value <= target.max ? 'PASS' : 'MISS') : 'info',
    note,
  };
}

const done = (row: BenchRow | undefined): row is BenchRow => row !== undefined && row.status === 'done';
const whyMissing = (row: BenchRow | undefined, what: string): string =>
  row === undefined ? `no ${what} run in this grid.` : row.status !== 'done' ? `the ${what} run ${row.status}: ${row.reason ?? 'no reason given'}.` : '';

/** The ranges of two rows' per-run medians overlap. */
function overlapping(a: BenchRow, b: BenchRow): boolean {
  const values = (row: BenchRow) => row.runMedianStepMs.filter((v): v is number => v !== null);
  const [av, bv] = [values(a), values(b)];
  return av.length > 0 && bv.length > 0 && Math.min(...av) <= Math.max(...bv) && Math.min(...bv) <= Math.max(...av);
}

function trainerVsPlain(rows: BenchRow[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  for (const plain of rows.filter((r) => r.kind === 'plain')) {
    const twin = (pipeline: BenchRow['dataPipeline']) => rows.find((r) => r.kind === 'trainer' && r.engine === 'tfjs' && r.model === plain.model
      && r.backend === plain.backend && r.batchSize === plain.batchSize && r.accumulationSteps === 1 && r.precision === 'fp32'
      && r.dataPipeline === pipeline);
    const where = `${plain.model} b${plain.batchSize} on ${plain.backend}`;
    for (const pipeline of ['cpu-upload', 'gpu-resident'] as const) {
      const trainer = twin(pipeline);
      const likeForLike = pipeline === 'cpu-upload';
      const numeratorValue = done(trainer) ? trainer.medianStepMs : null;
      const denominatorValue = done(plain) ? plain.medianStepMs : null;
      const missing = [whyMissing(trainer, `trainer ${pipeline}`), whyMissing(plain, 'plain-loop')].filter(Boolean).join(' ');
      const lossNote = done(trainer) && done(plain) && trainer.lastLoss !== null && plain.lastLoss !== null
        ? `Last loss trainer ${trainer.lastLoss.toFixed(4)} vs plain ${plain.lastLoss.toFixed(4)} (same batches, same initial weights).`
        : null;
      const both = done(trainer) && done(plain);
      const spread = both && trainer.p10StepMs !== null && plain.p10StepMs !== null
        ? `p10–p90: trainer ${trainer.p10StepMs.toFixed(0)}–${trainer.p90StepMs!.toFixed(0)} ms, plain ${plain.p10StepMs.toFixed(0)}–${plain.p90StepMs!.toFixed(0)} ms.`
        : null;
      const perRun = (row: BenchRow) => row.runMedianStepMs.map((v) => (v === null ? 'n/a' : v.toFixed(0))).join(', ');
      const runs = both && (trainer.runs > 1 || plain.runs > 1)
        ? `Per-run medians: trainer ${perRun(trainer)} ms; plain ${perRun(plain)} ms${overlapping(trainer, plain)
          ? ' (the two sides\' run medians overlap: the difference is within run-to-run noise)' : ''}.`
        : null;
      ratios.push(ratio(
        'trainer-vs-plain', `trainer (${pipeline}) ÷ plain tfjs loop, ${where}`,
        `trainer ${pipeline} median step`, 'plain loop median step', numeratorValue, denominatorValue, formatMs,
        likeForLike ? { max: 1.05 } : null,
        [spread, runs, lossNote].filter(Boolean).join(' ') || null,
        missing,
      ));
    }
  }
  return ratios;
}

/** A job that asked for the fused engine (its row may still have trained on tfjs's kernels: see engine). */
const isFusedJob = (row: BenchRow) => row.id.endsWith(':fused');

function backendRatios(rows: BenchRow[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  const trainers = rows.filter((r) => r.kind === 'trainer' && !isFusedJob(r) && r.accumulationSteps === 1 && r.precision === 'fp32');
  const groups = new Map<string, BenchRow[]>();
  for (const row of trainers) {
    const key = `${row.model} b${row.batchSize} K1 fp32 ${row.dataPipeline}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const order: BackendName[] = ['webgpu', 'webgl', 'cpu'];
  for (const [key, group] of groups) {
    const byBackend = (b: BackendName) => group.find((r) => r.backend === b);
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++) {
        const [a, b] = [byBackend(order[i]!), byBackend(order[j]!)];
        if (!a || !b) continue;
        ratios.push(ratio(
          'backends', `${order[i]} ÷ ${order[j]} step time, ${key}`,
          `${order[i]} median step`, `${order[j]} median step`,
          done(a) ? a.medianStepMs : null, done(b) ? b.medianStepMs : null, formatMs, null,
          null,
          [whyMissing(a, order[i]!), whyMissing(b, order[j]!)].filter(Boolean).join(' '),
        ));
      }
    }
  }
  return ratios;
}

function fusedRatios(rows: BenchRow[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  for (const fused of rows.filter((r) => r.kind === 'trainer' && isFusedJob(r))) {
    const where = `${fused.model} b${fused.batchSize}`;
    const partner = (backend: BackendName) => rows.find((r) => r.kind === 'trainer' && !isFusedJob(r)
      && r.backend === backend && r.model === fused.model && r.batchSize === fused.batchSize
      && r.accumulationSteps === fused.accumulationSteps && r.precision === fused.precision && r.dataPipeline === fused.dataPipeline);
    const ran = done(fused) && fused.engine !== 'fused' ? `the fused run fell back to tfjs kernels: ${fused.engineReason ?? 'no reason given'}.` : '';
    for (const [backend, max] of [['webgpu', 0.2], ['webgl', 1.0]] as const) {
      const tfjs = partner(backend);
      ratios.push(ratio(
        'fused', `fused ÷ tfjs-${backend} step time, ${where}`, 'fused median step', `tfjs ${backend} median step`,
        done(fused) && fused.engine === 'fused' ? fused.medianStepMs : null, done(tfjs) ? tfjs.medianStepMs : null, formatMs,
        { max }, null, [ran, whyMissing(fused, 'fused'), whyMissing(tfjs, `tfjs ${backend}`)].filter(Boolean).join(' '),
      ));
    }
    ratios.push(ratio(
      'fused', `dispatches per optimizer step, ${where}`, 'dispatches', 'one step', fused.dispatchesPerStep, 1, String, { max: 40 },
      null, ran || whyMissing(fused, 'fused'),
    ));
  }
  return ratios;
}

function webglPeakNote(row: BenchRow): string | null {
  return row.backend === 'webgl'
    ? 'WebGL\'s true peak is tf.memory().numBytesInGPU sampled after each step, when the step\'s activations are already '
      + 'freed: mostly weights, optimizer state and resident data (a lower bound).'
    : null;
}

/**
 * Memory figures exist once a run has completed a step, even if it stopped later (diverged, over budget, OOM):
 * the peak then covers the steps it completed, and the note says so.
 */
function memoryOf(row: BenchRow | undefined, pick: (row: BenchRow) => number | null): number | null {
  return row && row.stepsCompleted > 0 ? pick(row) : null;
}

function memoryCaveat(row: BenchRow | undefined, what: string): string | null {
  return row && row.status !== 'done' && row.stepsCompleted > 0
    ? `The ${what} run ended "${row.status}" after ${row.stepsCompleted} step(s) (${row.reason ?? 'no reason given'}); its memory figures cover those steps.`
    : null;
}

function memoryMissing(row: BenchRow | undefined, what: string): string {
  if (row === undefined) return `no ${what} run in this grid.`;
  return row.stepsCompleted === 0 ? `the ${what} run completed no step (${row.status}: ${row.reason ?? 'no reason given'}).` : '';
}

function accumulationRatios(rows: BenchRow[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  const trainers = rows.filter((r) => r.kind === 'trainer');
  for (const base of trainers.filter((r) => r.accumulationSteps === 1)) {
    const partners = trainers.filter((r) => r.accumulationSteps > 1 && r.model === base.model && r.backend === base.backend
      && r.batchSize === base.batchSize && r.precision === base.precision && r.dataPipeline === base.dataPipeline);
    for (const k of partners) {
      const where = `${base.model} batch ${base.batchSize} ${base.precision} ${base.dataPipeline} on ${base.backend}`;
      const targeted = base.model === 'cnn-small' && base.batchSize === 256 && k.accumulationSteps === 4;
      const kName = `K=${k.accumulationSteps}`;
      const missing = base.backend === 'cpu' ? 'The CPU backend has no GPU memory to measure.'
        : [memoryMissing(k, kName), memoryMissing(base, 'K=1')].filter(Boolean).join(' ');
      const caveats = [memoryCaveat(k, kName), memoryCaveat(base, 'K=1')];
      ratios.push(ratio(
        'accumulation', `true peak ${kName} ÷ K=1 at equal effective batch, ${where}`,
        `true peak ${kName} (micro-batch ${base.batchSize / k.accumulationSteps})`, `true peak K=1 (micro-batch ${base.batchSize})`,
        memoryOf(k, (r) => r.truePeakBytes), memoryOf(base, (r) => r.truePeakBytes), formatBytes,
        targeted ? { max: 0.6 } : null,
        [targeted ? null : 'The issue\'s target (≤ 0.6) is for cnn-small at batch 256, K=4.', webglPeakNote(base), ...caveats]
          .filter(Boolean).join(' ') || null,
        missing,
      ));
      if (base.backend !== 'cpu') {
        ratios.push(ratio(
          'accumulation', `logical peak ${kName} ÷ K=1 (tf.profile of the first step), ${where}`,
          `logical peak ${kName}`, 'logical peak K=1',
          memoryOf(k, (r) => r.logicalPeakBytes), memoryOf(base, (r) => r.logicalPeakBytes), formatBytes, null,
          null,
          missing,
        ));
      }
    }
  }
  return ratios;
}

function precisionRatios(rows: BenchRow[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  const trainers = rows.filter((r) => r.kind === 'trainer');
  for (const half of trainers.filter((r) => r.precision === 'fp16-storage')) {
    const full = trainers.find((r) => r.precision === 'fp32' && r.model === half.model && r.backend === half.backend
      && r.batchSize === half.batchSize && r.accumulationSteps === half.accumulationSteps && r.dataPipeline === half.dataPipeline);
    const where = `${half.model} b${half.batchSize} K${half.accumulationSteps} ${half.dataPipeline} on ${half.backend}`;
    let naReason = [memoryMissing(half, 'fp16-storage'), memoryMissing(full, 'fp32')].filter(Boolean).join(' ');
    if (!naReason && !half.float16Textures) naReason = 'the fp16-storage run did not get half-float textures: no real fp16 storage here.';
    if (!naReason && full?.float16Textures) {
      naReason = 'the fp32 run already stored half floats (this GPU cannot render to float32 textures): nothing to compare.';
    }
    const usable = naReason === '';
    const caveats = [memoryCaveat(half, 'fp16-storage'), memoryCaveat(full, 'fp32')];
    // tfjs-webgl counts numBytesInGPU as texels × 4 bytes (the float32 dtype) whatever the texture's format, so only
    // the texture manager's figure, computed from each texture's internal format, can show half-float storage.
    ratios.push(ratio(
      'fp16', `fp16-storage ÷ fp32 true peak (texture bytes held), ${where}`,
      'bytes held fp16-storage', 'bytes held fp32',
      usable ? memoryOf(half, (r) => r.allocatedBytes) : null, usable ? memoryOf(full, (r) => r.allocatedBytes) : null, formatBytes,
      { max: 0.6 },
      ['High-water of numBytesInGPUAllocated: every texture the WebGL backend held (in use or pooled for reuse), counted '
        + 'from its format (RGBA16F: 2 bytes a channel), activations included.', ...caveats].filter(Boolean).join(' '),
      naReason || 'this tfjs does not report numBytesInGPUAllocated.',
    ));
    ratios.push(ratio(
      'fp16', `fp16-storage ÷ fp32 true peak as the app reports it (numBytesInGPU), ${where}`,
      'true peak fp16-storage', 'true peak fp32',
      usable ? memoryOf(half, (r) => r.truePeakBytes) : null, usable ? memoryOf(full, (r) => r.truePeakBytes) : null, formatBytes, null,
      'Not a test of fp16: tfjs computes numBytesInGPU as texels × 4 bytes from the tensor dtype (float32) whatever the '
        + 'texture format, so half-float storage cannot show here; it is also sampled after each step (activations freed).',
      naReason,
    ));
  }
  return ratios;
}

/** Steps after which a validation accuracy says something about the precision rather than the initial weights. */
const ACCURACY_MIN_STEPS = 20;

function packedActivationRatios(rows: BenchRow[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  const trainers = rows.filter((r) => r.kind === 'trainer');
  for (const packed of trainers.filter((r) => r.precision === 'fp16-activations')) {
    const full = trainers.find((r) => r.precision === 'fp32' && r.model === packed.model && r.backend === packed.backend
      && r.batchSize === packed.batchSize && r.accumulationSteps === packed.accumulationSteps && r.dataPipeline === packed.dataPipeline);
    const where = `${packed.model} b${packed.batchSize} K${packed.accumulationSteps} ${packed.dataPipeline} on ${packed.backend}`;
    const peakTargeted = packed.batchSize === 256 && (packed.model === 'cnn-small' || packed.model === 'mobilenet-v2-tiny');
    const estimates = packed.estimatedBytes !== null && full?.estimatedBytes != null
      ? `Analytic estimate (weights, gradients, Adam, kept activations): fp32 ${formatBytes(full.estimatedBytes)}, fp16-activations ${formatBytes(packed.estimatedBytes)}.`
      : null;
    ratios.push(ratio(
      'fp16-activations', `fp16-activations ÷ fp32 true peak, ${where}`, 'true peak fp16-activations', 'true peak fp32',
      memoryOf(packed, (r) => r.truePeakBytes), memoryOf(full, (r) => r.truePeakBytes), formatBytes,
      peakTargeted ? { max: 0.65 } : null,
      [peakTargeted ? null : 'The target (≤ 0.65) is for cnn-small or mobilenet-v2-tiny at batch 256.', estimates,
        memoryCaveat(packed, 'fp16-activations'), memoryCaveat(full, 'fp32')].filter(Boolean).join(' ') || null,
      packed.backend === 'cpu' ? 'The CPU backend has no GPU memory to measure.'
        : [memoryMissing(packed, 'fp16-activations'), memoryMissing(full, 'fp32')].filter(Boolean).join(' '),
    ));
    const packedSteps = memoryOf(packed, (r) => r.stepPeakBytes);
    const fullSteps = memoryOf(full, (r) => r.stepPeakBytes);
    if (packedSteps !== null && fullSteps !== null && (packedSteps !== packed.truePeakBytes || fullSteps !== full!.truePeakBytes)) {
      ratios.push(ratio(
        'fp16-activations', `fp16-activations ÷ fp32 true peak of the training steps alone, ${where}`,
        'step peak fp16-activations', 'step peak fp32', packedSteps, fullSteps, formatBytes, null,
        'A run\'s true peak also covers its validation passes (fp32 inference at batch 256, the same in both precisions); '
          + 'here it did not come from the training steps in at least one of the two runs. This line takes the largest '
          + 'per-step peak of each run\'s memory timeline instead.',
        '',
      ));
    }
    ratios.push(ratio(
      'fp16-activations', `fp16-activations ÷ fp32 median step, ${where}`, 'fp16-activations median step', 'fp32 median step',
      done(packed) ? packed.medianStepMs : null, done(full) ? full.medianStepMs : null, formatMs, { max: 1.3 },
      done(packed) && done(full) && packed.p10StepMs !== null && full.p10StepMs !== null
        ? `p10–p90: fp16-activations ${packed.p10StepMs.toFixed(0)}–${packed.p90StepMs!.toFixed(0)} ms (n=${packed.steadySteps}), `
          + `fp32 ${full.p10StepMs.toFixed(0)}–${full.p90StepMs!.toFixed(0)} ms (n=${full.steadySteps}). fp16-activations also checks `
          + 'the gradients for inf/NaN (loss scaling) every step.'
        : null,
      [whyMissing(packed, 'fp16-activations'), whyMissing(full, 'fp32')].filter(Boolean).join(' '),
    ));
    ratios.push(accuracyDifference(packed, full, where));
  }
  return ratios;
}

/** |fp32 − fp16-activations| final validation accuracy, in percentage points; a target only after enough steps. */
function accuracyDifference(packed: BenchRow, full: BenchRow | undefined, where: string): BenchRatio {
  const name = `|fp32 − fp16-activations| final validation accuracy, ${where}`;
  const formula = 'fp32 val accuracy − fp16-activations val accuracy';
  const targeted = packed.stepsCompleted >= ACCURACY_MIN_STEPS;
  const missing = [whyMissing(packed, 'fp16-activations'), whyMissing(full, 'fp32')].filter(Boolean).join(' ');
  const a = done(full) ? full.valAccuracy : null;
  const b = done(packed) ? packed.valAccuracy : null;
  const base = { section: 'fp16-activations' as const, name, numerator: a, denominator: b, target: targeted ? '≤ 1 pp' : null };
  if (a === null || b === null) {
    return { ...base, formula, value: null, verdict: 'n/a', note: missing || 'a run has no validation accuracy.' };
  }
  const value = Math.abs(a - b) * 100;
  return {
    ...base,
    formula: `fp32 ${(a * 100).toFixed(2)} % − fp16-activations ${(b * 100).toFixed(2)} % (same batches, same initial weights)`,
    value,
    verdict: targeted ? (value <= 1 ? 'PASS' : 'MISS') : 'info',
    note: targeted ? null : `Only ${packed.stepsCompleted} step(s): the accuracy says little yet; the target applies from ${ACCURACY_MIN_STEPS} steps.`,
  };
}

function flopsRatios(rows: BenchRow[], matmul: MatmulResult[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  for (const row of rows.filter((r) => r.kind === 'trainer' && r.accumulationSteps === 1 && r.precision === 'fp32')) {
    const peak = matmul.find((m) => m.backend === row.backend);
    ratios.push(ratio(
      'flops', `achieved training GFLOP/s ÷ matmul peak, ${row.label} on ${row.backend}`,
      'achieved', `matmul peak${peak ? ` (${peak.bestSize}×${peak.bestSize})` : ''}`,
      done(row) ? row.achievedGflops : null, peak?.peakGflops ?? null, (v) => `${v.toFixed(2)} GFLOP/s`, null,
      row.trainingFlopsPerExample !== null
        ? `achieved = ${(row.trainingFlopsPerExample / 1e6).toFixed(2)} MFLOP/example × ${row.samplesPerSec?.toFixed(1) ?? 'n/a'} samples/s.`
        : null,
      [whyMissing(row, 'trainer'), peak ? '' : `no matmul measurement on ${row.backend} in this grid.`,
        row.trainingFlopsPerExample === null ? 'no FLOP count for this model.' : ''].filter(Boolean).join(' '),
    ));
  }
  return ratios;
}

const over = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b > 0 ? a / b : null);

/**
 * Per fp32 trainer configuration: the fused engine, tfjs on WebGPU and tfjs on WebGL side by side, with achieved
 * training GFLOP/s ÷ the matmul peak of the same backend. A fused job that fell back to tfjs has no fused cell; its
 * figures stand in for tfjs WebGPU when the grid ran no tfjs WebGPU job of that configuration.
 */
export function engineComparisons(rows: BenchRow[], matmul: MatmulResult[]): EngineComparison[] {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows.filter((r) => r.kind === 'trainer' && r.precision === 'fp32')) {
    const key = configLabel(row);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const cell = (row: BenchRow | undefined): EngineCell | null => {
    if (!row) return null;
    const peak = matmul.find((m) => m.backend === row.backend)?.peakGflops;
    const achievedGflops = done(row) ? row.achievedGflops : null;
    return { medianStepMs: done(row) ? row.medianStepMs : null, achievedGflops, peakFraction: over(achievedGflops, peak), status: row.status };
  };
  return [...groups].flatMap(([config, group]) => {
    const fusedJob = group.find(isFusedJob);
    const fellBack = fusedJob && done(fusedJob) && fusedJob.engine !== 'fused' ? fusedJob : undefined;
    const tfjs = (backend: BackendName) => group.find((r) => !isFusedJob(r) && r.backend === backend);
    const fused = cell(fellBack ? undefined : fusedJob);
    const tfjsWebgpu = cell(tfjs('webgpu') ?? fellBack);
    const webgl = cell(tfjs('webgl'));
    if (!fused && !tfjsWebgpu && !webgl) return [];
    return [{
      config, model: group[0]!.model, fused, tfjsWebgpu, webgl,
      fusedFellBack: fellBack ? (fellBack.engineReason ?? 'no reason given') : null,
      fusedOverTfjs: over(fused?.medianStepMs, tfjsWebgpu?.medianStepMs),
      fusedOverWebgl: over(fused?.medianStepMs, webgl?.medianStepMs),
      tfjsOverWebgl: over(tfjsWebgpu?.medianStepMs, webgl?.medianStepMs),
    }];
  });
}

export interface ReportInput {
  grid: string;
  gridDescription: string;
  startedAt: string;
  durationMs: number;
  userAgent: string;
  webglUnmaskedRenderer: string | null;
  probes: BenchReport['probes'];
  outcomes: JobOutcome[];
  /** The config of every trainer/plain job by id (a failed job has no result to read it from). */
  configs: Map<string, RunResult['config']>;
  flops: ModelFlops[];
  /** The startup job's page loads (null when it did not run). */
  startup: StartupLoad[] | null;
}

export function buildReport(input: ReportInput): BenchReport {
  const adapters = new AdapterTable(input.webglUnmaskedRenderer);
  for (const probe of input.probes) adapters.keyFor(probe.environment);
  const flops = new Map(input.flops.map((f) => [f.model, f]));
  const rows: BenchRow[] = [];
  const matmul: BenchReport['matmul'] = [];
  const groups = new Map<string, { rows: BenchRow[]; steps: number[][] }>();
  for (const outcome of input.outcomes) {
    if (outcome.kind === 'matmul') {
      if (outcome.result) matmul.push({ ...outcome.result, adapter: adapters.keyFor(outcome.result.environment) });
      continue;
    }
    const config = input.configs.get(outcome.id)!;
    const row = outcome.kind === 'trainer' ? trainerRow(outcome, config, adapters, flops) : plainRow(outcome, config, adapters, flops);
    const group = groups.get(row.id) ?? { rows: [], steps: [] };
    group.rows.push(row);
    group.steps.push(outcome.kind === 'trainer' ? outcome.stepMs : (outcome.result?.stepMs ?? []));
    groups.set(row.id, group);
  }
  for (const group of groups.values()) rows.push(mergeRuns(group.rows, group.steps));
  const ratios = [
    ...trainerVsPlain(rows),
    ...backendRatios(rows),
    ...fusedRatios(rows),
    ...accumulationRatios(rows),
    ...precisionRatios(rows),
    ...packedActivationRatios(rows),
    ...flopsRatios(rows, matmul),
  ];
  return {
    schemaVersion: 1,
    grid: input.grid,
    gridDescription: input.gridDescription,
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: input.durationMs,
    userAgent: input.userAgent,
    webglUnmaskedRenderer: input.webglUnmaskedRenderer,
    probes: input.probes,
    adapters: adapters.entries,
    rows,
    engines: engineComparisons(rows, matmul),
    startup: input.startup ? summariseStartup(input.startup) : null,
    matmul,
    ratios,
    ratioSections: RATIO_SECTIONS,
    flops: input.flops,
    outcomes: input.outcomes,
  };
}
