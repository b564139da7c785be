// Finds a Chromium-family browser for the end-to-end tests: CHROMIUM_PATH, then the usual system locations,
// then a browser Playwright installed earlier, then Playwright's installer (needs the internet). Prints the path.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

const SYSTEM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/microsoft-edge',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
];

const HOW_TO_INSTALL = 'No Chromium or Chrome found for the end-to-end tests: install one (Debian/Ubuntu: sudo apt-get install chromium) ' +
  'or set CHROMIUM_PATH=/path/to/chrome, then run npm test again.';

function playwrightBrowser() {
  try {
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export function findBrowser({ allowInstall = true } = {}) {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (existsSync(override)) return override;
    throw new Error(`CHROMIUM_PATH is set to ${override}, which does not exist.`);
  }
  const found = SYSTEM_PATHS.find((path) => existsSync(path)) ?? playwrightBrowser();
  if (found || !allowInstall) return found ?? null;
  try {
    execFileSync(process.execPath, [new URL('../node_modules/@playwright/test/cli.js', import.meta.url).pathname, 'install', 'chromium'],
      { stdio: 'ignore', timeout: 180_000 });
  } catch {
    return null;
  }
  return playwrightBrowser();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = findBrowser();
  if (!path) {
    console.error(HOW_TO_INSTALL);
    process.exit(1);
  }
  console.log(path);
}

export { HOW_TO_INSTALL };
