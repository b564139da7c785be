import { expect, useBackend, test } from './fixtures';

/** formatMs's text back in milliseconds ("850 ms", "5.2 s", "1.5 min"). */
function parseMs(text: string): number {
  const match = /^([\d.]+) (ms|s|min)$/.exec(text.trim());
  if (!match) throw new Error(`Not a time: "${text}"`);
  return Number(match[1]) * { ms: 1, s: 1000, min: 60_000 }[match[2] as 'ms' | 's' | 'min'];
}

test('the fastest MNIST preset applies its measured settings and reaches a target in the browser', async ({ page, watch }) => {
  test.setTimeout(300_000);
  await page.goto('./');
  await useBackend(page, 'webgpu');
  const button = page.getByRole('button', { name: 'Fastest to 97 % on MNIST' });
  await expect(button).toHaveAccessibleDescription(/npm run race/);
  await button.click();
  await page.locator('summary', { hasText: 'Advanced settings' }).click();
  await expect(page.getByLabel('Target accuracy', { exact: true })).toHaveValue('0.97');
  await expect(page.getByLabel('Validate every', { exact: true })).toHaveValue('steps');
  const model = await page.getByLabel('Model', { exact: true }).inputValue();
  const batch = await page.getByLabel('Batch size', { exact: true }).inputValue();

  // The whole preset trains for minutes on a software adapter under load: this run keeps its model, batch, engine,
  // schedule, learning rate and cadence, on 5 % of MNIST (400 training images) for one epoch, to a 60 % target.
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.05');
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByLabel('Target accuracy', { exact: true }).fill('0.6');
  await page.getByRole('button', { name: 'Run', exact: true }).click();

  await expect(page.getByTestId('run-status')).toContainText('Finished', { timeout: 280_000 });
  const reached = page.locator('dt', { hasText: 'Target 60 % reached after' }).locator('xpath=following-sibling::dd[1]');
  expect(parseMs(await reached.textContent() ?? '')).toBeGreaterThan(0);
  await expect(page.getByTestId('validation-cadence')).toContainText('every');
  expect(await page.getByLabel('Model', { exact: true }).inputValue()).toBe(model);
  expect(await page.getByLabel('Batch size', { exact: true }).inputValue()).toBe(batch);
  expect(watch.consoleErrors).toEqual([]);
});

test('the race view ranks a finished 2-run sweep by time to target, with both curves and the target in one chart', async ({ page, watch }) => {
  test.setTimeout(300_000);
  await page.goto('./');
  await useBackend(page, 'webgpu');
  // mlp at batch 8 and 32 on 2 % of MNIST (160 training images), validated every 2 steps, to 50 %; auto picks the backend.
  await page.getByRole('button', { name: 'Quick validation preset' }).click();
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.02');
  await page.getByRole('checkbox', { name: 'cnn-small' }).uncheck();
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  await page.getByLabel('Batch size values').fill('8, 32');
  await expect(page.getByTestId('sweep-summary')).toContainText('2 configurations');
  await expect(page.getByTestId('race-view')).toHaveCount(0);

  await page.getByRole('button', { name: 'Run sweep' }).click();
  const status = page.getByTestId('sweep-queue').getByTestId('row-status');
  await expect.poll(async () => status.allTextContents(), { timeout: 240_000 }).toEqual(['Finished', 'Finished']);

  const race = page.getByTestId('race-view');
  await expect(race.getByRole('heading', { name: 'Race to 50 %' })).toBeVisible();
  const rows = race.getByTestId('race-row');
  await expect(rows).toHaveCount(2);
  const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent!.trim())));
  // Ranked by time to target: a reached run before one that was not, and the sooner of two reached runs first.
  const times = cells.map((row) => (row[2]!.startsWith('not reached') ? Number.POSITIVE_INFINITY : parseMs(row[2]!)));
  expect(times[0]).toBeLessThanOrEqual(times[1]!);
  expect(cells.map((row) => row[0])).toEqual(times[0] === times[1] ? ['1', '1'] : ['1', '2']);
  expect(cells.map((row) => row[1]).sort()).toEqual(['mlp · batch 32', 'mlp · batch 8']);
  for (const row of cells) {
    expect(row[4]).toMatch(/[\d.]+ (KiB|MiB)/);
    expect(row[5]).toMatch(/[\d.]+ (ms|s)/);
    expect(row[7]).toMatch(/^(webgpu|webgl|cpu)\b/);
  }

  // One chart: both runs and the target line, named in its legend.
  const legend = race.locator('.u-legend');
  await expect(legend).toContainText('mlp · batch 8');
  await expect(legend).toContainText('mlp · batch 32');
  await expect(legend).toContainText('target 50 %');
  expect(watch.consoleErrors).toEqual([]);
});
