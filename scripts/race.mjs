// npm run race [-- options]: trains configurations one after another in headless Chromium on the bench page (the
// app's own training worker, a fresh one per run), then prints them ranked by time to target — wall time from the
// start of training, shader compilation and validation included, to the first validation at or above the target.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { tsImport } from 'tsx/esm/api';
import { findBrowser, HOW_TO_INSTALL } from './find-browser.mjs';
import { CHROMIUM_ARGS, DIST, GPU_ARGS, RESULTS, build, openBenchPage, serveDist, timestamp } from './bench-harness.mjs';

const { defaultRunConfig, validateRunConfig } = await tsImport('../src/core/config.ts', import.meta.url);
const { FASTEST_TO_TARGET } = await tsImport('../src/core/presets.ts', import.meta.url);
const { formatRaceTable, rankRace } = await tsImport('../src/core/race.ts', import.meta.url);

const USAGE = `Usage: npm run race -- [options]
  --preset <dataset>   race the "fastest to target" preset of mnist or fashion-mnist (repeatable)
  --config <json>      race a configuration: RunConfig fields as JSON over the defaults, e.g.
                       '{"model":"cnn-small","backend":"webgl","engine":"tfjs","batchSize":64,"targetAccuracy":0.97}' (repeatable)
  --base <json>        fields applied to every --config (e.g. the dataset, the target and the validation cadence)
  --no-build           serve the existing build instead of running npm run build first
  --dist <dir>         build into and serve this folder (default: dist/)
  --job-timeout <min>  end a run that takes longer than this many minutes (default 10)
  --out <file>         write the JSON here instead of bench/results/<timestamp>-race.json
  --keep-going         train every run to its end (default: a run stops at its first validation at or above the target)
  --gpu                also pass flags that ask Chromium for a hardware GPU in headless mode (real GPUs only)
Without --preset or --config it races every preset.
Reference (issue 19, not run here): a plain tfjs loop, the tfjs tutorial CNN, Adam 0.003, batch 64, WebGL, validation
every 25 steps, reached 97 % on MNIST in about 187 s on a 2-core machine with software adapters.`;

function parseArgs(argv) {
  const options = { presets: [], configs: [], base: {}, build: true, dist: DIST, stopAtTarget: true, jobTimeoutMin: 10, out: null, gpu: false };
  const json = (flag, text) => {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`${flag} needs JSON: ${error.message}`, { cause: error });
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value.`);
      return next;
    };
    if (arg === '--preset') {
      const dataset = value();
      if (!FASTEST_TO_TARGET[dataset]) throw new Error(`No preset for "${dataset}": choose ${Object.keys(FASTEST_TO_TARGET).join(' or ')}.`);
      options.presets.push(dataset);
    } else if (arg === '--config') options.configs.push(json(arg, value()));
    else if (arg === '--base') options.base = json(arg, value());
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--keep-going') options.stopAtTarget = false;
    else if (arg === '--dist') options.dist = resolve(value());
    else if (arg === '--job-timeout') {
      options.jobTimeoutMin = Number(value());
      if (!(options.jobTimeoutMin > 0)) throw new Error('--job-timeout must be a positive number of minutes.');
    } else if (arg === '--out') options.out = value();
    else if (arg === '--gpu') options.gpu = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}.\n${USAGE}`);
  }
  if (options.presets.length === 0 && options.configs.length === 0) options.presets = Object.keys(FASTEST_TO_TARGET);
  return options;
}

/** What sets a racer apart, as one id: "cnn-small b64 webgpu/fused fp32 lr 0.003 constant 3 ep, mnist → 97 %, validate every 25 steps". */
function describe(config) {
  const every = config.validationUnit === 'epoch' ? 'validate per epoch' : `validate every ${config.validationInterval} ${config.validationUnit}`;
  const cadence = config.validationSample === 'all' ? every : `${every} on ${config.validationSample}`;
  const accumulation = config.accumulationSteps > 1 ? ` K${config.accumulationSteps}` : '';
  const subset = config.subsetFraction < 1 ? ` ${config.subsetFraction * 100} % of` : '';
  return `${config.model} b${config.batchSize}${accumulation} ${config.backend}/${config.engine} ${config.precision} lr ${config.learningRate} `
    + `${config.learningRateSchedule} ${config.epochs} ep,${subset} ${config.dataset} → ${config.targetAccuracy * 100} %, ${cadence}`;
}

