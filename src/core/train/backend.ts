import * as tf from '../tf';
import '@tensorflow/tfjs-backend-cpu';
import { asWebGpuBackend, engineInternals, type WebGlBackendInternals } from '../backend-internals';
import type { BackendChoice, BackendName, RunConfig } from '../config';
import type { ImageDataset } from '../data/dataset';
import { splitDataset } from '../data/splits';
import type { AdapterInfo, AutoBackendChoice, BackendAttempt, BackendProbe, Environment } from '../environment';
import { formatMs } from '../format';
import { createRng } from '../rng';
import { createBatchSource, type BatchSource } from './batches';
import { FusedTraining, fusedEngineRefusal } from './fused-training';
import { createStepContext, optimizerStep, type StepContext } from './optimizer-step';
import { buildModel } from './trainer';

const AUTO_ORDER: BackendName[] = ['webgpu', 'webgl', 'cpu'];

/** A clear, user-facing reason why the requested compute path is unavailable. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

async function describeAdapter(adapter: GPUAdapter): Promise<AdapterInfo> {
  // `info` is the current API; older Chromium versions only had requestAdapterInfo() and a flag on the adapter.
  const legacy = adapter as GPUAdapter & {
    requestAdapterInfo?: () => Promise<GPUAdapterInfo>;
    isFallbackAdapter?: boolean;
  };
  const info = adapter.info ?? (await legacy.requestAdapterInfo?.());
  const infoFallback = (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  return {
    vendor: info?.vendor || 'unknown',
    architecture: info?.architecture || 'unknown',
    description: info?.description || '',
    device: info?.device || '',
    isFallbackAdapter: Boolean(infoFallback ?? legacy.isFallbackAdapter ?? false),
    shaderF16: adapter.features.has('shader-f16'),
    timestampQuery: adapter.features.has('timestamp-query'),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

async function tryWebGpu(): Promise<{ ok: true; adapter: AdapterInfo } | { ok: false; detail: string }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { ok: false, detail: 'navigator.gpu is missing: this browser has no WebGPU, or the page is not a secure context.' };
  // tfjs throws a TypeError on a null adapter, so ask for it first to give a clear reason.
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { ok: false, detail: 'requestAdapter() returned null: WebGPU is disabled or no suitable GPU was found.' };
  const info = await describeAdapter(adapter);
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) return { ok: false, detail: 'tfjs could not initialise its WebGPU backend on this adapter.' };
  // Measured numbers must not depend on tfjs running small ops on the CPU behind our back.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return { ok: true, adapter: info };
}

function webglRenderer(): string | null {
  const gl = (tf.backend() as unknown as WebGlBackendInternals).gpgpu?.gl;
  return gl ? String(gl.getParameter(gl.RENDERER)) : null;
}

export interface BackendOptions {
  /** fp16-storage: WebGL stores every tensor in half-float textures (WEBGL_FORCE_F16_TEXTURES). */
  webglFloat16Textures?: boolean;
}

/** Loads the WebGL backend only when a run tries it (a WebGPU run, `auto` included, never fetches it). */
async function startWebGl(options: BackendOptions): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-webgl');
  // Read by the WebGL backend when it creates its first texture: it must be set before that backend starts.
  if (options.webglFloat16Textures) tf.env().set('WEBGL_FORCE_F16_TEXTURES', true);
  return tf.setBackend('webgl');
}

/**
 * Initialises one tfjs backend. `auto` tries WebGPU, then WebGL, then CPU and records why each was skipped;
 * a backend picked by hand that is unavailable is an error, so numbers are never silently from another path.
 */
