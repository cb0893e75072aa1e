import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test, type Download, type Page } from '@playwright/test';
import Papa from 'papaparse';
import { parse } from 'yaml';
import { openLabOn, runRow, tinyExperiment } from './fixtures/lab.ts';
import { waitForStatus } from './fixtures/progress.ts';

/** Clicks the button and returns the file it downloads. */
async function download(page: Page, name: string): Promise<{ file: Download; bytes: Buffer }> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name, exact: true }).click();
  const file = await pending;
  return { file, bytes: readFileSync(await file.path()) };
}

test('a finished run exports its metrics, the comparison, its charts and a Model Garden config', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await openLabOn(page);
  await tinyExperiment(page, 20);
  await page.getByLabel('Preset').selectOption('baseline');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await waitForStatus(page, 'baseline', 'done');
  await expect(runRow(page, 'baseline')).toContainText('20 / 20');

  await test.step('run CSV: a header and exactly one row per step, 1..20, validation at 10 and 20', async () => {
    const { file, bytes } = await download(page, 'Download baseline metrics as CSV');
    expect(file.suggestedFilename()).toBe('baseline-metrics.csv');
    const parsed = Papa.parse<Record<string, string>>(bytes.toString('utf8').trimEnd(), { header: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(['step', 'stage_index', 'stage_label', 'loss', 'lr', 'grad_norm', 'tokens', 'wall_ms', 'cum_wall_ms', 'val_loss', 'val_acc']);
    const rows = parsed.data;
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => Number(r.step))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const r of rows) {
      expect(Number.isFinite(Number(r.loss))).toBe(true);
      expect(Number(r.lr)).toBeGreaterThan(0);
      expect(r.stage_index).toBe('0');
    }
    expect(rows.filter((r) => r.val_loss !== '').map((r) => Number(r.step))).toEqual([10, 20]);
  });

  await test.step('run JSON and comparison JSON (one run)', async () => {
    const run = JSON.parse((await download(page, 'Download baseline metrics as JSON')).bytes.toString('utf8'));
    expect(run.steps).toHaveLength(20);
    const { file, bytes } = await download(page, 'Comparison JSON');
    expect(file.suggestedFilename()).toBe('growlab-comparison.json');
    const cmp = JSON.parse(bytes.toString('utf8'));
    expect(cmp.baseline).toBe('baseline');
    expect(cmp.runs).toHaveLength(1);
    expect(cmp.runs[0]).toMatchObject({ label: 'baseline', preset: 'baseline', status: 'done', steps: 20, plannedSteps: 20 });
    expect(cmp.runs[0].valLoss).toBe(run.validation[run.validation.length - 1].loss);
    expect(cmp.runs[0].forwardFlops).toBeGreaterThan(0);
  });

  await test.step("pointing at the loss chart's right end reads out the last step's losses", async () => {
    const run = JSON.parse((await download(page, 'Download baseline metrics as JSON')).bytes.toString('utf8'));
    const hit = page.getByRole('region', { name: 'Loss curve' }).locator('.chart-hit');
    const box = (await hit.boundingBox())!;
    await hit.hover({ position: { x: box.width - 1, y: box.height / 2 } });
    const readout = page.getByRole('region', { name: 'Loss curve' }).locator('.chart-readout');
    await expect(readout).toContainText('step 20');
    await expect(readout).toContainText(`baseline train: ${run.steps[19].loss.toFixed(2)}`);
    await expect(readout).toContainText(`baseline validation: ${run.validation[1].loss.toFixed(2)}`);
    await page.mouse.move(0, 0);
    await expect(readout).toHaveCount(0);
  });

  await test.step('loss chart as SVG and as PNG at twice its size', async () => {
    const svg = (await download(page, 'Download Loss curve as SVG')).bytes.toString('utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toMatch(/<path[^>]* d="M/);
    const width = Number(svg.match(/^<svg[^>]* width="(\d+)"/)![1]);
    const png = (await download(page, 'Download Loss curve as PNG')).bytes;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(2 * width);
    const path = testInfo.outputPath('loss-curve.png');
    writeFileSync(path, png);
    await testInfo.attach('loss-curve.png', { path, contentType: 'image/png' });
  });

  await test.step('Model Garden YAML of the builder config', async () => {
    const { bytes } = await download(page, 'Export for Model Garden');
    const doc = parse(bytes.toString('utf8'));
    expect(doc.trainer.progressive.stage_list).toHaveLength(1);
    expect(doc.task.model.encoder.bert.num_layers).toBe(12);
  });
});
