import * as tf from '../tf';
import '@tensorflow/tfjs-backend-cpu';
import type { WebGlBackendInternals } from '../backend-internals';
import type { BackendChoice, BackendName } from '../config';
import type { AdapterInfo, BackendAttempt, Environment } from '../environment';

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
      summary: summarise(backend, choice, attempts, adapter),
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

function summarise(backend: BackendName, choice: BackendChoice, attempts: BackendAttempt[], adapter: AdapterInfo | null): string {
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend} unavailable (${a.detail})`);
  const how = choice === 'auto' ? (skipped.length ? `Fell back to ${backend}: ${skipped.join('; ')}` : `Using ${backend}`) : `Using ${backend} (chosen by hand)`;
  if (backend === 'webgpu') {
    const kind = adapter?.isFallbackAdapter ? 'a software (fallback) adapter: numbers reflect CPU emulation, not a GPU' : 'a hardware adapter';
    return `${how} on ${kind}.`;
  }
  return `${how}. These are not WebGPU numbers.`;
}
