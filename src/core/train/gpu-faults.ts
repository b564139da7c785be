import { activeWebGpuBackend } from '../backend-internals';

/**
 * Watches the WebGPU device under the current tfjs backend for the faults tfjs itself does not surface:
 * - device loss (driver reset, `device.destroy()`, the browser reclaiming the GPU): later work fails or never finishes;
 * - uncaptured GPU errors: tfjs-webgpu does not use error scopes, so an out-of-memory buffer allocation or a validation
 *   error only reaches the device's `uncapturederror` event, and the run would go on with invalid buffers.
 * The trainer checks `fault()` after every step and stops with it as the reason.
 */
export interface GpuFaultWatch {
  /** The first fault seen, in words for the user; null while the device is healthy. */
  fault(): string | null;
  /** Resolves with the fault message when the device is lost (never resolves otherwise). */
  readonly lost: Promise<string>;
  dispose(): void;
}

/** Null on backends other than WebGPU (nothing to watch). */
export function watchGpuFaults(): GpuFaultWatch | null {
  const device = activeWebGpuBackend()?.device;
  if (!device) return null;
  let fault: string | null = null;
  let disposed = false;
  const lost = device.lost.then((info) => {
    const message = `The GPU device was lost (${info.reason || 'unknown reason'}${info.message ? `: ${info.message}` : ''}); `
      + 'the run cannot continue on it. The next run starts on a fresh device.';
    if (!disposed) fault ??= message;
    return message;
  });
  const onError = (event: Event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    const outOfMemory = typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError;
    const kind = outOfMemory ? 'out of memory' : 'GPU error';
    fault ??= `${kind}: ${error.message}`;
  };
  device.addEventListener('uncapturederror', onError);
  return {
    fault: () => fault,
    lost,
    dispose() {
      disposed = true;
      device.removeEventListener('uncapturederror', onError);
    },
  };
}

/** How long work queued on a lost device may take to fail by itself before the run stops waiting for it. */
const LOST_DEVICE_GRACE_MS = 2000;

/**
 * A wrapper for every wait on the device that also ends once the device is lost, since work queued on a lost device
 * may never complete. Queued work usually fails soon after the loss (its read-backs are aborted) and then cleans up
 * after itself; the grace period lets it, so only work that truly hangs is abandoned with its tensors.
 * Without a watch (not WebGPU) the wrapper returns the work unchanged.
 */
export function untilDeviceLost(faults: GpuFaultWatch | null): <T>(work: Promise<T>) => Promise<T> {
  const lostError = faults?.lost.then((message) => new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(message)), LOST_DEVICE_GRACE_MS);
  }));
  lostError?.catch(() => {}); // it is only ever raced, never awaited alone
  return <T>(work: Promise<T>): Promise<T> => {
    if (!lostError) return work;
    work.catch(() => {}); // the abandoned side of the race may still fail later
    return Promise.race([work, lostError]);
  };
}
