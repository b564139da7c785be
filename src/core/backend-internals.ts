/**
 * The parts of tfjs 4.22's engine, backends and layers this project reaches into, declared once (structural types:
 * nothing here loads a backend package).
 */
import * as tf from './tf';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** tfjs-backend-webgpu's BufferManager: the pool the true-peak instrument reads and wraps. */
export interface BufferManagerInternals {
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
  getNumUsedBuffers(): number;
  getNumFreeBuffers(): number;
}

/** tfjs-backend-webgpu's WebGPUBackend. */
export interface WebGpuBackendInternals {
  device: GPUDevice;
  bufferManager: BufferManagerInternals;
  textureManager?: { numBytesUsed: number; numBytesAllocated: number };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType,
    programDefinedUniform?: { type: string; data: number[] }[], output?: tf.TensorInfo): tf.TensorInfo;
  numDataIds(): number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  /** Waits for the pipelines compiled under the `WEBGPU_ENGINE_COMPILE_ONLY` flag. */
  checkCompileCompletionAsync(): Promise<void>;
  /** Compiled pipelines by shader key. */
  pipelineCache: Record<string, unknown>;
  /** The profiler's timestamp read-back buffer, once a kernel has been timed. */
  queryResolveBuffer?: GPUBuffer | null;
  /** The fused engine's way to a tensor's GPUBuffer: upload it (if still on the CPU), then read `resource`. */
  queue: GPUQueue;
  /** `dtype` is the storage's: a float32 cast of int32 data can keep int32 storage. */
  tensorMap: { get(dataId: object): { resource?: unknown; dtype: tf.DataType } | undefined };
  uploadToGPU(dataId: object): void;
  epsilon(): number;
}

/** tfjs-backend-cpu's MathBackendCPU. */
export interface CpuBackendInternals {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo;
}

/** tfjs-backend-webgl's GPGPUProgram, as far as this project's programs use it. */
export interface WebGlProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms: boolean;
  packedInputs?: boolean;
  packedOutput?: boolean;
}

/** tfjs-backend-webgl's MathBackendWebGL. */
export interface WebGlBackendInternals {
  gpgpu?: { gl?: WebGLRenderingContext };
  runWebGLProgram(program: WebGlProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

/** tfjs-layers' BatchNormalization: its momentum is read at call time, so it can be changed on a built model. */
export interface BatchNormLayerInternals {
  momentum: number;
}

/** tfjs-core's Engine: the backend instances and factories it has registered. */
export interface EngineInternals {
  registry?: Record<string, unknown>;
  registryFactory?: Record<string, { priority?: number } | undefined>;
}

export function engineInternals(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/** `backend` as a WebGPU backend whose buffer manager can be observed, or null. */
export function asWebGpuBackend(backend: unknown): WebGpuBackendInternals | null {
  const candidate = backend as Partial<WebGpuBackendInternals> | null | undefined;
  const manager = candidate?.bufferManager as Partial<BufferManagerInternals> | undefined;
  if (!manager || typeof manager.acquireBuffer !== 'function' || typeof manager.releaseBuffer !== 'function'
    || typeof manager.numBytesUsed !== 'number' || typeof manager.numBytesAllocated !== 'number') return null;
  return candidate as WebGpuBackendInternals;
}

/** The active backend when it is tfjs's webgpu backend, else null. */
export function activeWebGpuBackend(): WebGpuBackendInternals | null {
  return tf.getBackend() === 'webgpu' ? asWebGpuBackend(tf.backend()) : null;
}