export async function initBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<Environment> {
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  const attempts: BackendAttempt[] = [];
  for (const backend of order) {
    let adapter: AdapterInfo | null = null;
    let failure: string | null = null;
    try {
      if (backend === 'webgpu') {
        const result = await tryWebGpu();
        if (result.ok) adapter = result.adapter;
        else failure = result.detail;
      } else if (backend === 'webgl' && !(await startWebGl(options))) {
        failure = 'WebGL is not available here (no WebGL2 context could be created).';
      } else if (backend === 'cpu' && !(await tf.setBackend('cpu'))) {
        failure = 'tfjs could not start its CPU backend.';
      }
    } catch (error) {
      failure = `${backend} failed to initialise: ${(error as Error).message}`;
    }
    if (failure) {
      attempts.push({ backend, ok: false, detail: failure });
      continue;
    }
    await tf.ready();
    attempts.push({ backend, ok: true, detail: 'initialised' });
    return {
      backend,
      summary: `${how(backend, choice, attempts)} ${kindOf(backend, adapter)}`,
      attempts,
      adapter,
      webglRenderer: backend === 'webgl' ? webglRenderer() : null,
      webglFloat16Textures: backend === 'webgl'
        && (tf.env().getBool('WEBGL_FORCE_F16_TEXTURES') || !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')),
      tfjsVersion: tf.version_core,
      userAgent: globalThis.navigator?.userAgent ?? 'unknown',
    };
  }
  const reasons = attempts.map((a) => `${a.backend}: ${a.detail}`).join(' ');
  throw new BackendUnavailableError(choice === 'auto' ? `No compute backend could be started. ${reasons}` : `The ${choice} backend is unavailable. ${reasons}`);
}

function how(backend: BackendName, choice: BackendChoice, attempts: BackendAttempt[]): string {
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend} unavailable (${a.detail})`);
  if (choice !== 'auto') return `Using ${backend} (chosen by hand).`;
  return skipped.length ? `Fell back to ${backend}: ${skipped.join('; ')}.` : `Using ${backend}.`;
}

/** What the backend's numbers are: a hardware or software adapter's, or not WebGPU numbers at all. */
function kindOf(backend: BackendName, adapter: AdapterInfo | null): string {
  if (backend !== 'webgpu') return 'These are not WebGPU numbers.';
  return adapter?.isFallbackAdapter ? 'WebGPU on a software (fallback) adapter: numbers reflect CPU emulation, not a GPU.'
    : 'WebGPU on a hardware adapter.';
}

/**
 * Wall time `auto` spends measuring, shared equally by the backends: a GPU backend runs one warm-up step (shader
 * compilation) and at least one timed step, more while its share lasts; the CPU backend compiles nothing, so its first
 * step is its figure. A slow step, e.g. on a software adapter, overruns the share: a step cannot be interrupted.
 */
export const AUTO_BUDGET_MS = 2000;
/** Timed steps per backend at most, after its warm-up step. */
const MAX_TIMED_STEPS = 8;
/** Examples in the CPU backend's one timed step (linearly scaled to the run's batch). */
export const CPU_PROBE_EXAMPLES = 4;

/** The fastest measured backend (the first in the probes' order on a tie), or null when none was measured. */
export function chooseFastestBackend(probes: readonly BackendProbe[]): BackendName | null {
  let best: { backend: BackendName; msPerStep: number } | null = null;
  for (const { backend, msPerStep } of probes) {
    if (msPerStep !== null && (best === null || msPerStep < best.msPerStep)) best = { backend, msPerStep };
  }
  return best?.backend ?? null;
}

/** "auto chose webgl, the fastest measured: webgl 310 ms/step, webgpu (software adapter) 2 s/step, cpu unavailable (…)". */
export function describeAutoChoice(choice: AutoBackendChoice): string {
  const probes = choice.probes.map((probe) => {
    const name = `${probe.backend}${probe.softwareAdapter ? ' (software adapter)' : ''}`;
    return probe.msPerStep === null ? `${name} not measured (${probe.detail})` : `${name} ${formatMs(probe.msPerStep)}/step`;
  });
  const batch = `batch ${choice.batchSize}${choice.accumulationSteps > 1 ? ` in ${choice.accumulationSteps} micro-batches` : ''}`;
  const when = choice.reused ? ` for an earlier run of this model, precision and engine in this page (${batch})` : '';
  return `auto chose ${choice.chosen}, the fastest measured${when}: ${probes.join(', ')} — the run's model at ${batch}; GPU `
    + `backends: mean of up to ${MAX_TIMED_STEPS} steps after a warm-up step, CPU: one step of ${CPU_PROBE_EXAMPLES} examples scaled to the batch; measured in ${formatMs(choice.totalMs)}.`;
}

/** Replaces a probed backend by a new instance, so the run starts on an empty buffer pool and its memory figures are its own. */
function replaceWithFreshInstance(name: BackendName): void {
  const factory = tf.findBackendFactory(name);
  if (!factory) return;
  const engine = engineInternals();
  const priority = engine.registryFactory?.[name]?.priority ?? 1;
  const device = name === 'webgpu' ? asWebGpuBackend(engine.registry?.[name])?.device : undefined;
  tf.removeBackend(name); // disposes the instance: its buffers, textures and contexts
  try {
    device?.destroy();
  } catch {
    // A device that cannot be destroyed is a leak until garbage collection; the new instance gets its own.
  }
  tf.registerBackend(name, factory, priority);
}

/**
 * One warm-up step, then (GPU backends) timed steps within `sliceMs`, at least one: the first alone, the rest queued
 * with one read-back. The CPU backend's figure is one step of CPU_PROBE_EXAMPLES examples scaled to the batch.
 */
