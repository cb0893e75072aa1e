import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { screenshots } from './fixtures/lab.ts';

// Made by the real CLI: growlab suite --size tiny --seeds 2 --steps 20 --out DIR, DIR/results.json and report.md copied here
const RESULTS = new URL('./fixtures/suite/results.json', import.meta.url).pathname;
const REPORT = readFileSync(new URL('./fixtures/suite/report.md', import.meta.url), 'utf8');

/** The report's comparison tables by section title: rows of cells (arm, seeds, metrics...). */
function reportTables(md: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const sec of md.split(/^## /m).slice(1)) {
    const title = sec.split('\n')[0].replace(/ \((Figure|Table) \d\)$/, '');
    const lines = sec.split('\n').filter((l) => l.startsWith('|'));
    if (lines.length > 2) out.set(title, lines.slice(2).map((l) => l.slice(1, -1).split('|').map((c) => c.trim())));
  }
  return out;
}

test('opens a suite results.json and shows the same tables as its report', async ({ page }, testInfo) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Suite results' });
  await panel.getByLabel('Open suite results').setInputFiles(RESULTS);
  const tables = reportTables(REPORT);
  const titles = ['Compound vs single-dimension growth at equal FLOPs', 'Length: embedding pooling vs truncation at equal FLOPs', 'Width: parameter sharing vs factorization at equal FLOPs', 'Baseline vs stacking vs CompoundGrow: FLOPs, wall time and quality'];
  for (const title of titles) {
    const expected = tables.get(title);
    expect(expected, title).toBeDefined();
    const table = panel.getByRole('table', { name: title });
    await expect(table).toBeVisible();
    const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').trim())));
    expect(shown).toEqual(expected);
  }
  // Eight arms and the dashed frequency-only level.
  await expect(panel.getByRole('figure', { name: 'Validation loss vs forward FLOPs' }).locator('path.recharts-curve')).toHaveCount(9);
  const reference = REPORT.split('\n').find((l) => l.startsWith('Reference: predicting token frequencies alone'));
  expect(reference).toBeDefined();
  await expect(panel.getByText(reference!)).toBeVisible();
  await expect(panel.getByText(/not significant \(spreads overlap\)|better; the one-std spreads do not overlap/).first()).toBeVisible();
  await panel.scrollIntoViewIfNeeded();
  await screenshots(page, testInfo, 'suite-results');

  // A wrong file is refused with a message, and the tables already shown stay.
  await panel.getByLabel('Open suite results').setInputFiles({ name: 'run.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'growlab-run', version: 1 })) });
  await expect(panel.getByRole('alert')).toContainText('Could not open run.json: results: this is a single run record (growlab-run), not suite results');
  await expect(panel.getByRole('table', { name: titles[0] })).toBeVisible();
  await panel.getByLabel('Open suite results').setInputFiles({ name: 'junk.json', mimeType: 'application/json', buffer: Buffer.from('{not json') });
  await expect(panel.getByRole('alert')).toContainText('junk.json is not JSON');
});
