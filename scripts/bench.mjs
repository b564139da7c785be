// npm run bench [-- options]: builds the app, serves dist/ on a free local port, runs a benchmark grid on bench.html in
// headless Chromium, prints the table and the ratios, and writes the whole report as JSON under bench/results/.
// See bench/README.md for the options and for how to read every column and ratio.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { findBrowser, HOW_TO_INSTALL } from './find-browser.mjs';
import { measureStartup, selectedStartupJob } from './bench-startup.mjs';
import { startMainThreadTrace, summariseMainThread } from './main-thread-trace.mjs';
import { CHROMIUM_ARGS, DIST, GPU_ARGS, RESULTS, build, openBenchPage, serveDist, timestamp } from './bench-harness.mjs';

const USAGE = `Usage: npm run bench -- [options]
  --grid <name>        grid to run: default, quick, full (default: default)
  --quick              same as --grid quick
  --only <regex>       run only the jobs whose id matches, e.g. --only 'webgpu' or --only 'K[14]'
  --list               print the grids and their job ids, then exit
  --no-build           serve the existing dist/ instead of running npm run build first
  --job-timeout <min>  end a job that runs longer than this many minutes (default 10)
  --out <file>         write the JSON here instead of bench/results/<timestamp>.json
  --gpu                also pass flags that ask Chromium for a hardware GPU in headless mode (real GPUs only)
  --main-thread        instead of a grid: a 10-run sweep on the app's page, longest main-thread task (target ≤ 50 ms CPU)
Environment: CHROMIUM_PATH picks the browser; BENCH_GRID sets the default grid.`;

function parseArgs(argv) {
  const options = { grid: process.env.BENCH_GRID || 'default', only: null, list: false, build: true, jobTimeoutMin: 10, out: null, gpu: false, mainThread: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value.`);
      return next;
    };
    if (arg === '--grid') options.grid = value();
    else if (arg === '--quick') options.grid = 'quick';
    else if (arg === '--only') options.only = value();
    else if (arg === '--list') options.list = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--job-timeout') {
      options.jobTimeoutMin = Number(value());
      if (!(options.jobTimeoutMin > 0)) throw new Error('--job-timeout must be a positive number of minutes.');
    } else if (arg === '--out') options.out = value();
    else if (arg === '--gpu') options.gpu = true;
    else if (arg === '--main-thread') options.mainThread = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}.\n${USAGE}`);
  }
  if (options.only !== null) new RegExp(options.only); // fail early on a bad pattern
  return options;
}

/** The bound on one task of the app's main thread, in ms of CPU time. */
const MAIN_THREAD_TARGET_MS = 50;

/**
 * --main-thread: the app's own page (index.html) runs a 10-configuration sweep (mlp on 2 % of MNIST, batch 8–40, K=1
 * and 2) with its main thread traced from the click to the last row; the longest task's CPU time has the target.
 */
