/** GPU memory on WebGL: tf.memory()'s numBytesInGPU / Allocated / Free, read when sampled (a lower bound of the peak). */
import * as tf from '../tf';
import { appendSample, type MemoryInstrument, type MemorySample, type MemorySnapshot } from './memory-snapshot';

export interface WebGlMemoryReading {
  /** Bytes of textures holding live tensors. */
  numBytesInGPU: number | null;
  /** Bytes of all textures the backend holds, free ones in its pool included (null where tfjs does not report it). */
  numBytesInGPUAllocated: number | null;
  /** Bytes of pooled textures not holding a tensor. */
  numBytesInGPUFree: number | null;
}

/** Reads the WebGL fields of a tf.memory() result, each null where absent (other backends, older tfjs). */
export function webGlMemoryFrom(info: object): WebGlMemoryReading {
  const record = info as Record<string, unknown>;
  const field = (key: string) => (typeof record[key] === 'number' && Number.isFinite(record[key]) ? record[key] : null);
  return {
    numBytesInGPU: field('numBytesInGPU'),
    numBytesInGPUAllocated: field('numBytesInGPUAllocated'),
    numBytesInGPUFree: field('numBytesInGPUFree'),
  };
}

/** The WebGL backend's GPU memory now (tf.memory()), or null when the active backend is not webgl. */
export function readWebGlMemory(): WebGlMemoryReading | null {
  return tf.getBackend() === 'webgl' ? webGlMemoryFrom(tf.memory()) : null;
}

export class WebGlSampledInstrument implements MemoryInstrument {
  readonly backend = 'webgl';
  readonly source = 'webgl-memory-sampled' as const;
  readonly available = true;
  private running = false;
  private baseline = 0;
  private peak = 0;
  private peakAllocated: number | null = null;
  private samples: MemorySample[] = [];

  constructor(private readonly maxSamples: number) {}

  private read(): WebGlMemoryReading {
    const reading = readWebGlMemory() ?? { numBytesInGPU: null, numBytesInGPUAllocated: null, numBytesInGPUFree: null };
    if (reading.numBytesInGPU !== null) this.peak = Math.max(this.peak, reading.numBytesInGPU);
    if (reading.numBytesInGPUAllocated !== null) {
      this.peakAllocated = Math.max(this.peakAllocated ?? 0, reading.numBytesInGPUAllocated);
    }
    return reading;
  }

  start(): void {
    if (this.running) return;
    this.reset();
    this.running = true;
  }

  reset(): void {
    this.peak = 0;
    this.peakAllocated = null;
    this.baseline = this.read().numBytesInGPU ?? 0;
    this.samples = [];
  }

  stop(): void {
    this.running = false;
  }

  sample(step: number): MemorySample | null {
    if (!this.running) return null;
    const reading = this.read();
    const inUse = reading.numBytesInGPU ?? 0;
    const point: MemorySample = { step, bytesInUse: inUse, peakBytes: inUse, allocatedBytes: reading.numBytesInGPUAllocated };
    this.samples = appendSample(this.samples, point, this.maxSamples);
    return point;
  }

  snapshot(): MemorySnapshot {
    const reading = this.running ? this.read() : (readWebGlMemory() ?? webGlMemoryFrom({}));
    return {
      backend: this.backend,
      source: this.source,
      exact: false,
      truePeakBytes: this.peak,
      baselineBytes: this.baseline,
      peakAboveBaselineBytes: this.peak - this.baseline,
      currentBytes: reading.numBytesInGPU,
      allocatedBytes: reading.numBytesInGPUAllocated,
      peakAllocatedBytes: this.peakAllocated,
      freeBytes: reading.numBytesInGPUFree,
      buffersInUse: null,
      buffersFree: null,
      acquires: 0,
      releases: 0,
      textureBytesInUse: null,
      flags: null,
      reason: 'WebGL: tf.memory() read at each sample; a peak between two samples is not seen, so this is a lower bound.',
    };
  }

  timeline(): MemorySample[] {
    return this.samples.map((s) => ({ ...s }));
  }
}