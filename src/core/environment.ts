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
}
