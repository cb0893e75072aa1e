import { expect, test, type Page } from '@playwright/test';
import { expectAccessible } from './fixtures/a11y.ts';
import { DESKTOP, PHONE, openLabOn, tinyExperiment } from './fixtures/lab.ts';

const builder = (page: Page) => page.getByRole('region', { name: 'Experiment builder' });
const picture = (page: Page) => builder(page).getByRole('img', { name: /^Schedule picture: / });
/** Width of stage 1's block on the steps row, in the SVG's own units. */
const firstBlockWidth = async (page: Page) => Number(await picture(page).locator('rect.sp-block').first().getAttribute('width'));

test('the builder draws the schedule before it runs and redraws it as a stage is edited', async ({ page }, testInfo) => {
  await openLabOn(page);
  await tinyExperiment(page, 200);
  await page.getByLabel('Preset').selectOption('compound');

  await test.step('compound at tiny: three stages named with their steps, FLOPs share and shape', async () => {
    await expect(picture(page)).toBeVisible();
    await expect(picture(page)).toHaveAccessibleName('Schedule picture: 3 stages over 200 steps');
    // FLOPs shares as src/ui/schedule-picture.test.ts derives them by hand.
    await expect(picture(page)).toHaveAccessibleDescription(
      'stage 1: steps 0–80, 27% of FLOPs, L1 · FFN/2 · pool 2; stage 2: steps 80–140, 27% of FLOPs, L2 · FFN/2 · pool 2; stage 3: steps 140–200, 46% of FLOPs, L2',
    );
    await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();
    await expectAccessible(page, testInfo, 'builder with the schedule picture');
  });

  await test.step('a shorter first stage redraws: its block narrows, its FLOPs share falls', async () => {
    const before = await firstBlockWidth(page);
    await page.getByRole('spinbutton', { name: 'Stage 1 Steps' }).fill('20');
    await expect(picture(page)).toHaveAccessibleName('Schedule picture: 3 stages over 140 steps');
    await expect(picture(page)).toHaveAccessibleDescription(/^stage 1: steps 0–20, 8% of FLOPs, L1 · FFN\/2 · pool 2; stage 2: steps 20–80, 34% of FLOPs/);
    expect(await firstBlockWidth(page)).toBeLessThan(before);
  });

  await test.step('fits a phone without sideways scrolling; screenshots in light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const size of [DESKTOP, PHONE]) {
        await page.setViewportSize(size);
        const box = (await picture(page).boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(size.width);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
        const path = testInfo.outputPath(`builder-picture-${size.width}-${scheme}.png`);
        await picture(page).locator('xpath=ancestor::figure[1]').screenshot({ path });
        await testInfo.attach(`builder picture ${size.width} ${scheme}`, { path, contentType: 'image/png' });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(DESKTOP);
    const path = testInfo.outputPath('builder.png');
    await builder(page).screenshot({ path });
    await testInfo.attach('builder', { path, contentType: 'image/png' });
  });

  await test.step('an invalid stage gives a note instead of a picture; fixing it brings the picture back', async () => {
    const layers = page.getByRole('spinbutton', { name: 'Stage 1 Layers' });
    await layers.fill('5');
    await expect(layers).toHaveAttribute('aria-invalid', 'true');
    await expect(picture(page)).toHaveCount(0);
    await expect(builder(page).getByText("The schedule's picture appears once the settings are valid.")).toBeVisible();
    await layers.fill('1');
    await expect(picture(page)).toHaveAccessibleName('Schedule picture: 3 stages over 140 steps');
  });
});