async function timeSteps(
  runConfig: RunConfig, dataset: ImageDataset, backend: BackendName, sliceMs: number,
): Promise<Omit<BackendProbe, 'backend' | 'softwareAdapter'>> {
  // The CPU's step time grows with the batch: a slice of it keeps a conv net's probe within the budget.
  const examples = backend === 'cpu' ? Math.min(runConfig.batchSize, CPU_PROBE_EXAMPLES) : runConfig.batchSize;
  const config = examples < runConfig.batchSize ? { ...runConfig, batchSize: examples, accumulationSteps: 1 } : runConfig;
  const batch = splitDataset(dataset.labels).train.subarray(0, examples);
  const { model } = buildModel(config, dataset, createRng(config.seed));
  let source: BatchSource | null = null;
  let fused: FusedTraining | null = null;
  let ctx: StepContext | null = null;
  try {
    source = createBatchSource(config.dataPipeline, dataset, batch);
    const refusal = fusedEngineRefusal(config, model);
    if (config.engine === 'fused' && refusal === null) fused = await FusedTraining.create(config, model, source, 1, () => {});
    else ctx = createStepContext(config, model, source);
    const step = fused ? () => fused!.step(batch) : () => optimizerStep(ctx!, batch);
    const readBack = async () => { await fused?.readBack(); };
    const time = async (steps: number) => {
      const start = performance.now();
      for (let i = 0; i < steps; i++) await step();
      await readBack();
      return performance.now() - start;
    };
    const kernels = fused ? 'fused WebGPU kernels' : `tfjs kernels${refusal ? ` (${refusal})` : ''}`;
    const warmUpMs = await time(1);
    if (backend === 'cpu') {
      return { msPerStep: warmUpMs * (runConfig.batchSize / examples), warmUpMs, timedSteps: 0, examples, detail: kernels };
    }
    const first = await time(1);
    const more = Math.max(0, Math.min(MAX_TIMED_STEPS - 1, Math.floor((sliceMs - warmUpMs - first) / first)));
    const rest = more > 0 ? await time(more) : 0;
    return { msPerStep: (first + rest) / (1 + more), warmUpMs, timedSteps: 1 + more, examples, detail: kernels };
  } finally {
    fused?.dispose();
    ctx?.optimizer.dispose();
    source?.dispose();
    model.dispose();
  }
}

export interface MeasureOptions extends BackendOptions {
  budgetMs?: number;
  /** Called before each backend, e.g. "Measuring backends: webgpu…". */
  onProgress?(message: string): void;
}

/**
 * `auto` by measurement: starts each backend in AUTO_ORDER, times a few steps of the run's model, batch, precision and
 * engine on it, then replaces it with a fresh instance (nothing of the probe stays in the run's memory figures), and
 * starts the fastest. Throws BackendUnavailableError when no backend could be measured.
 */
export async function initFastestBackend(config: RunConfig, dataset: ImageDataset, options: MeasureOptions = {}): Promise<Environment> {
  const start = performance.now();
  const sliceMs = (options.budgetMs ?? AUTO_BUDGET_MS) / AUTO_ORDER.length;
  const probes: BackendProbe[] = [];
  for (const backend of AUTO_ORDER) {
    options.onProgress?.(`Measuring backends: ${backend}…`);
    probes.push(await probeBackend(config, dataset, backend, sliceMs, options));
  }
  const chosen = chooseFastestBackend(probes);
  if (!chosen) {
    throw new BackendUnavailableError(`No compute backend could be measured. ${probes.map((p) => `${p.backend}: ${p.detail}`).join(' ')}`);
  }
  const { batchSize, accumulationSteps } = config;
  return initChosenBackend({ chosen, probes, totalMs: performance.now() - start, batchSize, accumulationSteps, reused: false }, options);
}

/** Starts the backend `auto` chose (for this run, or for an earlier one: `reused`), with the choice and why in the summary. */
export async function initChosenBackend(choice: AutoBackendChoice, options: BackendOptions = {}): Promise<Environment> {
  const environment = await initBackend(choice.chosen, options);
  return { ...environment, autoChoice: choice, summary: `${describeAutoChoice(choice)} ${kindOf(choice.chosen, environment.adapter)}` };
}

async function probeBackend(
  config: RunConfig, dataset: ImageDataset, backend: BackendName, sliceMs: number, options: BackendOptions,
): Promise<BackendProbe> {
  const unmeasured = (detail: string, softwareAdapter = false): BackendProbe => ({
    backend, msPerStep: null, warmUpMs: null, timedSteps: 0, softwareAdapter, detail,
  });
  if (backend === 'webgl' && config.precision === 'fp16-activations') return unmeasured('fp16-activations cannot run on WebGL');
  let environment: Environment;
  try {
    environment = await initBackend(backend, options);
  } catch (error) {
    return unmeasured((error as Error).message);
  }
  const softwareAdapter = environment.adapter?.isFallbackAdapter ?? false;
  try {
    return { backend, softwareAdapter, ...(await timeSteps(config, dataset, backend, sliceMs)) };
  } catch (error) {
    return unmeasured(`failed while measuring: ${(error as Error).message}`, softwareAdapter);
  } finally {
    replaceWithFreshInstance(backend);
  }
}
