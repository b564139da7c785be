/**
 * The fixed benchmark grids. Each job is one fresh worker (a fresh tfjs backend). The grids are sized for the
 * software adapter (SwiftShader: a cnn-small step at batch 32 takes seconds on WebGPU), so runs are cut short with
 * subsetFraction and one epoch: enough steady steps for a median, and one or two optimizer steps where only the
 * memory peak matters.
 */
import { defaultRunConfig, type BackendName, type Engine, type ModelName, type RunConfig } from '../core/config';
import type { BenchGrid, BenchJob } from './types';

/** MNIST as shipped: 10,000 images, 80 % of them in the training split (src/core/data/splits.ts). */
const MNIST_TRAIN_EXAMPLES = 8000;
const BACKENDS: BackendName[] = ['webgpu', 'webgl', 'cpu'];

/**
 * The subset fraction that gives `steps` full batches per epoch: (steps + ½) batches' worth of examples, so the
 * per-class rounding of the stratified subset cannot tip it to one step more or less.
 */
export function subsetFractionFor(steps: number, batchSize: number): number {
  return Math.min(1, Math.round(((steps + 0.5) * batchSize / MNIST_TRAIN_EXAMPLES) * 10_000) / 10_000);
}

interface Shape {
  model: ModelName;
  backend: BackendName;
  batchSize: number;
  steps: number;
  accumulationSteps?: number;
  precision?: RunConfig['precision'];
  dataPipeline?: RunConfig['dataPipeline'];
  /** Default tfjs: the comparisons measure tfjs's kernels unless a job asks for the fused engine. */
  engine?: Engine;
}

function config(shape: Shape): RunConfig {
  return {
    ...defaultRunConfig(),
    dataset: 'mnist',
    model: shape.model,
    backend: shape.backend,
    batchSize: shape.batchSize,
    accumulationSteps: shape.accumulationSteps ?? 1,
    precision: shape.precision ?? 'fp32',
    dataPipeline: shape.dataPipeline ?? 'gpu-resident',
    engine: shape.engine ?? 'tfjs',
    epochs: 1,
    subsetFraction: subsetFractionFor(shape.steps, shape.batchSize),
    seed: 42,
  };
}

export function trainerJob(shape: Shape): BenchJob {
  const c = config(shape);
  const engine = c.engine === 'fused' ? ':fused' : '';
  return { id: `trainer:${c.model}:b${c.batchSize}:K${c.accumulationSteps}:${c.precision}:${c.dataPipeline}:${c.backend}${engine}`, kind: 'trainer', config: c };
}

/** The textbook loop has no pipeline, precision or accumulation choice: it uploads every batch, fp32, K = 1. */
export function plainJob(shape: Shape): BenchJob {
  const c = config({ ...shape, accumulationSteps: 1, precision: 'fp32', dataPipeline: 'cpu-upload' });
  return { id: `plain:${c.model}:b${c.batchSize}:${c.backend}`, kind: 'plain', config: c };
}

export function matmulJob(backend: BackendName, sizes: number[], minMs: number): BenchJob {
  return { id: `matmul:${backend}`, kind: 'matmul', backend, sizes, minMs };
}

/** The same job run again: ids "…#1", "…#2" share one table row, their steady steps pooled. */
function repeated(job: BenchJob, run: number): BenchJob {
  return { ...job, id: `${job.id}#${run}` };
}

/**
 * trainer (gpu-resident and cpu-upload) and the plain loop, side by side on one backend. With `paired`, the
 * like-for-like pair (trainer cpu-upload, plain loop) runs twice in the order A B B A, so that a machine getting
 * slower or faster during the pair (other processes, thermal) weighs on both sides alike.
 */
function loopComparison(model: ModelName, backend: BackendName, batchSize: number, steps: number, paired: boolean): BenchJob[] {
  const shape = { model, backend, batchSize, steps };
  const resident = trainerJob({ ...shape, dataPipeline: 'gpu-resident' });
  const upload = trainerJob({ ...shape, dataPipeline: 'cpu-upload' });
  const plain = plainJob(shape);
  if (!paired) return [resident, upload, plain];
  return [resident, repeated(upload, 1), repeated(plain, 1), repeated(plain, 2), repeated(upload, 2)];
}

/** cnn-small at batch 256: K = 1 against K = 4 (micro-batch 64) on WebGPU, where the true peak is exact. */
function accumulationComparison(backend: BackendName, steps: number): BenchJob[] {
  return [1, 4].map((k) => trainerJob({ model: 'cnn-small', backend, batchSize: 256, accumulationSteps: k, steps }));
}

/**
 * fp16-activations (packed halves, fp32 compute) on WebGPU, against fp32: at batch 256, whose fp32 partner is
 * accumulationComparison's K=1 job (same config but the precision), for the true peak and step time; and, unless
 * `accuracySteps` is null, both precisions over a longer run at batch 64 for validation accuracy and step time.
 */
function packedActivationsComparison(model: ModelName, peakSteps: number, accuracySteps: number | null): BenchJob[] {
  const jobs = [trainerJob({ model, backend: 'webgpu', batchSize: 256, precision: 'fp16-activations', steps: peakSteps })];
  if (accuracySteps === null) return jobs;
  return [...jobs, ...(['fp32', 'fp16-activations'] as const).map((precision) =>
    trainerJob({ model, backend: 'webgpu', batchSize: 64, precision, steps: accuracySteps }))];
}

