/**
 * The benchmark page (bench.html). It runs a grid job by job, each in a fresh worker: the app's own training worker
 * for trainer jobs (exactly what the UI runs), the baseline worker for the plain tfjs loop, the matmul peak and the
 * FLOP counts. scripts/bench.mjs drives it headless through window.runBench; opened by hand in a browser, the form
 * runs the same grids and shows the same text.
 */
import type { BackendName, RunConfig } from '../core/config';
import type { Environment } from '../core/environment';
import type { WorkerEvent, WorkerRequest } from '../core/events';
import { formatReport } from './format';
import { GRIDS, gridNames } from './grid';
import { TIMEOUT_PREFIX, buildReport, configLabel } from './report';
import type {
  BaselineEvent, BaselineRequest, BenchJob, BenchReport, JobOutcome, MatmulResult, ModelFlops, PlainLoopResult, RunBenchOptions, StartupJob,
} from './types';

declare global {
  interface Window {
    runBench(options: RunBenchOptions): Promise<BenchReport>;
    formatBenchReport(report: BenchReport): string;
    benchGrids(): { name: string; description: string; jobs: string[]; startup: StartupJob | null }[];
  }
}

const DEFAULT_JOB_TIMEOUT_MS = 10 * 60_000;

/** The jobs this page runs itself (every kind but startup). */
type PageJob = Exclude<BenchJob, StartupJob>;
const PROBE_TIMEOUT_MS = 60_000;
const PROBED_BACKENDS: BackendName[] = ['webgpu', 'webgl', 'cpu'];

const dataBaseUrl = () => new URL('data/', document.baseURI).href;

/** One progress line: to the console (scripts/bench.mjs forwards lines starting with "[bench]") and the page log. */
function log(line: string): void {
  console.log(`[bench] ${line}`);
  const logElement = document.getElementById('log');
  if (logElement) {
    logElement.textContent += `${line}\n`;
    logElement.scrollTop = logElement.scrollHeight;
  }
}

const trainingWorker = () => new Worker(new URL('../worker/train.worker.ts', import.meta.url), { type: 'module', name: 'training' });
const baselineWorker = () => new Worker(new URL('./baseline.worker.ts', import.meta.url), { type: 'module', name: 'bench-baseline' });

interface Settled<T> {
  value: T | null;
  error: string | null;
}

/**
 * Runs one worker until `onMessage` settles, it crashes or the timeout passes; the worker is always terminated
 * afterwards (a used worker holds a used backend).
 */
function withWorker<M, T>(
  worker: Worker, request: unknown, timeoutMs: number,
  onMessage: (message: M, settle: (result: Settled<T>) => void) => void,
): Promise<Settled<T>> {
  return new Promise((resolve) => {
    let finished = false;
    const settle = (result: Settled<T>) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => settle({ value: null, error: `${TIMEOUT_PREFIX} after ${(timeoutMs / 1000).toFixed(0)} s: the worker was ended.` }),
      timeoutMs);
    worker.onmessage = (event: MessageEvent<M>) => onMessage(event.data, settle);
    worker.onerror = (event) => {
      event.preventDefault();
      settle({ value: null, error: `The worker crashed: ${event.message || 'unknown error'}` });
    };
    worker.postMessage(request);
  });
}

async function probe(backend: BackendName): Promise<{ environment: Environment | null; error: string | null }> {
  const request: WorkerRequest = { type: 'probe', backend, prefetch: null };
  const settled = await withWorker<WorkerEvent, Environment>(trainingWorker(), request, PROBE_TIMEOUT_MS, (event, settle) => {
    if (event.type === 'environment') settle({ value: event.environment, error: event.error });
  });
  return { environment: settled.value, error: settled.error };
}

