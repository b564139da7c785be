/**
 * The fused WebGPU training engine: trains a covered tfjs LayersModel (plan.ts) with its own WGSL kernels on the tfjs
 * WebGPU backend's device. API: `new FusedEngine(model, options)`, `await compile()`, `step(x, y)` per optimizer
 * step (encodes and submits, never waits), `await readMetrics()`, `syncToModel()`, `dispose()`.
 */
import * as tf from '../tf';
import {
  adam, addForward, batchNormBackward, batchNormForward, convForward, convInputGrad, convWeightGrad, denseForward,
  denseInputGrad, denseWeightGrad, depthwiseForward, depthwiseInputGrad, depthwiseWeightGrad, globalAveragePoolForward,
  grid, maxPoolBackward, maxPoolForward, MICRO_UNIFORM_BYTES, outputSize, passGradient, softmaxCrossEntropy,
  STEP_UNIFORM_BYTES, type GradientTarget, type KernelSpec, type Source,
} from './kernels';
import { MODEL_INPUT, planOf, type LayerPlan, type ParameterSlot, type Plan } from './plan';
import { activeWebGpuBackend, type WebGpuBackendInternals } from '../backend-internals';
import { flushPendingReleases } from '../measure/webgpu-buffers';

export interface FusedEngineOptions {
  /** Examples per optimizer step (the `x` and `y` that `step` takes); K micro-batches of batchSize / K each. */
  batchSize: number;
  /** K: micro-batches per optimizer step, their gradients summed in the kernels and averaged (default 1). */
  accumulationSteps?: number;
  /** Adam's learning rate, or the rate of each optimizer step (0-based: the steps already taken), e.g. a schedule. */
  learningRate: number | ((step: number) => number);
  /** ε of label smoothing: the loss and its gradient take (1 − ε)·one-hot + ε/classes as targets (default 0). */
  labelSmoothing?: number;
  beta1?: number;
  beta2?: number;
  /** Adam's epsilon; default the backend's (1e-7 on float32 WebGPU), as tf.train.adam. */
  epsilon?: number;
  /** Metrics are copied out for read-back every this many steps (default 8; at most the ring's 64 slots). */
  metricsEvery?: number;
}

export interface StepMetrics {
  /** 1-based optimizer step. */
  step: number;
  /** Mean softmax cross-entropy and accuracy over the step's batch (the K micro-batches averaged). */
  loss: number;
  accuracy: number;
}

export interface CompileReport {
  /** Distinct GPU programs the engine runs. */
  programs: number;
  /** Of those, created now (the rest came from the device's cache, e.g. an earlier engine). */
  created: number;
  ms: number;
}

const METRIC_SLOTS = 64;
const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Compiled pipelines per device and WGSL text: engines on the same device share them. */
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

function webGpuBackend(): WebGpuBackendInternals {
  const backend = activeWebGpuBackend();
  if (!backend) throw new Error(`The fused engine runs on the webgpu backend (active: ${tf.getBackend()}).`);
  return backend;
}

interface Dispatch {
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  /** One bind group, or one per micro-batch when the kernel reads the Micro uniform. */
  bindGroups: GPUBindGroup[];
}

/** A node's forward kernel; `source(j)` is where the output of node j (or the model input) is. */
function forwardKernel(layer: LayerPlan, i: number, micro: number, source: (node: number) => Source): KernelSpec {
  const [input] = layer.inputs.map(source) as [Source];
  const output = `act${i}`;
  switch (layer.kind) {
    case 'conv2d': return convForward(layer, micro, input, output);
    case 'depthwise': return depthwiseForward(layer, micro, input, output);
    case 'dense': return denseForward(layer, micro, input, output);
    case 'maxpool': return maxPoolForward(layer, micro, input.buffer, output);
    case 'batchnorm': return batchNormForward(layer, micro, input.buffer, output, `saved${i}`);
    case 'add': return addForward(layer, micro, input.buffer, source(layer.inputs[1]!).buffer, output);
    case 'gap': return globalAveragePoolForward(layer, micro, input.buffer, output);
  }
}

