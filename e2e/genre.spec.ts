import { expect, test } from '@playwright/test';
import { openLabOn, runRow, tinyExperiment } from './fixtures/lab.ts';
import { waitForStatus } from './fixtures/progress.ts';

// A whole genre evaluation in the worker (100 fine-tuning steps, then ~4,500 test passages) takes
// many minutes on SwiftShader, so this checks the lab's side: the stored checkpoint reaches the
// worker, fine-tuning advances, and the other task waits. The numbers are tested in Node
// (src/core/eval/genre.test.ts, src/cli/eval.test.ts) with the same evaluateGenre.
test('Evaluate on a finished run fine-tunes its stored checkpoint in the worker, one task at a time', async ({ page }) => {
  test.setTimeout(600_000);
  await openLabOn(page);
  await tinyExperiment(page, 5);
  await page.getByLabel('Preset').selectOption('baseline');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const row = runRow(page, 'baseline');
  await waitForStatus(page, 'baseline', 'done');

  await row.getByRole('button', { name: 'Evaluate baseline on 4 genre groups' }).click();
  const progress = page.getByRole('status', { name: 'Evaluating baseline on 4 genre groups' });
  await expect(progress).toContainText('evaluating…');
  await expect(row.getByRole('button', { name: 'Evaluate baseline on 15 genres' })).toBeDisabled();
  await expect(progress).toContainText(/fine-tuning [1-9]\d*\/100/, { timeout: 420_000 });
});