async function runTrainer(job: Extract<BenchJob, { kind: 'trainer' }>, timeoutMs: number, stopAtTarget: boolean): Promise<JobOutcome> {
  const start = performance.now();
  let lastLoss: number | null = null;
  const stepMs: number[] = [];
  const request: WorkerRequest = { type: 'run', config: job.config, dataBaseUrl: dataBaseUrl() };
  const worker = trainingWorker();
  const settled = await withWorker<WorkerEvent, { result: JobOutcome['result']; error: string | null }>(worker, request, timeoutMs,
    (event, settle) => {
      if (event.type === 'ready') log(`  ${event.environment.summary} ${event.data.totalSteps} steps.`);
      // The trainer announces the compile stage on every backend; only WebGPU pre-compiles anything.
      else if (event.type === 'progress' && event.stage === 'compile' && job.config.backend === 'webgpu') log(`  ${event.message}…`);
      else if (event.type === 'step') {
        lastLoss = event.loss;
        stepMs.push(event.stepMs);
        log(`  step ${event.step}/${event.totalSteps}  ${event.stepMs.toFixed(0)} ms  loss ${event.loss.toFixed(4)}${event.skipped ? ' (skipped)' : ''}`);
      } else if (event.type === 'epoch') {
        log(`  validation accuracy ${event.valAccuracy.toFixed(3)} at step ${event.step ?? '?'}, ${(event.elapsedMs / 1000).toFixed(1)} s into training`);
        // The run's time to target is set; what it would train afterwards cannot change it.
        if (stopAtTarget && event.valAccuracy >= job.config.targetAccuracy) worker.postMessage({ type: 'cancel' } satisfies WorkerRequest);
      } else if (event.type === 'done') settle({ value: { result: event.result, error: null }, error: null });
      else if (event.type === 'failed') settle({ value: { result: event.result, error: event.message }, error: null });
    });
  const result = settled.value?.result as Extract<JobOutcome, { kind: 'trainer' }>['result'] ?? null;
  const error = settled.error ?? settled.value?.error ?? null;
  return { id: job.id, kind: 'trainer', ok: error === null && result?.status === 'done', error, result, lastLoss, stepMs, wallMs: performance.now() - start };
}

function runBaseline<T>(request: BaselineRequest, timeoutMs: number, pick: (event: BaselineEvent) => T | null): Promise<Settled<T>> {
  return withWorker<BaselineEvent, T>(baselineWorker(), request, timeoutMs, (event, settle) => {
    if (event.type === 'progress') log(`  ${event.message}`);
    else if (event.type === 'step') log(`  step ${event.step}/${event.totalSteps}  ${event.stepMs.toFixed(0)} ms  loss ${event.loss.toFixed(4)}`);
    else if (event.type === 'error') settle({ value: null, error: event.message });
    else {
      const value = pick(event);
      if (value !== null) settle({ value, error: null });
    }
  });
}

async function runJob(job: PageJob, timeoutMs: number, stopAtTarget: boolean): Promise<JobOutcome> {
  if (job.kind === 'trainer') return runTrainer(job, timeoutMs, stopAtTarget);
  const start = performance.now();
  if (job.kind === 'plain') {
    const settled = await runBaseline<PlainLoopResult>({ type: 'plain', config: job.config, dataBaseUrl: dataBaseUrl() }, timeoutMs,
      (event) => (event.type === 'plain-done' ? event.result : null));
    return { id: job.id, kind: 'plain', ok: settled.value !== null, error: settled.error, result: settled.value, wallMs: performance.now() - start };
  }
  const settled = await runBaseline<MatmulResult>({ type: 'matmul', backend: job.backend, sizes: job.sizes, minMs: job.minMs }, timeoutMs,
    (event) => (event.type === 'matmul-done' ? event.result : null));
  return { id: job.id, kind: 'matmul', ok: settled.value !== null, error: settled.error, result: settled.value, wallMs: performance.now() - start };
}

