/**
 * True GPU peak on WebGPU: every acquire/release of tfjs-webgpu's BufferManager observed on the live backend instance
 * (what it counts: docs/architecture.md, "Memory"); and the queue flush that releases deferred buffers.
 */
import * as tf from '../tf';
import {
  activeWebGpuBackend, engineInternals, type BufferManagerInternals, type WebGpuBackendInternals,
} from '../backend-internals';
import { appendSample, type MemoryInstrument, type MemorySample, type MemorySnapshot } from './memory-snapshot';
type Listener = (call: 'acquire' | 'release') => void;
interface ManagerHook {
  listeners: Set<Listener>;
  unhook(): void;
}
const hooks = new WeakMap<BufferManagerInternals, ManagerHook>();

/**
 * Installs (once per manager) wrappers around acquireBuffer/releaseBuffer that call every listener after the real
 * call; several instruments can observe one manager. Wrappers are own properties of the instance, removed again
 * when the last listener leaves, so the class (shared by every backend) is never touched.
 */
function observeManager(manager: BufferManagerInternals, listener: Listener): () => void {
  let hook = hooks.get(manager);
  if (!hook) {
    const own = (key: 'acquireBuffer' | 'releaseBuffer') => Object.prototype.hasOwnProperty.call(manager, key);
    const hadOwn = { acquire: own('acquireBuffer'), release: own('releaseBuffer') };
    const acquire = manager.acquireBuffer;
    const release = manager.releaseBuffer;
    const listeners = new Set<Listener>();
    manager.acquireBuffer = function (...args: Parameters<BufferManagerInternals['acquireBuffer']>) {
      const buffer = acquire.apply(this, args);
      for (const l of listeners) l('acquire');
      return buffer;
    };
    manager.releaseBuffer = function (...args: Parameters<BufferManagerInternals['releaseBuffer']>) {
      release.apply(this, args);
      for (const l of listeners) l('release');
    };
    const created: ManagerHook = {
      listeners,
      unhook() {
        if (hadOwn.acquire) manager.acquireBuffer = acquire;
        else delete (manager as Partial<BufferManagerInternals>).acquireBuffer;
        if (hadOwn.release) manager.releaseBuffer = release;
        else delete (manager as Partial<BufferManagerInternals>).releaseBuffer;
        hooks.delete(manager);
      },
    };
    hooks.set(manager, created);
    hook = created;
  }
  const current = hook;
  current.listeners.add(listener);
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) current.unhook();
  };
}

function webGpuFlags(): { deferredSubmitBatchSize: number; cpuForward: boolean } | null {
  try {
    return {
      deferredSubmitBatchSize: tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'),
      cpuForward: tf.env().getBool('WEBGPU_CPU_FORWARD'),
    };
  } catch {
    return null; // flags not registered: tfjs-backend-webgpu not loaded
  }
}

export class WebGpuBufferInstrument implements MemoryInstrument {
  readonly backend = 'webgpu';
  readonly source = 'webgpu-buffer-manager' as const;
  readonly available = true;
  private unobserve: (() => void) | null = null;
  private baseline = 0;
  private peak = 0;
  private peakAllocated = 0;
  private windowPeak = 0;
  private acquires = 0;
  private releases = 0;
  private samples: MemorySample[] = [];

  constructor(private readonly gpu: WebGpuBackendInternals, private readonly maxSamples: number) {}

  private get manager(): BufferManagerInternals {
    return this.gpu.bufferManager;
  }

  private observe = (): void => {
    const { numBytesUsed, numBytesAllocated } = this.manager;
    if (numBytesUsed > this.peak) this.peak = numBytesUsed;
    if (numBytesUsed > this.windowPeak) this.windowPeak = numBytesUsed;
    if (numBytesAllocated > this.peakAllocated) this.peakAllocated = numBytesAllocated;
  };

  start(): void {
    if (this.unobserve) return;
    this.reset();
    this.unobserve = observeManager(this.manager, (call) => {
      if (call === 'acquire') this.acquires++;
      else this.releases++;
      this.observe();
    });
  }

  reset(): void {
    const { numBytesUsed, numBytesAllocated } = this.manager;
    this.baseline = numBytesUsed;
    this.peak = numBytesUsed;
    this.windowPeak = numBytesUsed;
    this.peakAllocated = numBytesAllocated;
    this.acquires = 0;
    this.releases = 0;
    this.samples = [];
  }

  stop(): void {
    this.unobserve?.();
    this.unobserve = null;
  }

  sample(step: number): MemorySample | null {
    if (!this.unobserve) return null;
    this.observe();
    const point: MemorySample = {
      step, bytesInUse: this.manager.numBytesUsed, peakBytes: this.windowPeak, allocatedBytes: this.manager.numBytesAllocated,
    };
    this.windowPeak = point.bytesInUse;
    this.samples = appendSample(this.samples, point, this.maxSamples);
    return point;
  }

  snapshot(): MemorySnapshot {
    if (this.unobserve) this.observe();
    const manager = this.manager;
    // Compare with the engine's registry (no side effects, unlike tf.findBackend): removed or replaced both count.
    const replaced = engineInternals().registry?.webgpu !== this.gpu;
    return {
      backend: this.backend,
      source: this.source,
      exact: !replaced,
      truePeakBytes: this.peak,
      baselineBytes: this.baseline,
      peakAboveBaselineBytes: this.peak - this.baseline,
      currentBytes: manager.numBytesUsed,
      allocatedBytes: manager.numBytesAllocated,
      peakAllocatedBytes: this.peakAllocated,
      freeBytes: manager.numBytesAllocated - manager.numBytesUsed,
      buffersInUse: manager.getNumUsedBuffers(),
      buffersFree: manager.getNumFreeBuffers(),
      acquires: this.acquires,
      releases: this.releases,
      textureBytesInUse: this.gpu.textureManager?.numBytesUsed ?? null,
      flags: webGpuFlags(),
      reason: replaced
        ? 'The webgpu backend was removed or replaced after this instrument was created: these figures describe the old one.'
        : null,
    };
  }

  timeline(): MemorySample[] {
    return this.samples.map((s) => ({ ...s }));
  }
}
/**
 * Submits the webgpu backend's pending commands now, which releases what deferred release was holding (tensors
 * disposed while queued, uniform and upload-staging buffers). No-op on other backends. Calling it inside a step
 * changes the batching being measured; at a step boundary after `await loss.data()` there is nothing left to flush.
 */
export function flushPendingReleases(gpu: WebGpuBackendInternals | null = activeWebGpuBackend()): void {
  if (!gpu) return;
  gpu.ensureCommandEncoderReady();
  gpu.endComputePassEncoder();
  gpu.submitQueue();
}