/** fp32 against fp16-storage (half-float textures) on WebGL, the one backend with real fp16 storage. */
function precisionComparison(steps: number): BenchJob[] {
  return (['fp32', 'fp16-storage'] as const).map((precision) =>
    trainerJob({ model: 'cnn-small', backend: 'webgl', batchSize: 256, precision, steps }));
}

/** Page open → first trained step of the default run, over `loads` fresh page loads (run by scripts/bench.mjs). */
function startupJob(loads: number): BenchJob {
  return { id: 'startup', kind: 'startup', loads };
}

/**
 * The zoo models the loop comparison leaves out, at batch 32 on the fused engine, tfjs WebGPU and tfjs WebGL, so the
 * engine table has every model (the fused job falls back to tfjs where the engine does not cover the model yet).
 */
function zooJobs(steps: number): BenchJob[] {
  return (['mobilenet-v2-tiny', 'efficientnet-lite-tiny', 'resnet-mini'] as const).flatMap((model) => [
    trainerJob({ model, backend: 'webgpu', batchSize: 32, steps, engine: 'fused' }),
    trainerJob({ model, backend: 'webgpu', batchSize: 32, steps }),
    trainerJob({ model, backend: 'webgl', batchSize: 32, steps }),
  ]);
}

/** The fused engine on WebGPU, beside loopComparison's tfjs gpu-resident jobs (WebGPU and WebGL) of the same shape. */
function fusedJobs(cnnSteps: number, mlpSteps: number | null): BenchJob[] {
  const shape = { backend: 'webgpu', batchSize: 32, engine: 'fused' } as const;
  const jobs = [trainerJob({ ...shape, model: 'cnn-small', steps: cnnSteps })];
  if (mlpSteps !== null) jobs.push(trainerJob({ ...shape, model: 'mlp', steps: mlpSteps }));
  return jobs;
}

function defaultGrid(): BenchJob[] {
  const jobs: BenchJob[] = [startupJob(3)];
  for (const backend of BACKENDS) {
    jobs.push(...loopComparison('cnn-small', backend, 32, 10, true));
    jobs.push(...loopComparison('mlp', backend, 32, 60, true));
    jobs.push(matmulJob(backend, [512, 1024], 1500));
  }
  jobs.push(...fusedJobs(10, 60));
  jobs.push(...zooJobs(4));
  jobs.push(...accumulationComparison('webgpu', 3));
  jobs.push(...packedActivationsComparison('cnn-small', 3, 50));
  jobs.push(...precisionComparison(3));
  return jobs;
}

function quickGrid(): BenchJob[] {
  const jobs: BenchJob[] = [startupJob(1)];
  for (const backend of ['webgpu', 'webgl'] as const) jobs.push(...loopComparison('cnn-small', backend, 32, 5, false));
  jobs.push(trainerJob({ model: 'cnn-small', backend: 'cpu', batchSize: 32, steps: 5 }));
  for (const backend of BACKENDS) jobs.push(matmulJob(backend, [512], 800));
  jobs.push(...fusedJobs(5, null));
  jobs.push(...accumulationComparison('webgpu', 2));
  jobs.push(...packedActivationsComparison('cnn-small', 2, null));
  jobs.push(...precisionComparison(2));
  return jobs;
}

/** The default grid, the accumulation check on WebGL too, and mobilenet-v2-tiny at batch 256. */
function fullGrid(): BenchJob[] {
  const jobs = defaultGrid();
  jobs.push(...accumulationComparison('webgl', 2));
  jobs.push(trainerJob({ model: 'mobilenet-v2-tiny', backend: 'webgpu', batchSize: 256, steps: 2 }));
  jobs.push(...packedActivationsComparison('mobilenet-v2-tiny', 2, null));
  return jobs;
}

export const GRIDS: Record<string, () => BenchGrid> = {
  default: () => ({
    name: 'default',
    description: 'start-up of the app\'s page (3 loads), '
      + 'cnn-small and mlp at batch 32 on WebGPU, WebGL and CPU (trainer gpu-resident, and the fused engine on WebGPU; trainer cpu-upload and plain tfjs loop '
      + 'twice each, A B B A), the other zoo models at batch 32 on the fused engine, tfjs WebGPU and WebGL, '
      + 'matmul peak per backend, cnn-small batch 256 K=1 vs K=4 and fp32 vs fp16-activations on WebGPU (and both '
      + 'precisions for 50 steps at batch 64), fp32 vs fp16-storage on WebGL',
    jobs: defaultGrid(),
  }),
  quick: () => ({
    name: 'quick',
    description: 'start-up of the app\'s page (1 load), '
      + 'cnn-small batch 32 on WebGPU and WebGL (trainer and plain loop) and on the fused engine, CPU trainer only, fewer steps, '
      + 'one matmul size, cnn-small batch 256 K=1 vs K=4 and fp32 vs fp16-activations on WebGPU, fp32 vs fp16-storage on WebGL',
    jobs: quickGrid(),
  }),
  full: () => ({
    name: 'full',
    description: 'the default grid plus K=1 vs K=4 on WebGL, and mobilenet-v2-tiny batch 256 fp32 vs fp16-activations on WebGPU',
    jobs: fullGrid(),
  }),
};

export function gridNames(): string[] {
  return Object.keys(GRIDS);
}
