/**
 * User Timing marks on the way from page open to the first trained step (DevTools' Timings track; the bench's startup
 * job and the e2e test read them). Page marks are on the page's timeline, worker marks on the training worker's.
 */
export const STARTUP_MARKS = {
  'startup:worker-created': 'page: the spare training worker constructed',
  'startup:worker-evaluated': 'worker: its modules loaded and evaluated; it handles messages from here',
  'startup:backend-ready': 'worker: the tfjs backend initialised (adapter, device)',
  'startup:data-loaded': 'worker: the dataset fetched and decoded (a probe starts it before Run is pressed)',
  'startup:run-pressed': 'page: Run pressed',
  'startup:model': 'worker: the trainer builds the model',
  'startup:ready': 'worker: the data is on the device; shader compilation comes next',
  'startup:compile': 'worker: compilation started ("Compiling N GPU programs")',
  'startup:first-step': 'worker: the first step event posted (its loss read back)',
  'first-trained-step': 'page: the first step event arrived',
} as const;

export type StartupMark = keyof typeof STARTUP_MARKS;

/** The mark that ends the start-up: page open to the first trained step. */
export const FIRST_STEP_MARK: StartupMark = 'first-trained-step';

const marked = new Set<StartupMark>();

/** Marks `name` the first time it happens on this timeline (a page's later runs and sweeps are not start-up). */
export function markStartup(name: StartupMark): void {
  if (marked.has(name)) return;
  marked.add(name);
  performance.mark(name);
}
