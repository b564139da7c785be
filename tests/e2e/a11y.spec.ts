// Accessibility of the main page: axe-core in light and dark before and after a run, keyboard reach, a quiet live region.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, useBackend, test } from './fixtures';

/** axe's serious and critical findings against WCAG 2.1 A/AA, one line per rule with the elements it hit. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Pixels of the Loss chart's canvas in the page's text colour (--fg): its axis labels, drawn by uPlot. */
function axisLabelPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const fg = getComputedStyle(document.documentElement).getPropertyValue('--fg').trim();
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(fg.slice(i, i + 2), 16));
    const canvas = document.querySelector<HTMLCanvasElement>('[aria-label="Loss chart"] canvas')!;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 30) count++;
    }
    return count;
  });
}

/** axe in both schemes; with charts on the page, also that their axes are redrawn in each scheme's text colour. */
async function expectCleanInBothSchemes(page: Page, when: string, charts = false): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousViolations(page), `${when}, ${colorScheme}`).toEqual([]);
    if (charts) await expect.poll(() => axisLabelPixels(page), { message: `axis labels, ${colorScheme}` }).toBeGreaterThan(50);
  }
}

test('no serious axe violations in light and dark, before and after a run; the live region speaks only on phase changes', async ({ page, watch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  await expectCleanInBothSchemes(page, 'before a run');

  // The visible progress line is rewritten every frame and must not be live; the announcements go to their own region.
  await expect(page.getByTestId('phase')).not.toHaveAttribute('aria-live');
  await expect(page.getByTestId('phase-announcement')).toHaveAttribute('aria-live', 'polite');
  await page.evaluate(() => {
    const texts: string[] = [];
    const region = document.querySelector('[data-testid="phase-announcement"]')!;
    new MutationObserver(() => texts.push(region.textContent?.trim() ?? ''))
      .observe(region, { childList: true, characterData: true, subtree: true });
    Object.assign(window, { announced: texts });
  });

  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.15');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 120_000 });

  const announced = await page.evaluate(() => (window as unknown as { announced: string[] }).announced);
  const steps = Number(await page.getByRole('img', { name: 'Loss chart' }).getAttribute('data-points'));
  console.log(`[measure] live region: ${announced.length} changes over ${steps} steps: ${announced.join(' | ')}`);
  // One change per phase (a single epoch validates once), however many steps the run took.
  expect(announced).toEqual([
    'Preparing the run: data and model',
    'Compiling and running the first step',
    'Training',
    expect.stringMatching(/^Training; validation 1: accuracy \d+(\.\d)? %$/),
    'Run ended: Finished',
  ]);
  expect(steps).toBeGreaterThan(announced.length * 4);

  await expectCleanInBothSchemes(page, 'after a run', true);
  expect(watch.consoleErrors).toEqual([]);
});

test('keyboard only: Tab reaches every control on the page', async ({ page, watch }) => {
  await page.goto('./');
  await useBackend(page, 'webgpu');
  // The advanced settings open from the keyboard, and their fields count too.
  await page.getByText('Advanced settings').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Seed', { exact: true })).toBeVisible();

  // Every visible, enabled control gets a key; the radios of one group share one (Tab stops once per group).
  const controls = await page.evaluate(() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    const names = new Map<string, string>();
    document.querySelectorAll<HTMLElement>(selector).forEach((element, index) => {
      if ((element as HTMLButtonElement).disabled || !element.checkVisibility()) return;
      const radio = element instanceof HTMLInputElement && element.type === 'radio';
      const key = radio ? `radio:${element.name}` : `control:${index}`;
      element.dataset.keyboardKey = key;
      names.set(key, `${element.tagName.toLowerCase()} "${element.getAttribute('aria-label') ?? element.id ?? ''}${element.textContent?.trim().slice(0, 40) ?? ''}"`);
    });
    return Object.fromEntries(names);
  });
  const keys = Object.keys(controls);
  await page.locator('body').focus();
  const reached = new Set<string>();
  for (let press = 0; press < keys.length * 2 + 20; press++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.keyboardKey ?? null);
    if (key) reached.add(key);
    if (reached.size === keys.length) break;
  }
  console.log(`[measure] keyboard: ${reached.size} of ${keys.length} controls reached with Tab`);
  expect(keys.length).toBeGreaterThan(40);
  expect(keys.filter((key) => !reached.has(key)).map((key) => controls[key])).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
});
