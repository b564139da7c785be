import { flushSync } from 'svelte';

/** The app's own work per task as User Timing measures (`app:…`, DevTools' Timings track; the long-sweep test reads them). */
export type TaskName =
  | 'app:sweep-start' // the Run sweep click: rows queued, the first run picked
  | 'app:worker-message' // a worker event other than a run's end (progress, ready, step or memory queued, epoch)
  | 'app:step-frame' // the step and memory events of a frame handed to charts and the queue
  | 'app:run-end' // a run's end (or its worker's crash): its row or summary updated, the next row picked
  | 'app:matrix-rows' // the sweep's rows published to the matrix, links and exports
  | 'app:history-save' // a finished run's result cloned into IndexedDB
  | 'app:history-list' // the saved run added to the history list
  | 'app:kept-run' // a finished run added to the model views (confusion matrix, mistakes, try it)
  | 'app:worker-start'; // the next run's worker started

/** Measures are dropped from the performance timeline every so many (observers and DevTools have seen them by then). */
const CLEAR_EVERY = 500;
let recorded = 0;

/** Runs `work` and the DOM updates it causes (flushed here, not in a later microtask) as one measure named `name`. */
export function timed<T>(name: TaskName, work: () => T): T {
  const start = performance.now();
  try {
    const result = work();
    flushSync();
    return result;
  } finally {
    performance.measure(name, { start });
    if (++recorded % CLEAR_EVERY === 0) performance.clearMeasures();
  }
}
