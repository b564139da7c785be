/**
 * Memory instruments: how many bytes the compute backend holds, measured rather than estimated (see DESIGN.md §4).
 *
 * - True GPU peak (WebGPU): the most bytes tfjs-webgpu's BufferManager had *in use* at once. We wrap the manager's
 *   acquireBuffer/releaseBuffer on the live backend instance and read its counters after every call, so no peak
 *   between two samples is missed. The manager pools buffers and never shrinks the pool, hence
 *   `freshWebGpuBackend()` before each configuration.
 * - Logical peak: `tf.profile(...).peakBytes` — the most bytes of live *tensors* (a clone or reshape counts again,
 *   pooling and backend-internal buffers do not count).
 * - WebGL: tf.memory()'s numBytesInGPU / numBytesInGPUAllocated / numBytesInGPUFree, read when sampled.
 * - CPU (and wasm): tensors live in JavaScript / wasm memory; there is no GPU figure, and the instrument says so
 *   with null (never 0) and a reason.
 *
 * What tfjs-webgpu 4.22 counts in BufferManager.numBytesUsed (read from its source; it shapes every figure here):
 * - tensor storage buffers: exactly 4 bytes × elements (float32, int32, bool), no padding or rounding;
 * - one uniform buffer per dispatched kernel (tens of bytes), held until the queue is submitted;
 * - upload staging: a tensor uploaded into a *reused* pool buffer goes through a MAP_WRITE staging buffer of the
 *   same size, held (and counted as allocated) until the next submit, then destroyed; a *new* buffer is written
 *   directly (mappedAtCreation), without staging;
 * - read-back staging: `await t.data()` acquires a MAP_READ buffer of the tensor's size from the pool for the
 *   duration of the copy; afterwards it stays in the pool as free (allocated) bytes;
 * - deferred release: commands are batched and submitted every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches (default
 *   15) or on a read. A tensor disposed while a not-yet-submitted command uses it keeps its buffer in use until that
 *   submit, so the true peak includes up to one batch of already-disposed tensors. Keep the flag fixed when
 *   comparing figures.
 * Textures (TextureManager) are only used by tf.browser.fromPixels with external textures; they are reported as
 * `textureBytesInUse` but not included in the peak.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-webgpu's BufferManager we rely on (structural: no import of the backend package). */
interface BufferManagerLike {
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
  getNumUsedBuffers(): number;
  getNumFreeBuffers(): number;
}

