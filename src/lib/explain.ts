import type { RunConfig } from '../core/config';
import type { Environment } from '../core/environment';
import type { RowStatus } from '../core/matrix/types';
import { BATCH_NORM_MOMENTUM, BATCH_NORM_RECALIBRATION_IMAGES, MODEL_CATALOG } from '../core/models/catalog';

/** What the chosen precision really does on the backend in use: no toggle claims a saving it does not make. */
export function precisionNote(precision: RunConfig['precision'], environment: Environment | null): string {
  if (precision === 'fp32') return 'Everything in float32.';
  if (precision === 'fp16-storage') {
    return 'Real fp16 storage on WebGL (half-float textures): weights, Adam moments and activations are stored in half '
      + 'precision, arithmetic runs in fp32 shaders. There is no fp32 master copy, so dynamic loss scaling matters, and '
      + 'Adam’s epsilon is 1e-4 (tfjs’s 1e-7 is lost in half precision, and a step over an underflowed moment then blows up).';
  }
  const f16 = environment?.adapter ? ` This adapter ${environment.adapter.shaderF16 ? 'has' : 'does not have'} shader-f16; tfjs does not use it.` : '';
  if (precision === 'fp16-activations') {
    const where = environment && environment.backend !== 'webgpu'
      ? ` On the ${environment.backend} backend the saving is in its own memory, not GPU memory.` : '';
    return 'Real fp16 storage of activations (WebGPU, no shader-f16 needed): what the backward pass reads is kept as '
      + 'packed halves, two per 32-bit word (exact IEEE rounding, overflow to ±inf). Compute, weights (fp32 master copy), '
      + 'Adam state and gradients stay fp32. Part of the memory saving is the schedule, not the halves: BatchNorm and ReLU '
      + 'outputs are recomputed elementwise in the backward pass instead of kept, and each tensor is freed right after its '
      + `last use. Dynamic loss scaling skips steps with inf/NaN gradients.${where}${f16}`;
  }
  return 'fp16 numerics emulated — no memory saving. Weights stay fp32 (master copy); every layer output, the gradient '
    + 'flowing back through it and the weight gradients are rounded to half precision; dynamic loss scaling starts at 2^15 '
    + `and skips steps with inf/NaN gradients.${f16}`;
}

/** The batch arithmetic, what accumulation does to BatchNorm, and how its statistics are set before validation. */
export function accumulationNote(config: Pick<RunConfig, 'batchSize' | 'accumulationSteps' | 'model'>): string {
  const { batchSize, accumulationSteps: k } = config;
  if (batchSize % k !== 0) return 'The batch size must be a multiple of the accumulation steps.';
  const base = `Micro-batch ${batchSize / k} × ${k} accumulation step${k === 1 ? '' : 's'} = effective batch ${batchSize}.`;
  if (!MODEL_CATALOG[config.model].hasBatchNorm) return base;
  const accumulated = k === 1 ? '' : ` BatchNorm sees statistics of each micro-batch of ${batchSize / k}, not of the full `
    + `batch, and updates its moving averages once per micro-batch with momentum ${BATCH_NORM_MOMENTUM}^(1/${k}) ≈ ${(BATCH_NORM_MOMENTUM ** (1 / k)).toFixed(4)}, `
    + 'so the averages decay as if updated once per step.';
  // A short run's moving averages lag behind the weights; see batch-norm-statistics.ts.
  return `${base}${accumulated} Before each validation BatchNorm's statistics are recomputed from `
    + `${BATCH_NORM_RECALIBRATION_IMAGES} training images with the current weights (precise BatchNorm): the moving averages `
    + 'of a short run lag behind the weights.';
}

/** Row and run statuses in words (RunResult's statuses are a subset of the matrix's). */
export const STATUS_TEXT: Record<RowStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Finished',
  cancelled: 'Cancelled',
  failed: 'Failed',
  'over-budget': 'Over budget',
  oom: 'Out of memory',
};
