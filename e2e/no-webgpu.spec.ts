import { expect, test } from '@playwright/test';
import { runRow, screenshots, tinyExperiment } from './fixtures/lab.ts';

test('without WebGPU the lab says why and trains a tiny run on the fallback backend', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
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
  await expect(row).toContainText('done', { timeout: 150_000 });
  await expect(row.getByRole('cell').nth(2)).toHaveText(/^\d+\.\d{3}$/);
  await expect(page.getByRole('region', { name: 'Loss curve' }).locator('.recharts-line')).toHaveCount(2);
  await screenshots(page, testInfo, `fallback-${fallback}`);
});