/** The parts of tfjs-webgpu's WebGPUBackend we rely on. */
interface WebGpuBackendLike {
  bufferManager: BufferManagerLike;
  textureManager?: { numBytesUsed: number; numBytesAllocated: number };
  device?: GPUDevice;
  numDataIds(): number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

function asWebGpuBackend(backend: unknown): WebGpuBackendLike | null {
  const candidate = backend as Partial<WebGpuBackendLike> | null | undefined;
  const manager = candidate?.bufferManager as Partial<BufferManagerLike> | undefined;
  if (!manager || typeof manager.acquireBuffer !== 'function' || typeof manager.releaseBuffer !== 'function'
    || typeof manager.numBytesUsed !== 'number' || typeof manager.numBytesAllocated !== 'number') return null;
  return candidate as WebGpuBackendLike;
}

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

export interface MemoryInstrumentOptions {
  /** Keep at most this many timeline points; beyond it, neighbours are merged pairwise (peak kept). Default 4096. */
  maxTimelineSamples?: number;
}

const DEFAULT_MAX_SAMPLES = 4096;

/** Merges neighbouring samples pairwise: keeps the later reading and the larger peak, so no peak is lost. */
function decimate(samples: MemorySample[]): MemorySample[] {
  const merged: MemorySample[] = [];
  for (let i = 0; i < samples.length; i += 2) {
    const a = samples[i]!;
    const b = samples[i + 1];
    merged.push(b ? { ...b, peakBytes: Math.max(a.peakBytes, b.peakBytes) } : a);
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------------------------
// WebGPU: hook the buffer manager of one backend instance.

type Listener = (call: 'acquire' | 'release') => void;
interface ManagerHook {
  listeners: Set<Listener>;
  unhook(): void;
}
const hooks = new WeakMap<BufferManagerLike, ManagerHook>();

/**
 * Installs (once per manager) wrappers around acquireBuffer/releaseBuffer that call every listener after the real
 * call; several instruments can observe one manager. Wrappers are own properties of the instance, removed again
 * when the last listener leaves, so the class (shared by every backend) is never touched.
 */
function observeManager(manager: BufferManagerLike, listener: Listener): () => void {
  let hook = hooks.get(manager);
  if (!hook) {
    const own = (key: 'acquireBuffer' | 'releaseBuffer') => Object.prototype.hasOwnProperty.call(manager, key);
    const hadOwn = { acquire: own('acquireBuffer'), release: own('releaseBuffer') };
    const acquire = manager.acquireBuffer;
    const release = manager.releaseBuffer;
    const listeners = new Set<Listener>();
    manager.acquireBuffer = function (...args: Parameters<BufferManagerLike['acquireBuffer']>) {
      const buffer = acquire.apply(this, args);
      for (const l of listeners) l('acquire');
      return buffer;
    };
    manager.releaseBuffer = function (...args: Parameters<BufferManagerLike['releaseBuffer']>) {
      release.apply(this, args);
      for (const l of listeners) l('release');
    };
    const created: ManagerHook = {
      listeners,
      unhook() {
        if (hadOwn.acquire) manager.acquireBuffer = acquire;
        else delete (manager as Partial<BufferManagerLike>).acquireBuffer;
        if (hadOwn.release) manager.releaseBuffer = release;
        else delete (manager as Partial<BufferManagerLike>).releaseBuffer;
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

class WebGpuBufferInstrument implements MemoryInstrument {
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

  constructor(private readonly gpu: WebGpuBackendLike, private readonly maxSamples: number) {}

  private get manager(): BufferManagerLike {
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
    this.samples.push(point);
    if (this.samples.length > this.maxSamples) this.samples = decimate(this.samples);
    return point;
  }

  snapshot(): MemorySnapshot {
    if (this.unobserve) this.observe();
    const manager = this.manager;
    // Compare with the engine's registry (no side effects, unlike tf.findBackend): removed or replaced both count.
    const replaced = (tf.engine() as unknown as EngineInternals).registry?.webgpu !== this.gpu;
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

// ---------------------------------------------------------------------------------------------------------------
// WebGL: sampled tf.memory().

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

class WebGlSampledInstrument implements MemoryInstrument {
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
    this.samples.push(point);
    if (this.samples.length > this.maxSamples) this.samples = decimate(this.samples);
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

// ---------------------------------------------------------------------------------------------------------------
// No GPU memory.

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
 * initialised (and after freshWebGpuBackend()), call start() before the work to measure, snapshot() after.
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

// ---------------------------------------------------------------------------------------------------------------
// Fresh backend per configuration.

export interface FreshBackendReport {
  /** The old backend's pool (in use + free) when it was removed; null when no webgpu backend had been created. */
  previousAllocatedBytes: number | null;
  /** The new backend's BufferManager.numBytesAllocated right after initialisation (0 for an empty pool). */
  allocatedBytes: number;
  /** true when the old GPUDevice was destroyed too (all its buffers and pipelines returned to the driver). */
  destroyedOldDevice: boolean;
}

interface EngineInternals {
  registry?: Record<string, unknown>;
  registryFactory?: Record<string, { priority?: number } | undefined>;
}

/**
 * Replaces the webgpu backend with a new instance — new GPUDevice, empty buffer pool, empty pipeline cache — and
 * makes it the active backend, so each configuration's peak and pool are its own. Shader compilation starts over
 * (the first step pays it again, as in a fresh page).
 *
 * Every tensor on the old backend must have been disposed first (their buffers are destroyed with it): when some
 * are still alive this throws rather than leave broken tensors behind. Flags (tf.env()) are global and survive.
 */
export async function freshWebGpuBackend(): Promise<FreshBackendReport> {
  const factory = tf.findBackendFactory('webgpu');
  if (!factory) {
    throw new Error('The webgpu backend is not registered: import @tensorflow/tfjs-backend-webgpu (needs navigator.gpu) first.');
  }
  const engine = tf.engine() as unknown as EngineInternals;
  // tfjs-backend-webgpu registers with priority 3; keep whatever it used.
  const priority = engine.registryFactory?.webgpu?.priority ?? 3;
  // Read the instance from the registry rather than tf.findBackend(), which would start initialising it.
  const old = asWebGpuBackend(engine.registry?.webgpu);
  if (old) {
    flushPendingReleases(old);
    const live = old.numDataIds();
    if (live > 0) {
      throw new Error(`Cannot replace the webgpu backend: ${live} tensor(s) still live on it. Dispose the previous ` +
        'run\'s model, optimizer and data first (tf.memory().numTensors should be back to its baseline).');
    }
  }
  const previousAllocatedBytes = old ? old.bufferManager.numBytesAllocated : null;
  const oldDevice = old?.device;
  tf.removeBackend('webgpu'); // disposes the old backend: destroys every buffer of its pool
  let destroyedOldDevice = false;
  if (oldDevice) {
    try {
      oldDevice.destroy();
      destroyedOldDevice = true;
    } catch {
      // A device that cannot be destroyed is only a leak until garbage collection; the new backend is unaffected.
    }
  }
  tf.registerBackend('webgpu', factory, priority);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise a new webgpu backend.');
  const fresh = asWebGpuBackend(tf.backend());
  if (!fresh) throw new Error('The new webgpu backend has no buffer manager we can observe.');
  return { previousAllocatedBytes, allocatedBytes: fresh.bufferManager.numBytesAllocated, destroyedOldDevice };
}

/**
 * Submits the webgpu backend's pending commands now, which releases what deferred release was holding (tensors
 * disposed while queued, uniform and upload-staging buffers). No-op on other backends. Calling it inside a step
 * changes the batching being measured; at a step boundary after `await loss.data()` there is nothing left to flush.
 */
export function flushPendingReleases(backend: unknown = tf.getBackend() === 'webgpu' ? tf.backend() : null): void {
  const gpu = asWebGpuBackend(backend);
  if (!gpu) return;
  gpu.ensureCommandEncoderReady();
  gpu.endComputePassEncoder();
  gpu.submitQueue();
}

// ---------------------------------------------------------------------------------------------------------------
// Logical peak.

export interface LogicalPeak {
  /**
   * The most bytes of live tensors (engine numBytes: 4 bytes × elements per float32 tensor, counted per tensor, so a
   * clone or reshape counts again; buffers, pooling, uniforms and staging are not counted), sampled after each kernel
   * and at the start and end of fn. Absolute: includes tensors alive before fn (weights, for example).
   */
  peakBytes: number;
  /** Live tensor bytes when fn started. */
  startBytes: number;
  /** peakBytes − startBytes. */
  peakAboveStartBytes: number;
  /** Tensor bytes and tensors fn left alive (its result included). */
  newBytes: number;
  newTensors: number;
  /** Kernels fn ran. */
  kernels: number;
  /** The kernels that took longest in total (timestamp queries on WebGPU where available), slowest first. */
  topKernels: KernelTime[];
}

export interface KernelTime {
  name: string;
  calls: number;
  totalMs: number;
}

const TOP_KERNELS = 10;

/** Sums tf.profile's per-kernel times by kernel name; kernels whose time could not be read are left out. */
function summarizeKernels(kernels: Awaited<ReturnType<typeof tf.profile>>['kernels']): KernelTime[] {
  const byName = new Map<string, KernelTime>();
  for (const kernel of kernels) {
    if (typeof kernel.kernelTimeMs !== 'number') continue;
    const entry = byName.get(kernel.name) ?? { name: kernel.name, calls: 0, totalMs: 0 };
    entry.calls++;
    entry.totalMs += kernel.kernelTimeMs;
    byName.set(kernel.name, entry);
  }
  return [...byName.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, TOP_KERNELS);
}

/**
 * Runs fn under tf.profile and returns its logical peak and result. Beware on webgpu: profiling times every kernel
 * (timestamp queries, one submit per kernel), which changes deferred release, so do not take the true peak of the
 * same call; measure it on a separate step.
 */
export async function measureLogicalPeak<T extends tf.TensorContainer>(
  fn: () => T | Promise<T>,
): Promise<{ logical: LogicalPeak; result: T }> {
  const startBytes = tf.memory().numBytes;
  let result!: T;
  const info = await tf.profile(async () => {
    result = await fn();
    return result;
  });
  const endBytes = tf.memory().numBytes;
  // With no kernel, tf.profile's peakBytes is -Infinity; tensors made from values also run no kernel.
  const kernelPeak = Number.isFinite(info.peakBytes) ? info.peakBytes : -Infinity;
  const peakBytes = Math.max(kernelPeak, startBytes, endBytes);
  return {
    logical: {
      peakBytes, startBytes, peakAboveStartBytes: peakBytes - startBytes,
      newBytes: info.newBytes, newTensors: info.newTensors, kernels: info.kernels.length,
      topKernels: summarizeKernels(info.kernels),
    },
    result,
  };
}