async function countFlops(configs: RunConfig[]): Promise<ModelFlops[]> {
  const flops: ModelFlops[] = [];
  const seen = new Set<string>();
  for (const config of configs) {
    const key = `${config.model}/${config.dataset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const settled = await runBaseline<ModelFlops>({ type: 'analyze', model: config.model, dataset: config.dataset, dataBaseUrl: dataBaseUrl() },
      PROBE_TIMEOUT_MS, (event) => (event.type === 'analysis' ? event.result : null));
    if (settled.value) flops.push(settled.value);
    else log(`FLOP count of ${key} failed: ${settled.error}`);
  }
  return flops;
}

function describeJob(job: PageJob): string {
  if (job.kind === 'matmul') return `matmul peak on ${job.backend} (${job.sizes.join(', ')})`;
  const what = job.kind === 'trainer' ? `trainer ${configLabel(job.config)}` : `plain tfjs loop ${job.config.model} b${job.config.batchSize}`;
  return `${what} on ${job.config.backend}`;
}

/**
 * The WebGL renderer as the GPU driver names it. tfjs records gl.RENDERER, which browsers mask ("WebKit WebGL");
 * the unmasked name (e.g. SwiftShader or the real GPU) tells which device the WebGL rows ran on.
 */
function unmaskedWebGlRenderer(): string | null {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    const debug = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = gl && debug ? String(gl.getParameter(debug.UNMASKED_RENDERER_WEBGL)) : null;
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return name;
  } catch {
    return null;
  }
}

async function runBench(options: RunBenchOptions): Promise<BenchReport> {
  const makeGrid = options.jobs ? () => ({ name: options.grid, description: 'jobs given by the caller', jobs: options.jobs! }) : GRIDS[options.grid];
  if (!makeGrid) throw new Error(`Unknown grid "${options.grid}": choose one of ${gridNames().join(', ')}.`);
  const grid = makeGrid();
  const only = options.only ? new RegExp(options.only) : null;
  // The startup job ran before these, in scripts/bench.mjs: it opens the app's own page, not this one.
  const jobs = grid.jobs.filter((job): job is PageJob => job.kind !== 'startup' && (!only || only.test(job.id)));
  const startup = options.startup ?? null;
  if (jobs.length === 0 && !startup) throw new Error(`No job of grid "${grid.name}" matches /${options.only}/.`);
  const timeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const webglUnmaskedRenderer = unmaskedWebGlRenderer();

  log(`grid "${grid.name}": ${jobs.length} jobs`);
  const probes: BenchReport['probes'] = [];
  for (const backend of PROBED_BACKENDS) {
    const result = await probe(backend);
    probes.push({ backend, ...result });
    log(`probe ${backend}: ${result.environment?.summary ?? `unavailable: ${result.error}`}`);
  }
  const configs = new Map<string, RunConfig>();
  for (const job of jobs) if (job.kind !== 'matmul') configs.set(job.id, job.config);
  const flops = await countFlops([...configs.values()]);

  const outcomes: JobOutcome[] = [];
  for (const [i, job] of jobs.entries()) {
    log(`[${i + 1}/${jobs.length}] ${describeJob(job)}  (${((performance.now() - t0) / 1000).toFixed(0)} s elapsed)`);
    const outcome = await runJob(job, timeoutMs, options.stopAtTarget ?? false);
    outcomes.push(outcome);
    log(`  ${outcome.ok ? 'done' : `FAILED: ${outcome.error ?? 'see the result'}`} in ${(outcome.wallMs / 1000).toFixed(1)} s`);
  }
  return buildReport({
    grid: grid.name, gridDescription: grid.description, startedAt, durationMs: performance.now() - t0,
    userAgent: navigator.userAgent, webglUnmaskedRenderer, probes, outcomes, configs, flops, startup,
  });
}

window.runBench = runBench;
window.formatBenchReport = formatReport;
window.benchGrids = () => gridNames().map((name) => {
  const grid = GRIDS[name]!();
  const startup = grid.jobs.find((job): job is StartupJob => job.kind === 'startup') ?? null;
  return { name, description: grid.description, jobs: grid.jobs.map((j) => j.id), startup };
});

// Opened by hand: a grid picker and a Run button.
const select = document.getElementById('grid') as HTMLSelectElement | null;
const button = document.getElementById('run') as HTMLButtonElement | null;
const output = document.getElementById('report');
if (select && button && output) {
  for (const name of gridNames()) select.add(new Option(`${name}: ${GRIDS[name]!().description}`, name));
  button.addEventListener('click', () => {
    button.disabled = true;
    output.textContent = 'Running…';
    runBench({ grid: select.value })
      .then((report) => {
        output.textContent = formatReport(report);
        const blob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
        const link = document.getElementById('download') as HTMLAnchorElement | null;
        if (link) {
          link.href = URL.createObjectURL(blob);
          link.download = `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`;
          link.hidden = false;
        }
      })
      .catch((error: unknown) => { output.textContent = `The benchmark failed: ${(error as Error).message}`; })
      .finally(() => { button.disabled = false; });
  });
}
document.body.dataset.ready = 'true';
