/** When a run validates (every N steps, every T seconds of training, or per epoch; always at an epoch's end), and what follows from it. */

export const VALIDATION_UNITS = ['epoch', 'steps', 'seconds'] as const;
export type ValidationUnit = (typeof VALIDATION_UNITS)[number];

export interface ValidationCadence {
  unit: ValidationUnit;
  /** Optimizer steps (a whole number) or seconds of training between validations; unused for 'epoch'. */
  interval: number;
}

export interface CadenceClock {
  /**
   * Whether to validate after optimizer step `step` (1-based), `elapsedTrainMs` of training into the run (validation
   * time excluded, so a slow validation does not shorten the training between two), at an epoch's end or not.
   */
  shouldValidate(step: number, elapsedTrainMs: number, endOfEpoch: boolean): boolean;
}

/**
 * steps: after every step that is a multiple of the interval. seconds: once at least `interval` seconds of training
 * passed since the previous validation (of any kind). Every epoch's end validates in all units.
 */
export function createCadenceClock(cadence: ValidationCadence): CadenceClock {
  let lastValidationMs = 0;
  return {
    shouldValidate(step, elapsedTrainMs, endOfEpoch) {
      let due = endOfEpoch;
      if (cadence.unit === 'steps') due ||= step % cadence.interval === 0;
      if (cadence.unit === 'seconds') due ||= elapsedTrainMs - lastValidationMs >= cadence.interval * 1000;
      if (due) lastValidationMs = elapsedTrainMs;
      return due;
    },
  };
}

/** Wall time of the first validation at or above the target (the first crossing, not the best); null = never reached. */
export function timeToTarget(curve: readonly { valAccuracy: number; elapsedMs: number }[], target: number): number | null {
  return curve.find((record) => record.valAccuracy >= target)?.elapsedMs ?? null;
}

/** Early stopping with the patience counted in validations: stop after `patience` validations without a lower loss. */
export class EarlyStopping {
  private bestLoss = Number.POSITIVE_INFINITY;
  /** 1-based index of the validation with the lowest loss so far. */
  bestValidation = 0;
  private validations = 0;

  constructor(private readonly patience: number) {}

  /** Records one validation's loss; true when the run should stop (never with patience 0). */
  observe(valLoss: number): boolean {
    this.validations++;
    if (valLoss < this.bestLoss) {
      this.bestLoss = valLoss;
      this.bestValidation = this.validations;
      return false;
    }
    return this.patience > 0 && this.validations - this.bestValidation >= this.patience;
  }
}

/** The cadence in words, e.g. "every 25 steps and at each epoch's end" (results from before the setting: per epoch). */
export function describeCadence(cadence: ValidationCadence): string {
  if (cadence.unit === 'steps') return `every ${cadence.interval} step${cadence.interval === 1 ? '' : 's'} and at each epoch's end`;
  if (cadence.unit === 'seconds') return `every ${cadence.interval} s of training and at each epoch's end`;
  return "at each epoch's end";
}
