import type { Worker } from '@playwright/test';
import { expect, test } from './fixtures';

const PAGE_MARKS = ['startup:worker-created', 'startup:run-pressed', 'first-trained-step'];
/** In the order the worker passes them for one run (backend and dataset load side by side, so those two are not ordered). */
const WORKER_MARKS = ['startup:worker-evaluated', 'startup:model', 'startup:ready', 'startup:compile', 'startup:first-step'];

/** Mark names of a page's or worker's timeline, in time order. */
const marksOf = (target: { evaluate: Worker['evaluate'] }) => target.evaluate(() => performance.getEntriesByType('mark').map((mark) => mark.name));

test('a run pressed at once on page open reaches its first step, and the start-up marks of page and worker exist', async ({ page, watch }) => {
  const workers: Worker[] = [];
  page.on('worker', (worker) => workers.push(worker));
  await page.goto('./');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForFunction(() => performance.getEntriesByName('first-trained-step').length > 0, undefined, { timeout: 200_000 });
  await expect(page.getByTestId('phase')).toContainText(/step \d+ of \d+/);

  expect(await marksOf(page)).toEqual(expect.arrayContaining(PAGE_MARKS));
  // The training worker is the one with start-up marks (a replaced spare or another worker has none).
  const names = (await Promise.all(workers.map((worker) => marksOf(worker).catch(() => [])))).find((marks) => marks.length > 0) ?? [];
  expect(names).toEqual(expect.arrayContaining([...WORKER_MARKS, 'startup:backend-ready', 'startup:data-loaded']));
  // Each mark once, and the run's stages in the order the worker passes them.
  expect(new Set(names).size).toBe(names.length);
  expect(WORKER_MARKS.map((name) => names.indexOf(name))).toEqual([...WORKER_MARKS.map((name) => names.indexOf(name))].sort((a, b) => a - b));

  // Stopped, or ended after the grace period when a loaded machine keeps a step longer: the page is ready again either way.
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled({ timeout: 60_000 });
  expect(watch.consoleErrors).toEqual([]);
});
