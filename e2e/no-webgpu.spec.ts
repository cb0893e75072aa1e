import { expect, test } from '@playwright/test';
import { runRow, screenshots, tinyExperiment } from './fixtures/lab.ts';
import { waitForStatus } from './fixtures/progress.ts';

test('without WebGPU the lab says why, trains a tiny run on the fallback backend and reports a diverged one', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await page.goto('/');
  const banner = page.getByRole('alert').filter({ hasText: 'WebGPU is unavailable' });
  await expect(banner).toBeVisible({ timeout: 90_000 });
  await expect(banner).toContainText(/training runs on (webgl|wasm|cpu) instead/);
  const badge = page.getByRole('status', { name: /^Backend: / });
  await expect(badge).toBeVisible();
  const fallback = (await badge.getAttribute('aria-label'))!.replace('Backend: ', '');
  expect(fallback).not.toBe('webgpu');

  await tinyExperiment(page, 20);
  await page.getByLabel('Preset').selectOption('compound');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const row = runRow(page, 'compound');
  await waitForStatus(page, 'compound', 'done');
  await expect(row.getByRole('cell').nth(2)).toHaveText(/^\d+\.\d{3}$/);
  await expect(page.getByRole('region', { name: 'Loss curve' }).locator('.chart-line')).toHaveCount(2);
  await screenshots(page, testInfo, `fallback-${fallback}`);

  // A learning rate of 1e30 overflows the weights within a step or two: the worker stops the run
  // and the page says at which step and in which stage, keeping the curve recorded so far.
  await page.getByLabel('Preset').selectOption('baseline');
  await page.getByLabel('Total steps').fill('10');
  await page.getByLabel('Peak learning rate').fill('1e30');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const failed = runRow(page, 'baseline');
  await expect(failed).toContainText('failed', { timeout: 120_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'baseline failed' })).toContainText(/loss became (NaN|-?Infinity) at step \d+ in stage 1 \(L2\)/);
  const lossCurve = page.getByRole('region', { name: 'Loss curve' });
  await expect(lossCurve.getByRole('listitem').filter({ hasText: 'baseline' })).toBeVisible();
  await expect.poll(() => lossCurve.locator('.chart-line').count()).toBeGreaterThanOrEqual(3);
});
