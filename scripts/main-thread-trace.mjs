// Records the top-level tasks of a page's main thread with Chromium's tracing: the long-sweep e2e test reports them,
// `npm run bench -- --main-thread` holds them to the 50 ms target (bench/README.md).

/** A top-level task of a thread, as recent Chromium names it (and as older versions did). */
const TASK_EVENTS = ['ThreadControllerImpl::RunTask', 'RunTask'];

/**
 * @typedef {{ dur: number, tdur: number }} MainThreadTask wall time (dur) and the CPU time the thread got (tdur), in ms
 * @typedef {{ name: string, ph: string, pid: number, tid: number, dur?: number, tdur?: number, args?: { name?: string } }} TraceEvent
 */

/**
 * Starts tracing every top-level task ("toplevel" category) of the browser; the function it returns stops and gives
 * the page's main-thread tasks. Wall time says how busy the machine was (on 2 cores where SwiftShader's GPU emulation
 * takes both, the main thread is descheduled mid-task); CPU time says how much work the page did.
 * @param {import('@playwright/test').Page} page
 * @returns {Promise<() => Promise<MainThreadTask[]>>}
 */
export async function startMainThreadTrace(page) {
  const cdp = await page.context().newCDPSession(page);
  /** @type {TraceEvent[]} */
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => { events.push(.../** @type {TraceEvent[]} */ (value)); });
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['toplevel', '__metadata'] }, transferMode: 'ReportEvents' });
  return async () => {
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
    // The page's main thread: a renderer's "CrRendererMain" (the one with the most tasks, should several exist).
    const mainThreads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    /** @param {TraceEvent} thread */
    const tasksOf = (thread) => events.filter((e) => TASK_EVENTS.includes(e.name) && e.ph === 'X'
      && e.pid === thread.pid && e.tid === thread.tid && e.dur !== undefined);
    const tasks = mainThreads.map(tasksOf).sort((a, b) => b.length - a.length)[0] ?? [];
    return tasks.map((e) => ({ dur: /** @type {number} */ (e.dur) / 1000, tdur: (e.tdur ?? /** @type {number} */ (e.dur)) / 1000 }));
  };
}

/**
 * The figures both report: longest task by CPU and by wall time, and how many tasks took more than a frame (16 ms) of CPU.
 * @param {MainThreadTask[]} tasks
 */
export function summariseMainThread(tasks) {
  return {
    tasks: tasks.length,
    longestCpuMs: tasks.reduce((longest, t) => Math.max(longest, t.tdur), 0),
    longestWallMs: tasks.reduce((longest, t) => Math.max(longest, t.dur), 0),
    overFrameCpu: tasks.filter((t) => t.tdur > 16).length,
    over50Wall: tasks.filter((t) => t.dur > 50).length,
  };
}
