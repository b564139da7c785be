// Finds a Chromium-family browser for the end-to-end tests and the bench: CHROMIUM_PATH, then the usual locations on
// Linux, macOS and Windows, then a browser Playwright installed earlier, then Playwright's installer (needs the internet).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const LINUX_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/microsoft-edge',
  '/snap/bin/chromium',
];

const MACOS_APPS = ['Google Chrome', 'Chromium', 'Microsoft Edge'];

const WINDOWS_EXECUTABLES = [
  ['Google', 'Chrome', 'Application', 'chrome.exe'],
  ['Chromium', 'Application', 'chrome.exe'],
  ['Microsoft', 'Edge', 'Application', 'msedge.exe'],
];

const INSTALL_HINTS = {
  linux: 'Debian/Ubuntu: sudo apt-get install chromium',
  darwin: 'macOS: install Google Chrome, or brew install --cask chromium',
  win32: 'Windows: install Google Chrome, or winget install Google.Chrome',
};

/** One line saying what to install on `platform`.
 * @param {string} [platform] */
export function howToInstall(platform = process.platform) {
  const hint = INSTALL_HINTS[platform] ?? INSTALL_HINTS.linux;
  return `No Chromium, Chrome or Edge found for the end-to-end tests: install one (${hint}) ` +
    'or set CHROMIUM_PATH=/path/to/chrome, then run npm test again.';
}

export const HOW_TO_INSTALL = howToInstall();

/** Windows environment names are case-insensitive; an injected env is a plain object. */
function envValue(env, name) {
  return Object.entries(env).find(([key]) => key.toUpperCase() === name)?.[1];
}

/** The usual install locations of Chrome, Chromium and Edge on `platform`, most common first.
 * @param {string} [platform]
 * @param {Record<string, string | undefined>} [env] */
export function systemBrowserPaths(platform = process.platform, env = process.env) {
  if (platform === 'darwin') {
    const home = envValue(env, 'HOME');
    const roots = ['/Applications', ...(home ? [path.posix.join(home, 'Applications')] : [])];
    return roots.flatMap((root) => MACOS_APPS.map((app) => path.posix.join(root, `${app}.app`, 'Contents', 'MacOS', app)));
  }
  if (platform === 'win32') {
    const roots = [
      envValue(env, 'PROGRAMFILES') ?? 'C:\\Program Files',
      envValue(env, 'PROGRAMFILES(X86)') ?? 'C:\\Program Files (x86)',
      envValue(env, 'LOCALAPPDATA'),
    ].filter(Boolean);
    return roots.flatMap((root) => WINDOWS_EXECUTABLES.map((parts) => path.win32.join(root, ...parts)));
  }
  return LINUX_PATHS;
}

/** CHROMIUM_PATH if set (an error if it does not exist), else the first usual location that exists, else null.
 * @param {{ platform?: string, env?: Record<string, string | undefined>, exists?: (path: string) => boolean }} [options] */
export function findSystemBrowser({ platform = process.platform, env = process.env, exists = existsSync } = {}) {
  const override = env.CHROMIUM_PATH;
  if (override) {
    if (exists(override)) return override;
    throw new Error(`CHROMIUM_PATH is set to ${override}, which does not exist.`);
  }
  return systemBrowserPaths(platform, env).find((candidate) => exists(candidate)) ?? null;
}

function playwrightBrowser() {
  try {
    const executable = chromium.executablePath();
    return executable && existsSync(executable) ? executable : null;
  } catch {
    return null;
  }
}

export function findBrowser({ allowInstall = true } = {}) {
  const found = findSystemBrowser() ?? playwrightBrowser();
  if (found || !allowInstall) return found ?? null;
  try {
    const cli = fileURLToPath(new URL('../node_modules/@playwright/test/cli.js', import.meta.url));
    execFileSync(process.execPath, [cli, 'install', 'chromium'], { stdio: 'ignore', timeout: 180_000 });
  } catch {
    return null;
  }
  return playwrightBrowser();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = findBrowser();
  if (!found) {
    console.error(HOW_TO_INSTALL);
    process.exit(1);
  }
  console.log(found);
}
