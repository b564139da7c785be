/// <reference lib="webworker" />
/**
 * The training worker: one per run, so every configuration gets a fresh tfjs backend (the WebGPU buffer pool never
 * shrinks) and a crash or a hung step can be ended with terminate() without touching the page.
 */
import { validateRunConfig, type BackendChoice, type DatasetId, type RunConfig } from '../core/config';
import { DatasetError, type ImageDataset } from '../core/data/dataset';
import { loadDataset } from '../core/data/load';
import type { AutoBackendChoice, Environment } from '../core/environment';
import type { MisclassifiedGallery } from '../core/evaluation-report';
import type { DatasetPrefetch, TrainedModel, WorkerEvent, WorkerRequest } from '../core/events';
import { initBackend, initChosenBackend, initFastestBackend, type BackendOptions } from '../core/train/backend';
import { runLrRangeTest } from '../core/train/lr-range-run';
import { runTraining } from '../core/train/trainer';
import { markStartup } from '../lib/startup-marks';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: WorkerEvent) => {
  markStartupStage(event);
  scope.postMessage(event);
};

/** The trainer's start-up stages as marks on the worker's timeline (the first of each). */
function markStartupStage(event: WorkerEvent): void {
  if (event.type === 'progress' && event.stage === 'model') markStartup('startup:model');
  else if (event.type === 'progress' && event.stage === 'compile') markStartup('startup:compile');
  else if (event.type === 'ready') markStartup('startup:ready');
  else if (event.type === 'step') markStartup('startup:first-step');
}

let cancelled = false;
let environment: Promise<Environment> | null = null;
let environmentKey: string | null = null;

function backendFor(choice: BackendChoice, options: BackendOptions = {}): Promise<Environment> {
  // A probe already initialised this choice: reuse it (nothing has trained on it yet, so it is still fresh).
  const key = JSON.stringify([choice, Boolean(options.webglFloat16Textures)]);
  if (!environment || environmentKey !== key) {
    // tfjs backend switches must not overlap (a run can arrive while the probe is still initialising).
    const previous = environment?.catch(() => null) ?? Promise.resolve(null);
    environment = previous.then(() => initBackend(choice, options)).then((env) => {
      markStartup('startup:backend-ready');
      return env;
    });
    environmentKey = key;
  }
  return environment;
}

/** The dataset this worker loads (a probe may start it before the run asks) and whether a run waits for its progress. */
let datasetLoad: { key: string; loading: Promise<ImageDataset> } | null = null;
let reportDataProgress = false;

function datasetFor(id: DatasetId, dataBaseUrl: string): Promise<ImageDataset> {
  const key = JSON.stringify([id, dataBaseUrl]);
  if (datasetLoad?.key !== key) {
    const loading = loadDataset(id, dataBaseUrl, ({ fraction, message }) => {
      if (reportDataProgress) post({ type: 'progress', stage: 'data', fraction, message });
    }).then((loaded) => {
      markStartup('startup:data-loaded');
      return loaded;
    });
    datasetLoad = { key, loading };
  }
  return datasetLoad.loading;
}

/**
 * The backend and dataset of a run or range test. `auto` times the configured model on each backend first
 * (initFastestBackend), so it waits for the dataset, unless the page knows the choice from an earlier run like this
 * one (`known`); a backend picked by hand starts while the dataset loads.
 */
async function environmentAndDataset(
  config: RunConfig, loadData: () => Promise<ImageDataset>, known: AutoBackendChoice | undefined,
): Promise<[Environment, ImageDataset]> {
  const options = { webglFloat16Textures: config.precision === 'fp16-storage' };
  if (config.backend !== 'auto') return Promise.all([backendFor(config.backend, options), loadData()]);
  // A probe may still be starting a backend, and tfjs backend switches must not overlap.
  const previous = environment?.catch(() => null) ?? Promise.resolve(null);
  environmentKey = null;
  if (known) {
    environment = previous.then(() => initChosenBackend(known, options));
    return Promise.all([environment, loadData()]);
  }
  const dataset = await loadData();
  await previous;
  environment = initFastestBackend(config, dataset, {
    ...options, onProgress: (message) => post({ type: 'progress', stage: 'backend', message, fraction: null }),
  });
  return [await environment, dataset];
}

