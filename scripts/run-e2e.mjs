// Runs the end-to-end tests: finds a browser (or says in one line what to install), builds the app, runs Playwright.
import { spawnSync } from 'node:child_process';
import { findBrowser, HOW_TO_INSTALL } from './find-browser.mjs';

let browser;
try {
  browser = findBrowser();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
if (!browser) {
  console.error(HOW_TO_INSTALL);
  process.exit(1);
}
console.log(`[e2e] browser: ${browser}`);

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, CHROMIUM_PATH: browser } }).status ?? 1;
const outDir = process.env.E2E_OUT_DIR;
const build = run('npm', ['run', 'build', '--silent', ...(outDir ? ['--', '--outDir', outDir, '--emptyOutDir'] : [])]);
if (build !== 0) process.exit(build);
process.exit(run('npx', ['playwright', 'test', ...process.argv.slice(2)]));
