import { expect, test, type Page } from '@playwright/test';
import { expectAccessible } from './fixtures/a11y.ts';
import { openLabOn, runRow, tinyExperiment } from './fixtures/lab.ts';
import { waitForStatus } from './fixtures/progress.ts';

/** What growth-check (src/cli/growth-check.ts) asks of an operator that preserves by construction. */
const PRESERVING_TOLERANCE = 1e-4;

const growthEvents = (page: Page, label: string) =>
  page.getByRole('region', { name: 'Stage timeline' }).getByRole('list', { name: `Growth events of ${label}` }).getByRole('listitem');

/** The d and heads growth's event: its operators, the sizes, and a jump a preserving growth keeps below the tolerance. */
async function expectPreservingDimsGrowth(page: Page): Promise<void> {
  const event = growthEvents(page, 'custom');
  await expect(event).toHaveCount(1);
  await expect(event).toContainText('L2 · d8 · H1 → L2 (hidden.tile, heads.add; d 8 → 32, heads 1 → 2)');
  await expect(event).toContainText('function-preserving');
  const jump = Number((await event.textContent())!.match(/max \|Δlogit\| (\S+)/)![1]);
  expect(jump).toBeGreaterThanOrEqual(0);
  expect(jump).toBeLessThan(PRESERVING_TOLERANCE);
}

test('grows d and heads from the builder; the timeline shows the growth and its growth check', async ({ page }, testInfo) => {
  // Waits fail when the lab stops making progress (fixtures/progress.ts), never on a total budget.
  test.setTimeout(0);
  // WebGPU has its own test (lab.spec.ts).
  await openLabOn(page);
  await tinyExperiment(page, 10);

  await test.step('Grow hidden, by keyboard: d/4 with H/2 (d8, 1 head), then d32 with 2 heads', async () => {
    for (const dim of ['depth', 'width', 'length']) await page.getByLabel(`Grow ${dim}`).uncheck();
    const toggle = page.getByRole('checkbox', { name: 'Grow hidden' });
    await toggle.focus();
    await page.keyboard.press('Space');
    await expect(toggle).toBeChecked();
    await expect(page.getByRole('combobox', { name: 'Hidden operator' })).toHaveValue('tile');
    await page.getByRole('spinbutton', { name: 'Hidden factor k' }).fill('4');
    await page.getByRole('spinbutton', { name: 'Heads factor m' }).fill('2');
    const stages = page.getByRole('list', { name: 'Stages', exact: true }).getByRole('listitem');
    await expect(stages).toHaveCount(2);
    await expect(stages.first()).toHaveAccessibleName('Stage 1: L2 · d8 · H1');
    await expect(page.getByRole('spinbutton', { name: 'Stage 1 Hidden divisor' })).toHaveValue('4');
    await expect(page.getByRole('spinbutton', { name: 'Stage 1 Heads divisor' })).toHaveValue('2');
  });

  await test.step("the core's check of a stage's heads, inline on its field", async () => {
    const heads = page.getByRole('spinbutton', { name: 'Stage 1 Heads divisor' });
    await heads.fill('4');
    await expect(heads).toHaveAttribute('aria-invalid', 'true');
    await expect(heads).toHaveAccessibleDescription(/head count 2 is not divisible by 4; valid divisors: 1, 2$/);
    await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();
    await expectAccessible(page, testInfo, 'builder growing d and heads');
    await heads.fill('2');
    await expect(heads).not.toHaveAttribute('aria-invalid');
    await expect(page.getByRole('status', { name: 'FLOPs plan' })).toContainText(/Predicted speed-up: \d/);
  });

  await test.step('runs on the page, grows once, and the growth check shows no jump', async () => {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await waitForStatus(page, 'custom', 'done');
    await expect(runRow(page, 'custom').getByRole('cell').nth(1)).toHaveText('10 / 10');
    const bars = page.getByRole('region', { name: 'Stage timeline' }).getByRole('list', { name: 'Stages of custom' }).getByRole('listitem');
    await expect(bars).toHaveCount(2);
    await expect(bars.first()).toContainText('L2 · d8 · H1');
    await expectPreservingDimsGrowth(page);
  });

  await test.step('the stored run and the share link bring the growth back', async () => {
    await page.getByRole('button', { name: 'Copy share link' }).click();
    const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
    expect(decodeURIComponent(link)).toMatch(/&hidden=on_tile_4_2&.*stages=2_1_0_full_1_mean_7_\w+_\w+_4_2~/);
    await page.reload();
    await waitForStatus(page, 'custom', 'done');
    await expectPreservingDimsGrowth(page);
    await expect(page.getByRole('checkbox', { name: 'Grow hidden' })).toBeChecked();
    await expect(page.getByRole('spinbutton', { name: 'Stage 1 Heads divisor' })).toHaveValue('2');
  });
});