async function benchMainThread(browser, url, options) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => console.error(`[page uncaught] ${error.message}`));
  await page.goto(url);
  const backend = page.getByTestId('backend-name');
  await page.waitForFunction(() => document.querySelector('[data-testid="backend-name"]')?.textContent?.trim(), undefined, { timeout: 60_000 });
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.02');
  await page.getByRole('checkbox', { name: 'cnn-small' }).uncheck();
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  await page.getByLabel('Batch size values').fill('8, 16, 24, 32, 40');
  await page.getByLabel('Accumulation steps values').fill('1, 2');
  await page.getByTestId('sweep-summary').filter({ hasText: '10 configurations' }).waitFor();
  const sweep = `mlp on 2 % of MNIST, batch 8–40 × K 1 and 2, backend ${(await backend.textContent())?.trim()}`;
  console.log(`[bench] main thread: a 10-run sweep on ${url} (${sweep})…`);

  const startedAt = new Date();
  const stopTrace = await startMainThreadTrace(page);
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const stopButton = page.getByRole('button', { name: 'Stop sweep' });
  await stopButton.and(page.locator(':enabled')).waitFor();
  await stopButton.and(page.locator(':disabled')).waitFor({ timeout: options.jobTimeoutMin * 60_000 });
  const mainThread = summariseMainThread(await stopTrace());
  const statuses = await page.getByTestId('sweep-queue').getByTestId('row-status').allTextContents();
  const finished = statuses.filter((text) => text === 'Finished').length;

  const verdict = mainThread.longestCpuMs <= MAIN_THREAD_TARGET_MS ? 'PASS' : 'MISS';
  const ms = (value) => `${value.toFixed(1)} ms`;
  console.log('');
  console.log(`Main thread of the app's page during the sweep (${finished} of 10 runs finished; ${mainThread.tasks} top-level tasks traced):`);
  console.log(`  ${verdict}  ${ms(mainThread.longestCpuMs).padStart(8)}  ≤ ${MAIN_THREAD_TARGET_MS} ms CPU  longest task, CPU time `
    + `(wall ${ms(mainThread.longestWallMs)}; ${mainThread.overFrameCpu} tasks over 16 ms CPU, ${mainThread.over50Wall} over 50 ms wall)`);
  const out = options.out ? resolve(options.out) : join(RESULTS, `${timestamp(startedAt)}-main-thread.json`);
  mkdirSync(resolve(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    kind: 'main-thread', startedAt: startedAt.toISOString(), sweep, statuses, mainThread, targetCpuMs: MAIN_THREAD_TARGET_MS, verdict,
    browser: { version: browser.version() },
  }, null, 2)}\n`);
  console.log(`[bench] JSON written to ${out}`);
  if (finished < statuses.length) console.error(`[bench] ${statuses.length - finished} run(s) of the sweep did not finish: ${statuses.join(', ')}.`);
  return finished === statuses.length && statuses.length === 10 ? 0 : 1;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const browserPath = findBrowser();
  if (!browserPath) throw new Error(HOW_TO_INSTALL);
  if (options.build) build('bench');
  if (!existsSync(join(DIST, 'bench.html'))) throw new Error('dist/bench.html is missing: run without --no-build (npm run build).');

  const { server, url } = await serveDist();
  const args = options.gpu ? [...CHROMIUM_ARGS, ...GPU_ARGS] : CHROMIUM_ARGS;
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args });
  const wallStart = Date.now();
  try {
    if (options.mainThread) return await benchMainThread(browser, url, options);
    const page = await openBenchPage(browser, url);

    if (options.list) {
      const grids = await page.evaluate(() => window.benchGrids());
      for (const grid of grids) {
        console.log(`${grid.name}: ${grid.description}`);
        for (const job of grid.jobs) console.log(`  ${job}`);
      }
      return 0;
    }

    console.log(`[bench] browser: ${browserPath} (${browser.version()}), serving ${url}`);
    // The startup job opens the app's own page, so it runs here, before bench.html's jobs; its loads go into the report.
    const startupJob = await selectedStartupJob(page, options.grid, options.only);
    const startup = await measureStartup(browser, url, startupJob, options.jobTimeoutMin * 60_000);
    const report = await page.evaluate(
      (runOptions) => window.runBench(runOptions),
      { grid: options.grid, only: options.only, jobTimeoutMs: options.jobTimeoutMin * 60_000, startup },
    );
    const text = await page.evaluate((r) => window.formatBenchReport(r), report);
    const out = options.out ? resolve(options.out) : join(RESULTS, `${timestamp(new Date(report.startedAt))}.json`);
    mkdirSync(resolve(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ ...report, browser: { path: browserPath, version: browser.version(), args } }, null, 2)}\n`);
    console.log('');
    console.log(text);
    console.log('');
    console.log(`[bench] wall time ${((Date.now() - wallStart) / 1000).toFixed(0)} s; JSON written to ${out}`);
    const failed = report.rows.filter((row) => row.status !== 'done').length
      + report.outcomes.filter((outcome) => outcome.kind === 'matmul' && !outcome.ok).length + (report.startup?.errors.length ?? 0);
    if (failed > 0) console.error(`[bench] ${failed} job(s) did not finish: see the notes under the table.`);
    return failed > 0 ? 1 : 0;
  } finally {
    await browser.close();
    server.close();
  }
}

main().then((code) => process.exit(code), (error) => {
  console.error(`[bench] ${error.message}`);
  process.exit(1);
});
