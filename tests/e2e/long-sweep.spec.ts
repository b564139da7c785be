import type { CDPSession, Page } from '@playwright/test';
import { expect, expectBackend, test } from './fixtures';

/** A top-level task of a thread, as recent Chromium names it (and as older versions did). */
const TASK_EVENTS = ['ThreadControllerImpl::RunTask', 'RunTask'];

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }

/**
 * Records every top-level task of the browser's threads (Chromium tracing, "toplevel" category). Each RunTask event has
 * its wall time (dur) and the CPU time the thread actually got (tdur). On a 2-core machine where SwiftShader's GPU
 * emulation keeps both cores busy, the main thread is often descheduled mid-task: wall time then says how busy the
 * machine was, thread time how much work the page did.
 */
async function startTrace(page: Page): Promise<() => Promise<{ dur: number; tdur: number }[]>> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', ({ value }) => { events.push(...(value as unknown as TraceEvent[])); });
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['toplevel', '__metadata'] }, transferMode: 'ReportEvents' });
  return async () => {
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
    // The page's main thread: a renderer's "CrRendererMain" (the one with the most tasks, should several exist).
    const mainThreads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const tasksOf = (thread: TraceEvent) => events.filter((e) => TASK_EVENTS.includes(e.name) && e.ph === 'X'
      && e.pid === thread.pid && e.tid === thread.tid && e.dur !== undefined);
    const tasks = mainThreads.map(tasksOf).sort((a, b) => b.length - a.length)[0] ?? [];
    return tasks.map((e) => ({ dur: e.dur! / 1000, tdur: (e.tdur ?? e.dur!) / 1000 }));
  };
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
  test.setTimeout(600_000);
  await page.addInitScript(() => {
    const longTasks: number[] = [];
    (window as unknown as { longTasks: number[] }).longTasks = longTasks;
    new PerformanceObserver((list) => { for (const entry of list.getEntries()) longTasks.push(entry.duration); })
      .observe({ type: 'longtask', buffered: false });
  });
  await page.goto('./');
  await expectBackend(page, 'webgpu');
  // mlp on 2 % of MNIST (160 training images), 25 batch sizes × 2 accumulation steps = 50 runs of a few steps each.
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.02');
  await page.getByRole('checkbox', { name: 'cnn-small' }).uncheck();
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  const batchSizes = Array.from({ length: 25 }, (_, i) => 8 + 2 * i);
  await page.getByLabel('Batch size values').fill(batchSizes.join(', '));
  await page.getByLabel('Accumulation steps values').fill('1, 2');
  await expect(page.getByTestId('sweep-summary')).toContainText('50 configurations');

  await page.evaluate(() => { (window as unknown as { longTasks: number[] }).longTasks.length = 0; });
  // Traced from the click to the end of the sweep, except while the heap is measured (a forced garbage collection,
  // which is the test's task on the page's thread, not the app's).
  let stopTrace = await startTrace(page);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const status = page.getByTestId('sweep-queue').getByTestId('row-status');
  await expect.poll(async () => (await status.allTextContents()).filter((s) => s === 'Finished').length, { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
  const tasks = await stopTrace();
  const heapEarly = await heapAfterGc(page);
  stopTrace = await startTrace(page);
  await expect.poll(async () => (await status.allTextContents()).filter((s) => s === 'Finished').length,
    { timeout: 540_000, intervals: [2000] }).toBe(50);
  tasks.push(...await stopTrace());
  const heapEnd = await heapAfterGc(page);
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const longestCpu = Math.max(0, ...tasks.map((t) => t.tdur));
  const overFrameCpu = tasks.filter((t) => t.tdur > 16).length;

  const saved = await savedResults(page);
  const MB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  console.log(`[measure] 50-run sweep: heap after 5 runs ${MB(heapEarly)} MiB, after 50 ${MB(heapEnd)} MiB; `
    + `main-thread tasks over 50 ms wall time: ${longTasks.length} (longest ${Math.max(0, ...longTasks).toFixed(0)} ms); `
    + `traced tasks ${tasks.length}, longest CPU time ${longestCpu.toFixed(1)} ms, over 16 ms CPU: ${overFrameCpu}, `
    + `over 50 ms wall: ${tasks.filter((t) => t.dur > 50).length}; `
    + `leaked tensors per run ${[...new Set(saved.map((r) => r.leakedTensors))].join(', ')}`);
  expect(saved).toHaveLength(50);
  expect(saved.every((r) => r.status === 'done' && r.leakedTensors === 0)).toBe(true);
  await expect(page.getByTestId('row-total')).toHaveCount(50);
  // 45 more results (curves, memory timelines) are kept on the page; anything beyond a few MiB would be a leak.
  expect(heapEnd - heapEarly).toBeLessThan(8 * 2 ** 20);
  // Training runs in workers, step events reach the page once per frame and a run's end is split into tasks of its own,
  // so no task of the page needs more than 50 ms of CPU (the bound) and only a few need more than a frame's
  // 16 ms (before the split: longest 67 ms, 84 over 16 ms). Wall time is reported, not asserted: on a 2-core machine
  // where SwiftShader's GPU emulation takes every core, the main thread is descheduled mid-task.
  expect(tasks.length).toBeGreaterThan(1000);
  expect(longestCpu).toBeLessThan(50);
  expect(overFrameCpu).toBeLessThanOrEqual(10);
  expect(watch.consoleErrors).toEqual([]);
});