/** The racers as bench jobs: each configuration validated as the app would validate it, ids made unique. */
function raceJobs(options) {
  const configs = [
    ...options.presets.map((dataset) => ({ ...defaultRunConfig(), dataset, ...FASTEST_TO_TARGET[dataset].settings })),
    ...options.configs.map((fields) => ({ ...defaultRunConfig(), ...options.base, ...fields })),
  ];
  const seen = new Map();
  return configs.map((input) => {
    const checked = validateRunConfig(input);
    if (!checked.ok) throw new Error(`Not a valid configuration: ${checked.errors.map((e) => e.message).join(' ')}`);
    const id = describe(checked.config);
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    return { id: count > 1 ? `${id} #${count}` : id, kind: 'trainer', config: checked.config };
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const jobs = raceJobs(options);
  const browserPath = findBrowser();
  if (!browserPath) throw new Error(HOW_TO_INSTALL);
  if (options.build) build('race', options.dist);
  if (!existsSync(join(options.dist, 'bench.html'))) throw new Error(`${options.dist}/bench.html is missing: run without --no-build.`);

  const { server, url } = await serveDist(options.dist);
  const args = options.gpu ? [...CHROMIUM_ARGS, ...GPU_ARGS] : CHROMIUM_ARGS;
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args });
  try {
    const page = await openBenchPage(browser, url);
    console.log(`[race] ${jobs.length} configuration(s) in ${browserPath} (${browser.version()}):`);
    for (const job of jobs) console.log(`[race]   ${job.id}`);
    const report = await page.evaluate(
      (runOptions) => window.runBench(runOptions),
      { grid: 'race', jobs, stopAtTarget: options.stopAtTarget, jobTimeoutMs: options.jobTimeoutMin * 60_000 },
    );
    const entries = report.outcomes.filter((outcome) => outcome.kind === 'trainer' && outcome.result)
      .map((outcome) => ({ id: outcome.id, label: outcome.id, result: outcome.result }));
    // A run stopped at its target says so rather than "cancelled".
    const rows = rankRace(entries).map((row) => (row.status === 'cancelled' && row.timeToTargetMs !== null ? { ...row, status: 'stopped at target' } : row));
    const out = options.out ? resolve(options.out) : join(RESULTS, `${timestamp(new Date(report.startedAt))}-race.json`);
    mkdirSync(resolve(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify({
      kind: 'race', startedAt: report.startedAt, rows, adapters: report.adapters, webglUnmaskedRenderer: report.webglUnmaskedRenderer,
      browser: { path: browserPath, version: browser.version(), args }, outcomes: report.outcomes,
    }, null, 2)}\n`);
    console.log('');
    console.log(`Race to the target, ${report.startedAt.slice(0, 10)} (time to target: wall time from the start of training, shader `
      + 'compilation and validation included, to the first validation at or above the target):');
    console.log(formatRaceTable(rows));
    for (const adapter of report.adapters) console.log(`  ${adapter.backend}: ${adapter.description}`);
    if (report.webglUnmaskedRenderer) console.log(`  WebGL renderer: ${report.webglUnmaskedRenderer}`);
    console.log('');
    console.log(`[race] JSON written to ${out}`);
    const failed = report.outcomes.filter((outcome) => !outcome.ok && !(outcome.result?.status === 'cancelled' && outcome.result.timing.timeToTargetMs !== null));
    for (const outcome of failed) console.error(`[race] ${outcome.id} did not finish: ${outcome.error ?? outcome.result?.reason ?? 'see the JSON'}`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await browser.close();
    server.close();
  }
}

main().then((code) => process.exit(code), (error) => {
  console.error(`[race] ${error.message}`);
  process.exit(1);
});
