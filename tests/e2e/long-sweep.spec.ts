import type { Page } from '@playwright/test';
import { startMainThreadTrace, summariseMainThread } from '../../scripts/main-thread-trace.mjs';
import { expect, useBackend, test } from './fixtures';

/** Durations (ms) of the app's own work per task, by User Timing measure name (`app:…`, src/state/task-timing.ts). */
type AppWork = Record<string, number[]>;

/** Count, median, 90th percentile and longest of one measure's durations, in ms. */
function describeWork(durations: number[]) {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, median: at(0.5), p90: at(0.9), longest: sorted.at(-1) ?? 0 };
}

/** JS heap of the page after a full garbage collection, in bytes (Chromium's DevTools protocol). */
async function heapAfterGc(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize;
}

/** Results saved in the history database, read straight from IndexedDB. */
function savedResults(page: Page) {
  return page.evaluate(() => new Promise<{ status: string; leakedTensors: number }[]>((resolve, reject) => {
    const open = indexedDB.open('webgpu-playground-history');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const read = open.result.transaction('runs').objectStore('runs').getAll();
      read.onsuccess = () => resolve(read.result.map((entry: { result: { status: string; memory: { leakedTensors: number } } }) =>
        ({ status: entry.result.status, leakedTensors: entry.result.memory.leakedTensors })));
      read.onerror = () => reject(read.error);
    };
  }));
}

test('a 50-configuration sweep runs to the end: no leaked tensors, stable heap, the page never freezes, all in history', async ({ page, watch }) => {
  // Alone it takes 3–5 min; with another test suite beside it on 2 cores, more than twice that (a limit, not a figure).
  test.setTimeout(900_000);
  await page.addInitScript(() => {
    // An observer sees every measure, also those the app has already cleared from the timeline (it clears them
    // every few hundred, so a long session does not grow the heap).
    const appWork: Record<string, number[]> = {};
    (window as unknown as { appWork: AppWork }).appWork = appWork;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.name.startsWith('app:')) (appWork[entry.name] ??= []).push(entry.duration);
    }).observe({ type: 'measure' });
  });
  await page.goto('./');
  await useBackend(page, 'webgpu');
  // mlp on 2 % of MNIST (160 training images), 25 batch sizes × 2 accumulation steps = 50 runs of a few steps each.
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.02');
  await page.getByRole('checkbox', { name: 'cnn-small' }).uncheck();
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  const batchSizes = Array.from({ length: 25 }, (_, i) => 8 + 2 * i);
  await page.getByLabel('Batch size values').fill(batchSizes.join(', '));
  await page.getByLabel('Accumulation steps values').fill('1, 2');
  await expect(page.getByTestId('sweep-summary')).toContainText('50 configurations');

  await page.evaluate(() => {
    for (const durations of Object.values((window as unknown as { appWork: AppWork }).appWork)) durations.length = 0;
  });
  // Traced from the click to the end of the sweep, except while the heap is measured (a forced garbage collection,
  // which is the test's task on the page's thread, not the app's).
  let stopTrace = await startMainThreadTrace(page);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const status = page.getByTestId('sweep-queue').getByTestId('row-status');
  await expect.poll(async () => (await status.allTextContents()).filter((s) => s === 'Finished').length, { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
  const tasks = await stopTrace();
  const heapEarly = await heapAfterGc(page);
  stopTrace = await startMainThreadTrace(page);
  await expect.poll(async () => (await status.allTextContents()).filter((s) => s === 'Finished').length,
    { timeout: 840_000, intervals: [2000] }).toBe(50);
  tasks.push(...await stopTrace());
  const heapEnd = await heapAfterGc(page);
  const mainThread = summariseMainThread(tasks);
  const appWork = Object.fromEntries(Object.entries(await page.evaluate(() => (window as unknown as { appWork: AppWork }).appWork))
    .map(([name, durations]) => [name, describeWork(durations)]));

  const saved = await savedResults(page);
  const MB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const ms = (value: number) => value.toFixed(1);
  console.log(`[measure] 50-run sweep: heap after 5 runs ${MB(heapEarly)} MiB, after 50 ${MB(heapEnd)} MiB; `
    + `traced main-thread tasks ${mainThread.tasks}, longest CPU time ${ms(mainThread.longestCpuMs)} ms, longest wall time `
    + `${ms(mainThread.longestWallMs)} ms, over 16 ms CPU: ${mainThread.overFrameCpu}, over 50 ms wall: ${mainThread.over50Wall}; `
    + `leaked tensors per run ${[...new Set(saved.map((r) => r.leakedTensors))].join(', ')}`);
  for (const [name, work] of Object.entries(appWork)) {
    console.log(`[measure] ${name}: ${work.count} tasks, median ${ms(work.median)} ms, p90 ${ms(work.p90)} ms, longest ${ms(work.longest)} ms`);
  }
  expect(saved).toHaveLength(50);
  expect(saved.every((r) => r.status === 'done' && r.leakedTensors === 0)).toBe(true);
  await expect(page.getByTestId('row-total')).toHaveCount(50);
  // 45 more results (curves, memory timelines) are kept on the page; anything beyond a few MiB would be a leak.
  expect(heapEnd - heapEarly).toBeLessThan(8 * 2 ** 20);
  expect(mainThread.tasks).toBeGreaterThan(1000);
  // What the app controls, asserted on medians of its own User Timing measures (a loaded 2-core machine deschedules the
  // page now and then, which moves a longest value, not a median). Measured on an idle 2-core machine: run-end median
  // 2.1 ms (p90 5.1), matrix rows 32 ms, history list 17 ms, anything else ≤ 2.5 ms. A run's end in one task (queue row,
  // matrix rows, history clone and next worker start together) makes the run-end median ≥ 30 ms: the bound of 15 ms
  // holds on a machine 5× slower than that idle one and fails with the split undone.
  expect(appWork['app:run-end']?.count).toBe(50);
  expect(appWork['app:run-end']!.median).toBeLessThan(15);
  // No measure's median beyond 150 ms (≈ 5× the slowest idle median, the matrix rows of 50 runs).
  for (const [name, work] of Object.entries(appWork)) expect(work.median, name).toBeLessThan(150);
  // No freeze: the strict 50 ms-of-CPU bound lives in `npm run bench -- --main-thread`; here only that no task of
  // the page's main thread took seconds of wall time (longest measured idle: 82 ms).
  expect(mainThread.longestWallMs).toBeLessThan(2000);
  expect(watch.consoleErrors).toEqual([]);
});
