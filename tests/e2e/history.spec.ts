import { expect, test } from './fixtures';

test('finished runs are saved as they finish, survive a reload, and open as a matrix', async ({ page, watch }) => {
  await page.goto('./');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 120_000 });
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(1);
  // The trained model downloads in tfjs's format: model.json, then its weights.
  const files: string[] = [];
  page.on('download', (download) => files.push(download.suggestedFilename()));
  await page.getByRole('button', { name: /Download the trained model/ }).click();
  await expect.poll(() => files).toEqual(['mlp-mnist.json', 'mlp-mnist.weights.bin']);

  await page.reload();
  const saved = page.getByTestId('history-table').locator('tbody tr');
  await expect(saved).toHaveCount(1);
  await expect(saved).toContainText('single run: mlp');
  await expect(saved).toContainText('Finished');
  await saved.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Compare 1 selected in the matrix' }).click();
  await expect(page.getByRole('radio', { name: 'Selected history' })).toBeChecked();
  await expect(page.getByTestId('matrix-row')).toHaveCount(1);
  await expect(page.getByTestId('matrix-row')).toContainText('single run: mlp');

  await page.getByRole('button', { name: 'Clear history…' }).click();
  await page.getByRole('button', { name: 'Yes, delete all 1 runs' }).click();
  await expect(page.getByTestId('history-table')).toHaveCount(0);
  await page.reload();
  await expect(page.getByText('Every finished run is saved here')).toBeVisible();
  expect(watch.consoleErrors).toEqual([]);
});

test('when the browser refuses storage, the run is still shown and the failure is explained', async ({ page, watch }) => {
  await page.addInitScript(() => {
    // Private-mode-like storage: every open fails.
    IDBFactory.prototype.open = function open() { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); };
  });
  await page.goto('./');
  await expect(page.getByTestId('history-error')).toContainText('Could not open the run history');
  await page.getByLabel('Model', { exact: true }).selectOption('mlp');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText(/^Finished/, { timeout: 120_000 });
  await expect(page.getByRole('table', { name: 'Every run of this session with its configuration and measurements' })).toContainText('mlp');
  expect(watch.consoleErrors).toEqual([]);
});
