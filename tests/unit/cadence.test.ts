import { describe, expect, it } from 'vitest';
import { EarlyStopping, createCadenceClock, describeCadence, timeToTarget } from '../../src/core/train/cadence';

/** The steps after which a clock validates, for `steps` steps of `msPerStep` each and epochs of `stepsPerEpoch`. */
function validatedSteps(clock: ReturnType<typeof createCadenceClock>, steps: number, stepsPerEpoch: number, msPerStep: number) {
  const validated: number[] = [];
  for (let step = 1; step <= steps; step++) {
    if (clock.shouldValidate(step, step * msPerStep, step % stepsPerEpoch === 0)) validated.push(step);
  }
  return validated;
}

describe('validation cadence', () => {
  it('epoch: only at the end of every epoch', () => {
    expect(validatedSteps(createCadenceClock({ unit: 'epoch', interval: 25 }), 30, 10, 100)).toEqual([10, 20, 30]);
  });

  it('steps: after every multiple of N, plus every epoch end', () => {
    expect(validatedSteps(createCadenceClock({ unit: 'steps', interval: 4 }), 24, 10, 100)).toEqual([4, 8, 10, 12, 16, 20, 24]);
  });

  it('seconds: once T seconds of training passed since the previous validation, an epoch end restarting the count', () => {
    // 300 ms per step, T = 1 s: 1.2 s (step 4), 2.4 s (8), epoch end at 10 (3.0 s), then 4.2 s (14), …
    expect(validatedSteps(createCadenceClock({ unit: 'seconds', interval: 1 }), 20, 10, 300)).toEqual([4, 8, 10, 14, 18, 20]);
  });
});

describe('the cadence in words', () => {
  it('names the unit and the epoch ends', () => {
    expect(describeCadence({ unit: 'steps', interval: 25 })).toBe("every 25 steps and at each epoch's end");
    expect(describeCadence({ unit: 'seconds', interval: 2.5 })).toBe("every 2.5 s of training and at each epoch's end");
    expect(describeCadence({ unit: 'epoch', interval: 25 })).toBe("at each epoch's end");
  });
});

describe('time to target', () => {
  it('is the first crossing, not the best or the last validation', () => {
    const curve = [
      { valAccuracy: 0.90, elapsedMs: 1000 },
      { valAccuracy: 0.971, elapsedMs: 2000 },
      { valAccuracy: 0.965, elapsedMs: 3000 },
      { valAccuracy: 0.98, elapsedMs: 4000 },
    ];
    expect(timeToTarget(curve, 0.97)).toBe(2000);
    expect(timeToTarget(curve, 0.99)).toBeNull();
  });
});

describe('early stopping', () => {
  it('counts its patience in validations since the lowest loss', () => {
    const stopping = new EarlyStopping(2);
    expect([1.0, 0.8, 0.9, 0.7, 0.75, 0.71].map((loss) => stopping.observe(loss))).toEqual([false, false, false, false, false, true]);
    expect(stopping.bestValidation).toBe(4);
  });

  it('never stops with patience 0', () => {
    const stopping = new EarlyStopping(0);
    expect([1, 2, 3, 4].some((loss) => stopping.observe(loss))).toBe(false);
  });
});