/**
 * The kernels of one micro-batch's forward, loss and backward pass, in order. The backward visits the nodes in
 * reverse: `grad${i}` holds the gradient of node i's pre-activation output, complete once every reader of that
 * output has stored (the first) or added (the others) its share, masked by node i's activation.
 */
function microBatchKernels(plan: Plan, micro: number, accumulation: number, labelSmoothing: number): KernelSpec[] {
  const { layers } = plan;
  const last = layers.length - 1;
  const source = (node: number): Source => (node === MODEL_INPUT ? { buffer: 'x', batchInput: true } : { buffer: `act${node}`, batchInput: false });
  const specs = layers.map((layer, i) => forwardKernel(layer, i, micro, source));
  specs.push(softmaxCrossEntropy(micro, plan.classes, accumulation, labelSmoothing, `act${last}`, `grad${last}`));
  // A node's output needs a gradient when the node or one before it has weights.
  const needsGrad: boolean[] = [];
  layers.forEach((layer, i) => {
    needsGrad[i] = ['conv2d', 'depthwise', 'dense', 'batchnorm'].includes(layer.kind) || layer.inputs.some((j) => j !== MODEL_INPUT && needsGrad[j]);
  });
  const stored = new Set<number>();
  /** Where node i's backward puts the gradient of input j: its buffer, mask and store, or null when none is needed. */
  const target = (j: number): GradientTarget | null => {
    if (j === MODEL_INPUT || !needsGrad[j]) return null;
    const producer = layers[j]!;
    const op = stored.has(j) ? '+=' : '=';
    stored.add(j);
    const mask = producer.activation === 'linear' ? null : { buffer: `act${j}`, activation: producer.activation };
    return { gradIn: `grad${j}`, mask, op };
  };
  for (let i = last; i >= 0; i--) {
    const layer = layers[i]!;
    if (!needsGrad[i]) continue;
    const gradOut = `grad${i}`;
    const input = source(layer.inputs[0]!);
    if (layer.kind === 'add') {
      for (const j of layer.inputs) {
        const to = target(j);
        if (to) specs.push(passGradient(`${layer.name} backward`, micro * outputSize(layer), layer.output.c, 1, gradOut, to.gradIn, to.mask, to.op));
      }
      continue;
    }
    if (layer.kind === 'conv2d') specs.push(convWeightGrad(layer, micro, input, gradOut));
    if (layer.kind === 'depthwise') specs.push(depthwiseWeightGrad(layer, micro, input, gradOut));
    if (layer.kind === 'dense') specs.push(denseWeightGrad(layer, micro, input, gradOut));
    const to = target(layer.inputs[0]!);
    if (layer.kind === 'batchnorm') {
      specs.push(batchNormBackward(layer, micro, input.buffer, `saved${i}`, gradOut, to));
      continue;
    }
    if (!to) continue;
    const { gradIn, mask, op } = to;
    if (layer.kind === 'conv2d') specs.push(convInputGrad(layer, micro, gradOut, gradIn, mask, op));
    else if (layer.kind === 'depthwise') specs.push(depthwiseInputGrad(layer, micro, gradOut, gradIn, mask, op));
    else if (layer.kind === 'dense') specs.push(denseInputGrad(layer, micro, gradOut, gradIn, mask, op));
    else if (layer.kind === 'maxpool') specs.push(maxPoolBackward(layer, micro, input.buffer, gradOut, gradIn, mask, op));
    else {
      const pixels = layer.input.h * layer.input.w;
      specs.push(passGradient(`${layer.name} backward`, micro * pixels * layer.input.c, layer.input.c, pixels, gradOut, gradIn, mask, op));
    }
  }
  return specs;
}

/** Bytes of every engine-owned storage buffer, by the names the kernels bind. */
function storageSizes(plan: Plan, batch: number, micro: number): Map<string, number> {
  const floats = new Map<string, number>([
    ['x', batch * plan.input.h * plan.input.w * plan.input.c], ['y', batch * plan.classes],
    ['params', plan.parameterCount], ['grads', plan.parameterCount], ['adamM', plan.parameterCount],
    ['adamV', plan.parameterCount], ['metrics', METRIC_SLOTS * 2],
  ]);
  if (plan.movingCount > 0) floats.set('moving', plan.movingCount);
  plan.layers.forEach((layer: LayerPlan, i) => {
    floats.set(`act${i}`, micro * outputSize(layer));
    floats.set(`grad${i}`, micro * outputSize(layer));
    if (layer.kind === 'batchnorm') floats.set(`saved${i}`, 2 * layer.output.c);
  });
  return new Map([...floats].map(([name, count]) => [name, count * 4]));
}

