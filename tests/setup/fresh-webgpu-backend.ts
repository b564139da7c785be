/**
 * Tests only: replaces the webgpu backend in this process, as the app gets a fresh one per run from a new worker
 * (src/worker/train.worker.ts), so each test's peak and pool are its own.
 */
import * as tf from '../../src/core/tf';
import { asWebGpuBackend, engineInternals } from '../../src/core/backend-internals';
import { flushPendingReleases } from '../../src/core/measure/webgpu-buffers';

export interface FreshBackendReport {
  /** The old backend's pool (in use + free) when it was removed; null when no webgpu backend had been created. */
  previousAllocatedBytes: number | null;
  /** The new backend's BufferManager.numBytesAllocated right after initialisation (0 for an empty pool). */
  allocatedBytes: number;
  /** true when the old GPUDevice was destroyed too (all its buffers and pipelines returned to the driver). */
  destroyedOldDevice: boolean;
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
  const engine = engineInternals();
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
