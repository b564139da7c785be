import type { BackendName } from './config';

/** What the WebGPU adapter says about itself: shown in the device panel and stored with every result. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  isFallbackAdapter: boolean;
  shaderF16: boolean;
  timestampQuery: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was or was not used, in words for the user. */
  detail: string;
}

/** One backend timed by `auto` (src/core/train/backend.ts, measureBackends): its step time, or why it has none. */
export interface BackendProbe {
  backend: BackendName;
  /**
   * GPU backends: mean wall time of the timed steps after one warm-up step, ending with the losses read back; CPU: its
   * first step (it compiles nothing) on `examples` examples, scaled linearly to the run's batch; null = not measured.
   */
  msPerStep: number | null;
  /** The warm-up (first) step's wall time, shader compilation included. */
  warmUpMs: number | null;
  /** Steps timed after the warm-up step (0 on the CPU backend). */
  timedSteps: number;
  /** Examples in each timed step: the run's batch, or on the CPU a slice of it (older results: absent). */
  examples?: number;
  /** WebGPU on a software (fallback) adapter. */
  softwareAdapter: boolean;
  /** The kernels timed, or why the backend was not measured. */
  detail: string;
}

/** How `auto` chose: every backend's probe and the wall time they took together. */
export interface AutoBackendChoice {
  chosen: BackendName;
  probes: BackendProbe[];
  totalMs: number;
  /** The batch (and micro-batches) it was measured with. */
  batchSize: number;
  accumulationSteps: number;
  /** Measured for an earlier run of the same dataset, model, precision, pipeline and engine in this page, not for this run. */
  reused: boolean;
}

/** The compute path a run got, and why: one plain JSON object. */
export interface Environment {
  backend: BackendName;
  /** One sentence: which path, and why not the ones before it. */
  summary: string;
  attempts: BackendAttempt[];
  adapter: AdapterInfo | null;
  webglRenderer: string | null;
  /** WebGL stores tensors as half floats (forced for fp16-storage, or because the GPU cannot render to float32). */
  webglFloat16Textures: boolean;
  tfjsVersion: string;
  userAgent: string;
  /** Present when `auto` chose the backend by timing the run's model on each (absent: picked by hand, or older results). */
  autoChoice?: AutoBackendChoice;
}
