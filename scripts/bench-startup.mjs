// The bench's startup job: opens the app's page (index.html) in a fresh browser context per load (no cache, no service
// worker from an earlier load), presses Run from inside the page as soon as it is enabled, and reads the start-up marks
// of the page and of the training worker (src/lib/startup-marks.ts) once the first step event has arrived.

/** The mark that ends the start-up (FIRST_STEP_MARK in src/lib/startup-marks.ts). */
const FIRST_STEP_MARK = 'first-trained-step';
const isStartupMark = (name) => name === FIRST_STEP_MARK || name.startsWith('startup:');

/** The selected grid's startup job when --only lets it through, else null. */
export async function selectedStartupJob(benchPage, grid, only) {
  const grids = await benchPage.evaluate(() => window.benchGrids());
  const job = grids.find((g) => g.name === grid)?.startup ?? null;
  return job && (!only || new RegExp(only).test(job.id)) ? job : null;
}

/** The marks of one timeline with their times moved onto a clock that starts at `origin` (a timeOrigin, ms). */
function readMarks(target, origin) {
  return target.evaluate(({ originMs }) => performance.getEntriesByType('mark')
    .map((mark) => [mark.name, mark.startTime + performance.timeOrigin - (originMs ?? performance.timeOrigin)]), { originMs: origin });
}

async function measureLoad(browser, url, timeoutMs) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const workers = [];
    page.on('worker', (worker) => workers.push(worker));
    await page.goto(url);
    // Clicked from the page itself: Playwright's click waits for rendered frames, which a busy software GPU delays.
    await page.waitForFunction(() => {
      const run = [...document.querySelectorAll('button')].find((button) => button.textContent?.trim() === 'Run');
      if (!run || run.disabled) return false;
      run.click();
      return true;
    }, undefined, { polling: 20, timeout: timeoutMs });
    await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, FIRST_STEP_MARK, { polling: 50, timeout: timeoutMs });
    const origin = await page.evaluate(() => performance.timeOrigin);
    const marks = await readMarks(page, origin);
    for (const worker of workers) {
      // A worker that has ended (a probe's spare replaced) has nothing to read.
      marks.push(...await readMarks(worker, origin).catch(() => []));
    }
    return { marks: Object.fromEntries(marks.filter(([name]) => isStartupMark(name))), error: null };
  } catch (error) {
    return { marks: {}, error: error.message.split('\n')[0] };
  } finally {
    await context.close();
  }
}

/** The startup job's page loads, one after another (null without a job). */
export async function measureStartup(browser, url, job, timeoutMs) {
  if (!job) return null;
  const loads = [];
  for (let i = 0; i < job.loads; i++) {
    const load = await measureLoad(browser, url, timeoutMs);
    const firstStep = load.marks[FIRST_STEP_MARK];
    console.log(`[bench] startup load ${i + 1}/${job.loads}: ${firstStep === undefined ? `failed: ${load.error}` : `first trained step ${(firstStep / 1000).toFixed(2)} s after navigation start`}`);
    loads.push(load);
  }
  return loads;
}
