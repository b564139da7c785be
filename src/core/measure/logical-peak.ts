/** Logical peak of a call: tf.profile's most bytes of live tensors, and its slowest kernels. */
import * as tf from '../tf';
import type { KernelTime } from '../result';

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
 * Runs fn under tf.profile and returns its logical peak and result. On webgpu profiling submits after every kernel,
 * so deferred releases come sooner and the call's own true peak is lower than unprofiled (docs/architecture.md,
 * "Memory": what that does to a run's true peak).
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
