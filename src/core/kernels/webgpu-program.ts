/**
 * The one program shape of the custom WebGPU kernels: a flat dispatch writing result[index] of a 1-D output, so one
 * pipeline serves every shape. tfjs-backend-webgpu is imported for its types only.
 */
import * as tf from '../tf';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** A 1-D view of a tensor's buffer (as tfjs's own Reshape makes): one pipeline for every rank and shape. */
export function flatView(t: tf.TensorInfo): tf.TensorInfo {
  return { dataId: t.dataId, shape: [tf.util.sizeFromShape(t.shape)], dtype: t.dtype };
}

export interface FlatProgramSpec {
  /** Must tell apart every WGSL variant of a kernel (tfjs adds ranks, dtypes and the dispatch kind). */
  shaderKey: string;
  variableNames: string[];
  /** Elements of the 1-D output (words or floats); an invocation writes `outputComponent` of them. */
  size: number;
  /** Lanes per invocation (4: each invocation writes a vec4); 1 by default. */
  outputComponent?: number;
  /** Lanes of each input's array type, when not `outputComponent`. */
  variableComponents?: number[];
  /** Extra uniforms, WGSL struct fields ('channels : i32, cap : f32,'). */
  uniforms?: string;
  /** WGSL functions that `body` calls. */
  functions?: string;
  /** WGSL run by each invocation with index < uniforms.size. */
  body: string;
}

const WORKGROUP_SIZE = 64;

export class FlatProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  size = true;
  outputComponent: number;
  variableComponents?: number[];
  uniforms?: string;
  private readonly code: string;

  constructor(spec: FlatProgramSpec) {
    this.outputShape = [spec.size];
    this.shaderKey = spec.shaderKey;
    this.variableNames = spec.variableNames;
    this.outputComponent = spec.outputComponent ?? 1;
    if (spec.variableComponents) this.variableComponents = spec.variableComponents;
    if (spec.uniforms) this.uniforms = spec.uniforms;
    this.dispatch = [Math.ceil(spec.size / (WORKGROUP_SIZE * this.outputComponent)), 1, 1];
    this.code = `
  ${spec.functions ?? ''}
  fn main(index : i32) {
    if (index < uniforms.size) {
      ${spec.body}
    }
  }`;
  }

  getUserCode(): string {
    return this.code;
  }
}
