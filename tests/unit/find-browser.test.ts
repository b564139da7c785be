import { describe, expect, it } from 'vitest';
import { findSystemBrowser, howToInstall, systemBrowserPaths } from '../../scripts/find-browser.mjs';

/** An exists() that knows only `present`, recording what it was asked. */
function fakeFileSystem(...present: string[]) {
  const asked: string[] = [];
  return { asked, exists: (candidate: string) => (asked.push(candidate), present.includes(candidate)) };
}

describe('systemBrowserPaths', () => {
  it('looks in /Applications and ~/Applications on macOS', () => {
    const paths = systemBrowserPaths('darwin', { HOME: '/Users/ada' });
    expect(paths).toContain('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(paths).toContain('/Applications/Chromium.app/Contents/MacOS/Chromium');
    expect(paths).toContain('/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge');
    expect(paths).toContain('/Users/ada/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
  });

  it('looks under Program Files, Program Files (x86) and the user\'s LocalAppData on Windows, whatever the case of the names', () => {
    const env = { ProgramFiles: 'D:\\Apps', 'ProgramFiles(x86)': 'D:\\Apps32', LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' };
    const paths = systemBrowserPaths('win32', env);
    expect(paths).toContain('D:\\Apps\\Google\\Chrome\\Application\\chrome.exe');
    expect(paths).toContain('D:\\Apps32\\Microsoft\\Edge\\Application\\msedge.exe');
    expect(paths).toContain('C:\\Users\\ada\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe');
    expect(paths.every((candidate) => !candidate.includes('/'))).toBe(true);
  });

  it('falls back to the default Program Files folders when Windows does not name them', () => {
    const paths = systemBrowserPaths('win32', {});
    expect(paths).toContain('C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe');
    expect(paths).toContain('C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe');
  });

  it('looks in /usr/bin and /snap/bin on Linux', () => {
    expect(systemBrowserPaths('linux', {})).toEqual(expect.arrayContaining(['/usr/bin/chromium', '/usr/bin/google-chrome', '/snap/bin/chromium']));
  });
});

describe('findSystemBrowser', () => {
  it('takes the first usual location that exists', () => {
    const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
    const { exists } = fakeFileSystem(edge);
    expect(findSystemBrowser({ platform: 'win32', env: {}, exists })).toBe(edge);
  });

  it('prefers CHROMIUM_PATH and looks nowhere else', () => {
    const files = fakeFileSystem('/opt/chrome', '/usr/bin/chromium');
    expect(findSystemBrowser({ platform: 'linux', env: { CHROMIUM_PATH: '/opt/chrome' }, exists: files.exists })).toBe('/opt/chrome');
    expect(files.asked).toEqual(['/opt/chrome']);
  });

  it('says so when CHROMIUM_PATH names nothing', () => {
    const { exists } = fakeFileSystem('/usr/bin/chromium');
    expect(() => findSystemBrowser({ platform: 'linux', env: { CHROMIUM_PATH: '/nowhere/chrome' }, exists }))
      .toThrow('CHROMIUM_PATH is set to /nowhere/chrome, which does not exist.');
  });

  it('returns null when no browser is installed', () => {
    const files = fakeFileSystem();
    expect(findSystemBrowser({ platform: 'darwin', env: { HOME: '/Users/ada' }, exists: files.exists })).toBeNull();
    expect(files.asked).toEqual(systemBrowserPaths('darwin', { HOME: '/Users/ada' }));
  });
});

describe('howToInstall', () => {
  it('names one way to install per platform, on one line', () => {
    expect(howToInstall('linux')).toContain('sudo apt-get install chromium');
    expect(howToInstall('darwin')).toContain('brew install --cask chromium');
    expect(howToInstall('win32')).toContain('winget install Google.Chrome');
    for (const platform of ['linux', 'darwin', 'win32']) expect(howToInstall(platform)).not.toContain('\n');
  });
});
