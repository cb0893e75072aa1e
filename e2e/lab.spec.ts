import { expect, test } from '@playwright/test';
import { expectAccessible } from './fixtures/a11y.ts';
import { PHONE, runRow, screenshots, tinyExperiment } from './fixtures/lab.ts';
import { STALL_MS, runOf, waitForStatus, waitForStep, type LabNow } from './fixtures/progress.ts';

/** Steps a run has completed, from its Steps cell ("12 / 120"). */
function stepsOf(now: LabNow, label: string): number {
  return Number(runOf(now, label)?.steps.split(' / ')[0]);
}

/**
 * Steps per run: enough that Pause lands long before a run ends (a tiny step on SwiftShader WebGPU
 * takes about a tenth of a second since its barrier-free programs) and that the baseline learns.
 */
const STEPS = 120;
const SUITE_RESULTS = new URL('./fixtures/suite/results.json', import.meta.url).pathname;

test('queues baseline and compound on WebGPU, pauses, stops and continues, and compares them', async ({ page }, testInfo) => {
  // Every wait below fails when the lab stops making progress (STALL_MS), never on a total budget.
  test.setTimeout(0);
  // A resource that fails shows up as a console error (the favicon is not a page request).
  const failed: string[] = [];
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  page.on('console', (m) => m.type() === 'error' && /Failed to load resource/.test(m.text()) && failed.push(`${m.text()} ${m.location().url}`));
  await page.goto('/');

  await test.step('backend badge names WebGPU, and nothing failed to load', async () => {
    // "auto" times the backends and here (SwiftShader) picks wasm; this test is WebGPU's, so it asks for it.
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
    await expect(page.getByRole('status', { name: 'Backend: webgpu' })).toBeVisible({ timeout: STALL_MS });
    await expect(page.getByRole('alert').filter({ hasText: 'unavailable' })).toHaveCount(0);
    expect(failed).toEqual([]);
  });

  await test.step('the builder shows every config error at once, each beside its field', async () => {
    await page.getByLabel('Peak learning rate').fill('-1');
    await page.getByLabel('Seed').fill('-2');
    await page.getByLabel('Validate every (steps)').fill('0');
    for (const [field, message] of [
      ['Peak learning rate', /got -1$/],
      ['Seed', /got -2$/],
      ['Validate every (steps)', /got 0$/],
    ] as const) {
      await expect(page.getByLabel(field)).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel(field)).toHaveAccessibleDescription(message);
    }
    await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();
    await expect(page.getByRole('region', { name: 'Run controls' }).getByText('Start is disabled')).toContainText('3 problems');
    await expectAccessible(page, testInfo, 'builder with errors');
    await page.getByLabel('Peak learning rate').fill('0.004');
    await page.getByLabel('Seed').fill('1');
  });

  await test.step(`build: tiny model, ${STEPS} steps, queue baseline and compound`, async () => {
    await tinyExperiment(page, STEPS);
    await page.getByLabel('Validate every (steps)').fill(String(STEPS / 4));
    await screenshots(page, testInfo, 'builder');
    const queue = page.getByRole('region', { name: 'Queue' });
    await queue.getByRole('checkbox', { name: 'baseline' }).check();
    await queue.getByRole('checkbox', { name: 'compound', exact: true }).check();
    await queue.getByRole('button', { name: 'Add to queue' }).click();
    await expect(queue.getByRole('list', { name: 'Queued runs' }).getByRole('listitem')).toHaveCount(2);
  });

  await test.step('Start runs the queue; Pause holds the step count, Step adds one', async () => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await waitForStep(page, 'at least 3', (s) => s >= 3);
    await page.getByRole('button', { name: 'Pause' }).click();
    const at = stepsOf(await waitForStatus(page, 'baseline', 'paused'), 'baseline');
    // A fixed wait is right here: it looks for something that must not happen, so load cannot fail it.
    await page.waitForTimeout(2000);
    await expect(runRow(page, 'baseline').getByRole('cell').nth(1)).toHaveText(`${at} / ${STEPS}`);
    await screenshots(page, testInfo, 'running');
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await waitForStep(page, `${at + 1} after one step`, (s) => s === at + 1);
  });

  await test.step('Stop ends the run and holds the queue; Continue goes on from its step; Pause and Resume act on it', async () => {
    // Stopped while paused: a running tiny run can reach its end between two reads of the counter.
    await page.getByRole('button', { name: 'Stop' }).click();
    const at = stepsOf(await waitForStatus(page, 'baseline', 'stopped'), 'baseline');
    expect(at).toBeLessThan(STEPS);
    await waitForStatus(page, 'compound', 'queued');
    // Once the checkpoint taken at the stop is stored.
    const resume = page.getByRole('button', { name: `Continue baseline from step ${at}` });
    await expect(resume).toBeEnabled({ timeout: STALL_MS });
    await resume.click();
    await waitForStatus(page, 'baseline', 'running');
    await page.getByRole('button', { name: 'Pause' }).click();
    const paused = stepsOf(await waitForStatus(page, 'baseline', 'paused'), 'baseline');
    expect(paused).toBeGreaterThanOrEqual(at);
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForStatus(page, 'baseline', 'done');
    await expect(runRow(page, 'baseline').getByRole('cell').nth(1)).toHaveText(`${STEPS} / ${STEPS}`);
  });

  await test.step('Start runs what is left of the queue: compound trains to its end', async () => {
    // A continued run holds the queue, as Stop did: Start runs what is left of it. (The main-thread
    // long-task bound while training is long-tasks.spec.ts's, without this test's trace recorder.)
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await waitForStatus(page, 'compound', 'running');
    await waitForStatus(page, 'compound', 'done');
  });

  await test.step('both curves, both timelines and a filled comparison table', async () => {
    const loss = page.getByRole('region', { name: 'Loss curve' });
    // Two runs, each with a training and a validation line.
    await expect(loss.locator('.chart-line')).toHaveCount(4);
    await expect(loss.getByRole('listitem').filter({ hasText: 'baseline' })).toBeVisible();
    await expect(loss.getByRole('listitem').filter({ hasText: 'compound' })).toBeVisible();
    // The chart's text alternative: its name and each line's values.
    const surface = loss.locator('svg.chart-surface').first();
    await expect(surface.locator(':scope > title')).toHaveText('Loss curve');
    await expect(surface.locator(':scope > desc')).toHaveText(/baseline train: from .* to .*compound validation: from/);

    const timeline = page.getByRole('region', { name: 'Stage timeline' });
    await expect(timeline.getByRole('list', { name: 'Stages of baseline' }).getByRole('listitem')).toHaveCount(1);
    const compoundStages = timeline.getByRole('list', { name: 'Stages of compound' }).getByRole('listitem');
    await expect(compoundStages.first()).toContainText('L1 · FFN/2 · pool 2');
    expect(await compoundStages.count()).toBeGreaterThanOrEqual(2);
    await expect(timeline.getByRole('list', { name: 'Growth events of compound' }).getByRole('listitem').first()).toContainText(/loss \d+\.\d{3} → \d+\.\d{3}, max \|Δlogit\|/);

    const base = runRow(page, 'baseline');
    const comp = runRow(page, 'compound');
    for (const row of [base, comp]) {
      const cells = row.getByRole('cell');
      await expect(cells.nth(2)).toHaveText(/^\d+\.\d{3}$/); // final validation loss
      await expect(cells.nth(3)).toHaveText(/FLOP$/);
      await expect(cells.nth(4)).toHaveText(/\d+(\.\d)? (ms|s|min)/);
      await expect(cells.nth(5)).toHaveText(/^(\d+\.\d{2}×|not reached)$/);
      await expect(cells.nth(6)).toHaveText(/^(\d+\.\d{2}×|not reached)$/);
    }
    await expect(base.getByRole('cell').nth(5)).toHaveText('1.00×');
    // Training on WebGPU learns: an untrained model's MLM loss is about ln(vocab 2000) = 7.60.
    const finalValLoss = Number(await base.getByRole('cell').nth(2).textContent());
    expect(finalValLoss).toBeLessThan(Math.log(2000) - 0.3);
  });

  await test.step('every panel, light and dark, desktop and phone: no serious accessibility violation, no sideways scroll', async () => {
    // The suite panel shows its tables and charts only with results open.
    await page.getByRole('region', { name: 'Suite results' }).getByLabel('Open suite results').setInputFiles(SUITE_RESULTS);
    await expect(page.getByRole('region', { name: 'Suite results' }).getByRole('table').first()).toBeVisible();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expectAccessible(page, testInfo, `lab ${scheme} 1280`);
      await page.setViewportSize(PHONE);
      await expectAccessible(page, testInfo, `lab ${scheme} 390`);
      const widths = await page.evaluate(() => {
        const runs = document.querySelector('section[aria-label="Runs"] .table-wrap');
        return { page: document.documentElement.scrollWidth, runs: runs ? runs.scrollWidth - runs.clientWidth : 0 };
      });
      expect(widths.page, 'the page does not scroll sideways at 390 px').toBeLessThanOrEqual(PHONE.width);
      expect(widths.runs, 'the Runs table does not scroll sideways at 390 px').toBe(0);
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    await screenshots(page, testInfo, 'comparison', ['light', 'dark']);
  });
});