async function probe(choice: BackendChoice, prefetch: DatasetPrefetch | null): Promise<void> {
  // A failed prefetch is reported by the run that asks for the dataset, not here.
  if (prefetch) datasetFor(prefetch.dataset, prefetch.dataBaseUrl).catch(() => undefined);
  try {
    post({ type: 'environment', environment: await backendFor(choice), error: null });
  } catch (error) {
    post({ type: 'environment', environment: null, error: (error as Error).message });
  }
}

async function run(rawConfig: unknown, dataBaseUrl: string, autoChoice?: AutoBackendChoice): Promise<void> {
  const requestedAt = performance.now();
  const validation = validateRunConfig(rawConfig);
  if (!validation.ok) {
    post({ type: 'failed', message: validation.errors.map((e) => e.message).join(' '), result: null });
    return;
  }
  const config = validation.config;
  reportDataProgress = true;
  // Set by the trainer's callback (an object, so the narrowing below sees the assignment).
  const trained: { model: TrainedModel | null; misclassified: MisclassifiedGallery | null } = { model: null, misclassified: null };
  try {
    const [env, dataset] = await environmentAndDataset(config, () => datasetFor(config.dataset, dataBaseUrl), autoChoice);
    const result = await runTraining(config, dataset, env, {
      emit: post,
      isCancelled: () => cancelled,
      sinceStartMs: () => performance.now() - requestedAt,
      onTrainedModel: (model) => { trained.model = model; },
      onMisclassified: (gallery) => { trained.misclassified = gallery; },
    });
    if (result.status === 'failed') post({ type: 'failed', message: result.reason ?? 'The run failed.', result });
    // The weights move to the page instead of being copied.
    else if (trained.model) {
      scope.postMessage({ type: 'done', result, ...trained } satisfies WorkerEvent, [trained.model.weightData]);
    } else post({ type: 'done', result, ...trained });
  } catch (error) {
    const message = error instanceof DatasetError ? error.message : `The run could not start: ${(error as Error).message}`;
    post({ type: 'failed', message, result: null });
  }
}

/** A learning-rate range test of the configured model and dataset, in place of a run (the worker is used up after it). */
async function rangeTest(rawConfig: unknown, dataBaseUrl: string, autoChoice?: AutoBackendChoice): Promise<void> {
  const validation = validateRunConfig(rawConfig);
  const fail = (reason: string) => post({
    type: 'lr-range-done',
    result: {
      status: 'failed', reason, points: [], steps: 0, suggestion: { ok: false, reason }, backend: 'none', backendSummary: null,
      autoChoice: null, engine: { ran: 'tfjs', reason: null }, totalMs: 0,
    },
  });
  if (!validation.ok) return fail(validation.errors.map((e) => e.message).join(' '));
  const config = validation.config;
  try {
    const [env, dataset] = await environmentAndDataset(config, () => loadDataset(config.dataset, dataBaseUrl,
      ({ fraction, message }) => post({ type: 'progress', stage: 'data', fraction, message })), autoChoice);
    const result = await runLrRangeTest(config, dataset, { emit: post, isCancelled: () => cancelled });
    post({ type: 'lr-range-done', result: { ...result, backendSummary: env.summary, autoChoice: env.autoChoice ?? null } });
  } catch (error) {
    fail(error instanceof DatasetError ? error.message : `The range test could not start: ${(error as Error).message}`);
  }
}

// When the device is lost, read-backs tfjs started and nobody awaits any more are aborted ("mapAsync … Buffer was
// unmapped / the Device was lost before mapping was resolved"). The run reports the loss itself (the trainer watches
// the device), so these are expected: say so quietly. Any other unhandled rejection stays an error.
scope.addEventListener('unhandledrejection', (event) => {
  const reason = event.reason as { name?: string; message?: string } | null;
  if (reason?.name !== 'AbortError' || !/mapAsync/.test(reason.message ?? '')) return;
  event.preventDefault();
  console.warn('Ignored an aborted GPU read-back (device lost):', reason.message);
});

markStartup('startup:worker-evaluated');
scope.onmessage = (message: MessageEvent<WorkerRequest>) => {
  const request = message.data;
  if (request.type === 'probe') void probe(request.backend, request.prefetch);
  else if (request.type === 'run') void run(request.config, request.dataBaseUrl, request.autoChoice);
  else if (request.type === 'lr-range-test') void rangeTest(request.config, request.dataBaseUrl, request.autoChoice);
  else if (request.type === 'cancel') cancelled = true;
};
