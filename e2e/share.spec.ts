import { expect, test, type Page } from '@playwright/test';

const plan = (page: Page) => page.getByRole('status', { name: 'FLOPs plan' });

/** The builder fields the share test sets, as label -> the value its input shows. */
const SHARED = {
  'Model size': 'tiny',
  Preset: 'stack',
  'Total steps': '40',
  Seed: '7',
  Norm: 'post',
  'Peak learning rate': '0.0015',
  'Validate every (steps)': '8',
};

test('a share link opened in a new page restores the same builder', async ({ page, context }) => {
  await page.goto('/');
  await page.getByLabel('Model size').selectOption(SHARED['Model size']);
  await page.getByLabel('Preset').selectOption(SHARED.Preset);
  await page.getByLabel('Norm').selectOption(SHARED.Norm);
  // Steps reset "validate every", and size and norm reset the learning rate, so those come after.
  await page.getByLabel('Total steps').fill(SHARED['Total steps']);
  await page.getByLabel('Seed').fill(SHARED.Seed);
  await page.getByLabel('Peak learning rate').fill(SHARED['Peak learning rate']);
  await page.getByLabel('Validate every (steps)').fill(SHARED['Validate every (steps)']);
  await expect(plan(page)).toContainText(/Predicted speed-up: \d/);
  const planText = await plan(page).textContent();

  await page.getByRole('button', { name: 'Copy share link' }).click();
  const field = page.getByRole('textbox', { name: 'Share link' });
  await expect(field).toHaveValue(/#v=3&/);
  const link = await field.inputValue();
  expect(page.url()).toBe(link);
  await expect(page.getByRole('region', { name: 'Share' }).getByRole('status')).toContainText(/Copied|select the link/);

  const other = await context.newPage();
  await other.goto(link);
  for (const [label, value] of Object.entries(SHARED)) await expect(other.getByLabel(label, { exact: true })).toHaveValue(value);
  await expect(plan(other)).toHaveText(planText!);
  await expect(other.getByRole('alert').filter({ hasText: 'share link' })).toHaveCount(0);
});

test('a malformed or truncated link says what is wrong and keeps the default builder', async ({ page, context }) => {
  await page.goto('/');
  const defaults: Record<string, string> = {};
  for (const label of ['Model size', 'Preset', 'Total steps', 'Seed']) defaults[label] = await page.getByLabel(label, { exact: true }).inputValue();
  await page.getByLabel('Preset').selectOption('stack');
  await page.getByRole('button', { name: 'Copy share link' }).click();
  const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
  expect(link).toMatch(/&length=off_pool_2_mean$/);

  const cases = [
    { url: '/#v=1&size=huge', says: /size: "huge" is not one of tiny, small, deep, lab/ },
    // Cut inside the last value, as a chat app or a careless copy might.
    { url: link.slice(0, -5), says: /length: "off_pool_2" should have 4 parts/ },
    { url: '/#v=9&seed=3', says: /newer GrowLab/ },
  ];
  for (const { url, says } of cases) {
    const p = await context.newPage();
    await p.goto(url);
    await expect(p.getByRole('alert').filter({ hasText: 'share link' })).toContainText(says);
    for (const [label, value] of Object.entries(defaults)) await expect(p.getByLabel(label, { exact: true })).toHaveValue(value);
    await expect(p.getByRole('button', { name: 'Start', exact: true })).toBeVisible();
    await expect(plan(p)).toContainText(/Predicted speed-up: \d/);
    await p.close();
  }
});