export class FusedEngine {
  readonly plan: Plan;
  /** Compute dispatches encoded per optimizer step (K × the micro-batch's kernels + the optimizer). */
  readonly dispatchesPerStep: number;
  private readonly backend: WebGpuBackendInternals;
  private readonly device: GPUDevice;
  private readonly buffers = new Map<string, GPUBuffer>();
  private readonly microSpecs: KernelSpec[];
  private readonly stepSpec: KernelSpec;
  private readonly accumulation: number;
  private readonly hyper: { learningRate: (step: number) => number; beta1: number; beta2: number; epsilon: number };
  private readonly metricsEvery: number;
  private microDispatches: Dispatch[] | null = null;
  private stepDispatch: Dispatch | null = null;
  private steps = 0;
  private copiedThrough = 0;
  private accBeta1 = 1;
  private accBeta2 = 1;
  private readonly collected: StepMetrics[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private nonFinite: StepMetrics | null = null;
  private disposed = false;

  constructor(model: tf.LayersModel, options: FusedEngineOptions) {
    this.plan = planOf(model);
    this.backend = webGpuBackend();
    this.device = this.backend.device;
    this.accumulation = options.accumulationSteps ?? 1;
    const { batchSize } = options;
    if (!Number.isInteger(this.accumulation) || this.accumulation < 1 || batchSize % this.accumulation !== 0) {
      throw new Error(`The batch (${batchSize}) must split into ${this.accumulation} equal micro-batches.`);
    }
    const micro = batchSize / this.accumulation;
    const { learningRate } = options;
    this.hyper = {
      learningRate: typeof learningRate === 'number' ? () => learningRate : learningRate, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999,
      epsilon: options.epsilon ?? this.backend.epsilon(),
    };
    this.metricsEvery = Math.min(Math.max(1, options.metricsEvery ?? 8), METRIC_SLOTS);
    this.microSpecs = microBatchKernels(this.plan, micro, this.accumulation, options.labelSmoothing ?? 0);
    this.stepSpec = adam(this.plan.parameterCount);
    this.dispatchesPerStep = this.microSpecs.length * this.accumulation + 1;
    this.allocate(batchSize, micro);
    this.loadFromModel();
  }

  private acquire(name: string, bytes: number, usage: number): GPUBuffer {
    const buffer = this.backend.bufferManager.acquireBuffer(bytes, usage);
    this.buffers.set(name, buffer);
    return buffer;
  }

  private buffer(name: string): GPUBuffer {
    const buffer = this.buffers.get(name);
    if (!buffer) throw new Error(`Fused engine: no buffer ${name}.`);
    return buffer;
  }

  /** Every buffer through tfjs's buffer manager, so the app's memory instrument counts them; pooled ones cleared. */
  private allocate(batchSize: number, micro: number): void {
    const encoder = this.device.createCommandEncoder();
    for (const [name, bytes] of storageSizes(this.plan, batchSize, micro)) {
      encoder.clearBuffer(this.acquire(name, bytes, STORAGE));
    }
    const uniform = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    this.acquire('step', STEP_UNIFORM_BYTES, uniform);
    const inputFloats = micro * this.plan.input.h * this.plan.input.w * this.plan.input.c;
    for (let k = 0; k < this.accumulation; k++) {
      const buffer = this.acquire(`micro${k}`, MICRO_UNIFORM_BYTES, uniform);
      this.backend.queue.writeBuffer(buffer, 0, new Uint32Array([k * inputFloats, k * micro * this.plan.classes, k === 0 ? 1 : 0, 0]));
    }
    this.device.queue.submit([encoder.finish()]);
  }

  private gpuBufferOf(tensor: tf.Tensor): GPUBuffer {
    this.backend.uploadToGPU(tensor.dataId);
    const resource = this.backend.tensorMap.get(tensor.dataId)?.resource;
    if (!(resource instanceof GPUBuffer)) throw new Error('Fused engine: the tensor is not in a GPU buffer.');
    return resource;
  }

  /** The flat buffers and their variables: parameters, and BatchNorm's moving statistics where the model has them. */
  private get flatBuffers(): { name: string; slots: ParameterSlot[]; count: number }[] {
    const { parameters, parameterCount, moving, movingCount } = this.plan;
    return [{ name: 'params', slots: parameters, count: parameterCount }, { name: 'moving', slots: moving, count: movingCount }]
      .filter(({ count }) => count > 0);
  }

  /** Copies the model's current weights (and moving statistics) into the flat buffers (the layout of the plan). */
  private loadFromModel(): void {
    const copies = this.flatBuffers.flatMap(({ name, slots }) =>
      slots.map((slot) => ({ slot, to: this.buffer(name), from: this.gpuBufferOf(slot.variable.read()) })));
    flushPendingReleases(this.backend); // tfjs's recorded commands run before ours
    const encoder = this.device.createCommandEncoder();
    for (const { slot, to, from } of copies) encoder.copyBufferToBuffer(from, 0, to, slot.offset * 4, slot.size * 4);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Distinct GPU programs compile() creates or takes from the cache (for a progress line before it runs). */
  get programCount(): number {
    return new Set([...this.microSpecs, this.stepSpec].map((spec) => spec.code)).size;
  }

  /** Creates every pipeline the engine runs, in parallel (or takes it from the device's cache), and the bind groups. */
  async compile(): Promise<CompileReport> {
    const start = performance.now();
    let cache = pipelineCache.get(this.device);
    if (!cache) pipelineCache.set(this.device, (cache = new Map()));
    const specs = [...this.microSpecs, this.stepSpec];
    let created = 0;
    for (const spec of specs) {
      if (cache.has(spec.code)) continue;
      created++;
      const module = this.device.createShaderModule({ label: spec.label, code: spec.code });
      const pipeline = this.device.createComputePipelineAsync({ label: spec.label, layout: 'auto', compute: { module, entryPoint: 'main' } });
      cache.set(spec.code, pipeline);
      pipeline.catch(() => cache.delete(spec.code));
    }
    const pipelines = await Promise.all(specs.map((spec) => cache.get(spec.code)!));
    const dispatches = specs.map((spec, i) => this.dispatchFor(spec, pipelines[i]!));
    this.microDispatches = dispatches.slice(0, -1);
    this.stepDispatch = dispatches[dispatches.length - 1]!;
    return { programs: new Set(specs.map((s) => s.code)).size, created, ms: performance.now() - start };
  }

  private dispatchFor(spec: KernelSpec, pipeline: GPUComputePipeline): Dispatch {
    const perMicro = spec.bindings.includes('micro');
    const bindGroups = Array.from({ length: perMicro ? this.accumulation : 1 }, (_, k) => this.device.createBindGroup({
      label: spec.label,
      layout: pipeline.getBindGroupLayout(0),
      entries: spec.bindings.map((name, binding) => ({ binding, resource: { buffer: this.buffer(name === 'micro' ? `micro${k}` : name) } })),
    }));
    return { spec, bindGroups, pipeline };
  }

  /**
   * One optimizer step on x ([batchSize, h, w, c] float32) and one-hot y ([batchSize, classes]): copies them, encodes
   * K micro-batches of forward, loss and backward and one Adam update into one compute pass, submits, and returns
   * without waiting. The caller may dispose x and y right after.
   */
  step(x: tf.Tensor, y: tf.Tensor): void {
    this.steps++;
    const encoder = this.encodeBatch(x, y, true);
    if (this.steps - this.copiedThrough >= this.metricsEvery) this.copyMetrics(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  /**
   * The mean loss, accuracy and weight gradients (one array per plan.parameters entry) of one batch at the current
   * weights, without an update (BatchNorm's moving statistics do move, as in tfjs's training-mode forward): for
   * checking the kernels against tfjs's autodiff. Waits for the GPU.
   */
  async gradients(x: tf.Tensor, y: tf.Tensor): Promise<{ loss: number; accuracy: number; gradients: Float32Array[] }> {
    const encoder = this.encodeBatch(x, y, false);
    const slot = (this.steps % METRIC_SLOTS) * 8;
    const metricsRead = this.readBuffer(encoder, this.buffer('metrics'), slot, 8);
    const gradsRead = this.readBuffer(encoder, this.buffer('grads'), 0, this.plan.parameterCount * 4);
    encoder.clearBuffer(this.buffer('grads'));
    this.device.queue.submit([encoder.finish()]);
    const [metrics, grads] = await Promise.all([metricsRead, gradsRead]);
    return {
      loss: metrics![0]!, accuracy: metrics![1]!,
      gradients: this.plan.parameters.map(({ offset, size }) => grads!.slice(offset, offset + size)),
    };
  }

  /**
   * Records a copy of `bytes` of `source` from `offset` into a staging buffer and maps it once the caller has
   * submitted the encoder (in the same task).
   */
  private readBuffer(encoder: GPUCommandEncoder, source: GPUBuffer, offset: number, bytes: number): Promise<Float32Array> {
    const staging = this.backend.bufferManager.acquireBuffer(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    encoder.copyBufferToBuffer(source, offset, staging, 0, bytes);
    return Promise.resolve().then(() => staging.mapAsync(GPUMapMode.READ)).then(() => {
      const values = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      return values;
    }).finally(() => this.backend.bufferManager.releaseBuffer(staging));
  }

  /**
   * Wall time of each kernel of one optimizer step on x and y (a real step: the weights are updated), each dispatch
   * submitted alone and awaited: for finding the slow kernel on adapters without timestamp queries, not step time.
   */
  async profileStep(x: tf.Tensor, y: tf.Tensor): Promise<{ label: string; ms: number }[]> {
    this.steps++;
    const encoder = this.encodeBatch(x, y, false); // copies the batch in; its dispatches are timed again below
    encoder.clearBuffer(this.buffer('grads'));
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    const order = [...Array.from({ length: this.accumulation }, (_, k) => this.microDispatches!.map((d) => ({ d, k }))).flat(),
      { d: this.stepDispatch!, k: 0 }];
    const times: { label: string; ms: number }[] = [];
    for (const { d, k } of order) {
      const start = performance.now();
      const single = this.device.createCommandEncoder();
      const pass = single.beginComputePass();
      this.encode(pass, d, k);
      pass.end();
      this.device.queue.submit([single.finish()]);
      await this.device.queue.onSubmittedWorkDone();
      times.push({ label: d.spec.label, ms: performance.now() - start });
    }
    this.copiedThrough = this.steps;
    return times;
  }

  /** Copies x and y in and encodes K micro-batches of forward, loss and backward (and Adam when `update`) in one pass. */
  private encodeBatch(x: tf.Tensor, y: tf.Tensor, update: boolean): GPUCommandEncoder {
    if (this.disposed) throw new Error('Fused engine: used after dispose().');
    if (!this.microDispatches || !this.stepDispatch) throw new Error('Fused engine: call compile() first.');
    const xBytes = this.buffer('x').size;
    const yBytes = this.buffer('y').size;
    if (x.dtype !== 'float32' || y.dtype !== 'float32' || x.size * 4 !== xBytes || y.size * 4 !== yBytes) {
      throw new Error(`Fused engine: expected float32 x of ${xBytes / 4} and y of ${yBytes / 4} values, got ${x.shape} and ${y.shape}.`);
    }
    const xBuffer = this.gpuBufferOf(x);
    const yBuffer = this.gpuBufferOf(y);
    if (this.backend.tensorMap.get(x.dataId)!.dtype !== 'float32') throw new Error('Fused engine: x is not stored as float32.');
    flushPendingReleases(this.backend); // tfjs's recorded commands run before ours
    this.writeStepUniform(update, this.backend.tensorMap.get(y.dataId)!.dtype !== 'float32');
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(xBuffer, 0, this.buffer('x'), 0, xBytes);
    encoder.copyBufferToBuffer(yBuffer, 0, this.buffer('y'), 0, yBytes);
    const pass = encoder.beginComputePass();
    for (let k = 0; k < this.accumulation; k++) {
      for (const dispatch of this.microDispatches) this.encode(pass, dispatch, k);
    }
    if (update) this.encode(pass, this.stepDispatch, 0);
    pass.end();
    return encoder;
  }

  private encode(pass: GPUComputePassEncoder, dispatch: Dispatch, micro: number): void {
    const [x, y] = grid(dispatch.spec.workgroups);
    pass.setPipeline(dispatch.pipeline);
    pass.setBindGroup(0, dispatch.bindGroups[micro] ?? dispatch.bindGroups[0]!);
    pass.dispatchWorkgroups(x, y);
  }

  /**
   * tfjs's Adam keeps beta^t as float32 variables multiplied once per step; the same products here. The learning rate
   * is the step's, so a schedule costs one uniform write, no program or dispatch.
   */
  private writeStepUniform(advance: boolean, integerLabels: boolean): void {
    const { learningRate, beta1, beta2, epsilon } = this.hyper;
    if (advance) {
      this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(beta1));
      this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(beta2));
    }
    const data = new ArrayBuffer(STEP_UNIFORM_BYTES);
    new Uint32Array(data, 0, 1)[0] = (advance ? this.steps - 1 : this.steps) % METRIC_SLOTS;
    new Float32Array(data, 4).set([
      learningRate(Math.max(0, this.steps - 1)), beta1, beta2, 1 - beta1, 1 - beta2, 1 - this.accBeta1, 1 - this.accBeta2, epsilon,
    ]);
    new Uint32Array(data, 36, 1)[0] = integerLabels ? 1 : 0;
    this.backend.queue.writeBuffer(this.buffer('step'), 0, data);
  }

  /** Records a copy of the metrics ring for the steps not copied yet; its values are collected once mapped. */
  private copyMetrics(encoder: GPUCommandEncoder): void {
    const from = this.copiedThrough + 1;
    const to = this.steps;
    this.copiedThrough = to;
    const done = this.readBuffer(encoder, this.buffer('metrics'), 0, METRIC_SLOTS * 8).then((ring) => {
      for (let step = from; step <= to; step++) {
        const slot = (step - 1) % METRIC_SLOTS;
        const metrics = { step, loss: ring[slot * 2]!, accuracy: ring[slot * 2 + 1]! };
        this.collected.push(metrics);
        if (!this.nonFinite && !Number.isFinite(metrics.loss)) this.nonFinite = metrics;
      }
    }).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** Bytes of the GPU buffers the engine holds (all through tfjs's buffer manager; read-back staging not included). */
  get bufferBytes(): number {
    return [...this.buffers.values()].reduce((sum, buffer) => sum + buffer.size, 0);
  }

  /** The first step whose loss was not finite, once its metrics have been read back (within metricsEvery steps). */
  get firstNonFiniteStep(): StepMetrics | null {
    return this.nonFinite;
  }

  /** Metrics of every step since the last call, oldest first; waits only for this read-back (and earlier ones). */
  async readMetrics(): Promise<StepMetrics[]> {
    if (this.steps > this.copiedThrough) {
      const encoder = this.device.createCommandEncoder();
      this.copyMetrics(encoder);
      this.device.queue.submit([encoder.finish()]);
    }
    await Promise.all([...this.inFlight]);
    return this.collected.splice(0).sort((a, b) => a.step - b.step);
  }

  /** Writes the trained weights and moving statistics back into the model's variables (for validation, inference, saving). */
  syncToModel(): void {
    for (const { name, slots, count } of this.flatBuffers) {
      const all = tf.tensor({ buffer: this.buffer(name) }, [count], 'float32');
      for (const { variable, offset, size } of slots) {
        tf.tidy(() => {
          variable.write(all.slice(offset, size).reshape(variable.shape as number[]));
        });
      }
      all.dispose();
    }
  }

  /** Returns every buffer to tfjs's buffer manager; compiled pipelines stay cached for the device. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const buffer of this.buffers.values()) this.backend.bufferManager.releaseBuffer(buffer);
    this.buffers.clear();
  }
}
