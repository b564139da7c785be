/** The memory instrument of the active backend: exact on WebGPU, sampled on WebGL, none (null figures) elsewhere. */
import * as tf from '../tf';
import { asWebGpuBackend } from '../backend-internals';
import type { MemoryInstrument, MemorySample, MemorySnapshot } from './memory-snapshot';
import { WebGlSampledInstrument } from './webgl-memory';
import { WebGpuBufferInstrument } from './webgpu-buffers';

export interface MemoryInstrumentOptions {
  /** Keep at most this many timeline points; beyond it, neighbours are merged pairwise (peak kept). Default 4096. */
  maxTimelineSamples?: number;
}

const DEFAULT_MAX_SAMPLES = 4096;

class NoGpuMemoryInstrument implements MemoryInstrument {
  readonly source = 'none' as const;
  readonly available = false;
  constructor(readonly backend: string, private readonly reason: string) {}
  start(): void {}
  reset(): void {}
  stop(): void {}
  sample(): MemorySample | null {
    return null;
  }
  snapshot(): MemorySnapshot {
    return {
      backend: this.backend, source: this.source, exact: false,
      truePeakBytes: null, baselineBytes: null, peakAboveBaselineBytes: null, currentBytes: null, allocatedBytes: null,
      peakAllocatedBytes: null, freeBytes: null, buffersInUse: null, buffersFree: null, acquires: 0, releases: 0,
      textureBytesInUse: null, flags: null, reason: this.reason,
    };
  }
  timeline(): MemorySample[] {
    return [];
  }
}

function noGpuReason(backend: string | null): string {
  switch (backend) {
    case 'cpu':
      return 'The cpu backend keeps tensors in JavaScript memory: there is no GPU memory to measure.';
    case 'wasm':
      return 'The wasm backend keeps tensors in WebAssembly memory: there is no GPU memory to measure.';
    case null:
    case '':
      return 'No tfjs backend is initialised yet: initialise one before creating the memory instrument.';
    default:
      return `The ${backend} backend has no GPU memory instrument here.`;
  }
}

/**
 * The instrument for the active backend (tf.getBackend()), not started yet. Create it after the backend is
 * initialised (on a fresh backend: one worker per run), call start() before the work to measure, snapshot() after.
 */
export function createMemoryInstrument(options: MemoryInstrumentOptions = {}): MemoryInstrument {
  const maxSamples = Math.max(2, Math.floor(options.maxTimelineSamples ?? DEFAULT_MAX_SAMPLES));
  const name = tf.getBackend() as string | null | undefined;
  if (name === 'webgpu') {
    const gpu = asWebGpuBackend(tf.backend());
    if (gpu) return new WebGpuBufferInstrument(gpu, maxSamples);
    return new NoGpuMemoryInstrument(name, 'This build of tfjs-backend-webgpu has no buffer manager we can observe.');
  }
  if (name === 'webgl') return new WebGlSampledInstrument(maxSamples);
  return new NoGpuMemoryInstrument(name ?? 'none', noGpuReason(name ?? null));
}
