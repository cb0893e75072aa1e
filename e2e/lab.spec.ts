import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { runRow, screenshots, stepCount, tinyExperiment } from './fixtures/lab.ts';

// Collects main-thread long tasks (> 50 ms) from the first script on, for the bench figure below.
test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __longtasks: { start: number; duration: number }[] };
    w.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
});

test('queues baseline and compound on WebGPU, pauses and resumes, and compares them', async ({ page }, testInfo) => {
  test.setTimeout(480_000);
  await page.goto('/');

  await test.step('backend badge names WebGPU', async () => {
    // "auto" times the backends and here (SwiftShader) picks wasm; this test is WebGPU's, so it asks for it.
    await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
    await expect(page.getByRole('status', { name: 'Backend: webgpu' })).toBeVisible({ timeout: 90_000 });
    await expect(page.getByRole('alert').filter({ hasText: 'unavailable' })).toHaveCount(0);
  });

  await test.step('build: tiny model, 40 steps, queue baseline and compound', async () => {
    await tinyExperiment(page, 30);
    await screenshots(page, testInfo, 'builder');
    const queue = page.getByRole('region', { name: 'Queue' });
    await queue.getByRole('checkbox', { name: 'baseline' }).check();
    await queue.getByRole('checkbox', { name: 'compound', exact: true }).check();
    await queue.getByRole('button', { name: 'Add to queue' }).click();
    await expect(queue.getByRole('list', { name: 'Queued runs' }).getByRole('listitem')).toHaveCount(2);
  });

  await test.step('Start runs the queue; Pause holds the step count, Step adds one, Resume continues', async () => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => stepCount(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByRole('button', { name: 'Resume' })).toBeEnabled();
    const paused = await stepCount(page);
    await page.waitForTimeout(3000);
    expect(await stepCount(page)).toBe(paused);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await expect.poll(() => stepCount(page), { timeout: 30_000 }).toBe(paused + 1);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => stepCount(page), { timeout: 60_000 }).toBeGreaterThan(paused + 1);
    await screenshots(page, testInfo, 'running');
  });

  await test.step('long tasks on the main thread while compound trains (bench figure)', async () => {
    await expect(runRow(page, 'compound')).toContainText('running', { timeout: 180_000 });
    const from = await page.evaluate(() => performance.now());
    await expect(runRow(page, 'compound')).toContainText('done', { timeout: 300_000 });
    const to = await page.evaluate(() => performance.now());
    const tasks = await page.evaluate(
      ([a, b]) => (window as unknown as { __longtasks: { start: number; duration: number }[] }).__longtasks.filter((t) => t.start >= a && t.start <= b),
      [from, to],
    );
    const durations = tasks.map((t) => t.duration).sort((x, y) => x - y);
    const figure = {
      what: 'main-thread long tasks (PerformanceObserver "longtask", > 50 ms) while the compound run trains in the worker',
      backend: 'webgpu (Chromium, SwiftShader)',
      run: { preset: 'compound', size: 'tiny', steps: 30 },
      windowMs: Math.round(to - from),
      count: tasks.length,
      totalMs: Math.round(durations.reduce((s, d) => s + d, 0)),
      maxMs: durations.length ? Math.round(durations[durations.length - 1]) : 0,
      p95Ms: durations.length ? Math.round(durations[Math.min(durations.length - 1, Math.floor(0.95 * durations.length))]) : 0,
      durationsMs: durations.map(Math.round),
      measuredAt: new Date().toISOString(),
    };
    mkdirSync('bench-results', { recursive: true });
    writeFileSync('bench-results/longtasks.json', `${JSON.stringify(figure, null, 2)}\n`);
    await testInfo.attach('longtasks.json', { body: JSON.stringify(figure, null, 2), contentType: 'application/json' });
  });

  await test.step('both curves, both timelines and a filled comparison table', async () => {
    await expect(runRow(page, 'baseline')).toContainText('done');
    const loss = page.getByRole('region', { name: 'Loss curve' });
    // Two runs, each with a training and a validation line.
    await expect(loss.locator('.recharts-line')).toHaveCount(4);
    await expect(loss.getByRole('listitem').filter({ hasText: 'baseline' })).toBeVisible();
    await expect(loss.getByRole('listitem').filter({ hasText: 'compound' })).toBeVisible();

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
    await screenshots(page, testInfo, 'comparison');
  });
});
