/** What every memory instrument reports, whatever the backend: snapshots, timeline samples, the instrument's API. */

/** Where a snapshot's figures come from. */
export type MemorySource =
  /** Every acquire/release of tfjs-webgpu's buffer manager observed: the peak is exact. */
  | 'webgpu-buffer-manager'
  /** tf.memory() of the WebGL backend read at start/sample/snapshot: the peak is a lower bound. */
  | 'webgl-memory-sampled'
  /** No GPU memory to measure (CPU, wasm, unknown backend). */
  | 'none';

/**
 * One reading of an instrument, a plain JSON object. All byte figures are null when `source` is 'none'
 * (and `reason` says why); they are never 0 to mean "unknown".
 */
export interface MemorySnapshot {
  /** tf.getBackend() when the instrument was created. */
  backend: string;
  source: MemorySource;
  /** true when every allocation was observed (WebGPU); false when the peak only covers the sampled moments. */
  exact: boolean;
  /**
   * The most bytes of GPU buffers in use at once since start()/reset(): live tensors, uniform buffers and staging
   * buffers not yet released (see the module comment), including what was already in use at start().
   * WebGL: the largest numBytesInGPU seen at a sample.
   */
  truePeakBytes: number | null;
  /** Bytes in use when start()/reset() was last called (weights already on the device, for example). */
  baselineBytes: number | null;
  /** truePeakBytes − baselineBytes: what the measured work added on top of what was already there. */
  peakAboveBaselineBytes: number | null;
  /** Bytes in use now (BufferManager.numBytesUsed; WebGL: numBytesInGPU). */
  currentBytes: number | null;
  /**
   * Bytes the backend holds from the GPU now: buffers in use plus the free ones kept in its pool
   * (BufferManager.numBytesAllocated; WebGL: numBytesInGPUAllocated, null if this tfjs does not report it).
   */
  allocatedBytes: number | null;
  /** The most `allocatedBytes` seen since start()/reset() (WebGPU: exact; it only falls when staging is destroyed). */
  peakAllocatedBytes: number | null;
  /** allocatedBytes − currentBytes: pooled, reusable, not freed to the driver (WebGL: numBytesInGPUFree). */
  freeBytes: number | null;
  /** WebGPU only: buffers in use / free in the pool now. */
  buffersInUse: number | null;
  buffersFree: number | null;
  /** WebGPU only: acquireBuffer / releaseBuffer calls observed since start()/reset(). */
  acquires: number;
  releases: number;
  /** WebGPU only: bytes of textures in use (fromPixels with external textures), not part of the peak. */
  textureBytesInUse: number | null;
  /** WebGPU only: the flags that change what is counted, recorded with the figures. */
  flags: { deferredSubmitBatchSize: number; cpuForward: boolean } | null;
  /** Why figures are missing or approximate; null when exact. */
  reason: string | null;
}

/** One point of the sampled timeline, recorded by `sample(step)` (typically once per optimizer step). */
export interface MemorySample {
  step: number;
  /** Bytes in use at the moment of sampling (after the step's read-back, so after its queue was submitted). */
  bytesInUse: number;
  /** The most bytes in use since the previous sample (exact on WebGPU; equals bytesInUse on WebGL). */
  peakBytes: number;
  allocatedBytes: number | null;
}

/** The memory instrument the trainer uses, whatever the backend. */
export interface MemoryInstrument {
  readonly backend: string;
  readonly source: MemorySource;
  /** false when there is no GPU memory to measure (the figures are then null). */
  readonly available: boolean;
  /** Starts observing; the peak and baseline start at the bytes in use now. Calling it twice is harmless. */
  start(): void;
  /** Forgets the peak, counters and timeline; the new baseline is the bytes in use now. */
  reset(): void;
  /** Stops observing and unhooks from the backend; snapshot() keeps returning the last figures. */
  stop(): void;
  /** Records a timeline point (no-op returning null when unavailable or stopped). */
  sample(step: number): MemorySample | null;
  snapshot(): MemorySnapshot;
  /** The recorded samples (a copy), oldest first; decimated by pairs once `maxTimelineSamples` is reached. */
  timeline(): MemorySample[];
}

/**
 * Appends a timeline point; beyond `maxSamples` neighbours are merged pairwise, keeping the later reading and the
 * larger peak, so no peak is lost.
 */
export function appendSample(samples: MemorySample[], point: MemorySample, maxSamples: number): MemorySample[] {
  samples.push(point);
  if (samples.length <= maxSamples) return samples;
  const merged: MemorySample[] = [];
  for (let i = 0; i < samples.length; i += 2) {
    const a = samples[i]!;
    const b = samples[i + 1];
    merged.push(b ? { ...b, peakBytes: Math.max(a.peakBytes, b.peakBytes) } : a);
  }
  return merged;
}
