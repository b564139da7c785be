/** The startup job's summary: page open → first trained step over fresh page loads, and when each stage came. Pure. */
import { quantile } from '../core/measure/stats';
import { FIRST_STEP_MARK, STARTUP_MARKS, type StartupMark } from '../lib/startup-marks';
import type { StartupLoad, StartupSummary } from './types';

/** Issue 17's bound on page open → first trained step of the default run, on the software adapter. */
export const STARTUP_TARGET_MS = 4000;

export function summariseStartup(loads: StartupLoad[]): StartupSummary {
  const arrived = loads.filter((load) => load.marks[FIRST_STEP_MARK] !== undefined);
  const firstStepMs = arrived.map((load) => load.marks[FIRST_STEP_MARK]!);
  const medianMs = firstStepMs.length ? quantile(firstStepMs, 0.5) : null;
  const marks = (Object.keys(STARTUP_MARKS) as StartupMark[]).flatMap((name) => {
    const times = arrived.flatMap((load) => load.marks[name] ?? []);
    return times.length ? [{ name, meaning: STARTUP_MARKS[name], medianMs: quantile(times, 0.5), loads: times.length }] : [];
  });
  return {
    loads: loads.length,
    firstStepMs,
    medianMs,
    targetMs: STARTUP_TARGET_MS,
    verdict: medianMs === null ? 'n/a' : medianMs <= STARTUP_TARGET_MS ? 'PASS' : 'MISS',
    marks: marks.sort((a, b) => a.medianMs - b.medianMs),
    errors: loads.flatMap((load, i) => (load.error ? [`load ${i + 1}: ${load.error}`] : [])),
  };
}
