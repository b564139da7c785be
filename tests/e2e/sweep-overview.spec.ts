import AxeBuilder from '@axe-core/playwright';
import { expect, useBackend, test } from './fixtures';

test('a 2-run sweep shows its progress, then one validation curve per run and memory bars with their figures', async ({ page, watch }) => {
  test.setTimeout(240_000);
  await page.goto('./');
  await useBackend(page, 'webgpu');
  // mlp at batch 16 and 32 on 2 % of MNIST (160 training images), two epochs: a few seconds per run.
  await page.getByLabel('Subset fraction', { exact: true }).fill('0.02');
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await page.getByRole('checkbox', { name: 'cnn-small' }).uncheck();
  await page.getByRole('checkbox', { name: 'mobilenet-v2-tiny' }).uncheck();
  await page.getByLabel('Batch size values').fill('16, 32');
  await expect(page.getByTestId('sweep-summary')).toContainText('2 configurations');

  await page.getByRole('button', { name: 'Run sweep' }).click();
  const overview = page.getByTestId('sweep-overview');
  await expect(overview.getByTestId('sweep-progress-text')).toContainText(/Run [12] of 2, about [\d.]+ (ms|s|min) left/, { timeout: 30_000 });
  await expect(overview.getByRole('progressbar')).toHaveAttribute('max', '2');

  const status = page.getByTestId('sweep-queue').getByTestId('row-status');
  await expect.poll(async () => status.allTextContents(), { timeout: 180_000 }).toEqual(['Finished', 'Finished']);

  // After the sweep: no progress, the live charts gone and both overlays hold one curve per finished run, named in the legend.
  await expect(overview.getByTestId('sweep-progress-text')).toHaveCount(0);
  const curves = overview.getByTestId('overview-curves');
  await expect(curves).toHaveCount(2);
  for (const chart of await curves.all()) {
    await expect(chart).toHaveAttribute('data-series', '2');
    await expect(chart.locator('.u-legend')).toContainText('1. mlp · batch 16');
    await expect(chart.locator('.u-legend')).toContainText('2. mlp · batch 32');
  }
  // The curves' text alternative: two validations per run (one per epoch), each with its accuracy.
  const curveRows = overview.getByTestId('curve-table').locator('tbody tr');
  await expect(curveRows).toHaveCount(2);
  for (const row of await curveRows.all()) await expect(row).toContainText(/→ [\d.]+ %.*, .*→ [\d.]+ %/);

  // Batch size, the axis that varies, against wall time, true peak and accuracy: both runs in every panel and the table.
  await expect(overview.getByLabel('Configuration axis')).toHaveValue('batchSize');
  const scatters = overview.getByTestId('overview-scatter');
  await expect(scatters).toHaveCount(3);
  for (const panel of await scatters.all()) await expect(panel.locator('circle')).toHaveCount(2);
  await expect(overview.getByTestId('scatter-table').locator('tbody tr')).toHaveCount(2);

  // Memory bars for each row on one scale, with every figure in the rows' descriptions and the table.
  const memoryRows = overview.getByTestId('memory-row');
  await expect(memoryRows).toHaveCount(2);
  const bytes = /[\d.]+ (KiB|MiB)/.source;
  for (const row of await memoryRows.all()) {
    await expect(row).toHaveAttribute('aria-label', new RegExp(`estimate ${bytes} \\(weights ${bytes}, gradients ${bytes}, `
      + `optimizer state ${bytes}, kept activations ${bytes}\\); true peak ${bytes}; pool allocated ${bytes}`));
  }
  const tableRows = overview.getByTestId('memory-table').locator('tbody tr');
  await expect(tableRows).toHaveCount(2);
  // Batch 32 keeps twice the activations of batch 16: its kept-activations cell (5th column) is the larger.
  const activations = await tableRows.evaluateAll((rows) => rows.map((r) => r.children[4]!.textContent!));
  const inBytes = (text: string) => Number.parseFloat(text) * (text.endsWith('MiB') ? 2 ** 20 : 1024);
  expect(inBytes(activations[1]!) / inBytes(activations[0]!)).toBeCloseTo(2, 1);

  // The overview's own charts, tables and bars: no serious axe finding in either colour scheme.
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).include('[data-testid="sweep-overview"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' '))}`), colorScheme).toEqual([]);
  }
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
});
