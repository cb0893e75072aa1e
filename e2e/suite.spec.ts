import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { screenshots } from './fixtures/lab.ts';

// Made by the real CLI: growlab suite --size tiny --seeds 2 --steps 20 --eval-batches 8 --out DIR, DIR/results.json and report.md copied here
const RESULTS = new URL('./fixtures/suite/results.json', import.meta.url).pathname;
const REPORT = readFileSync(new URL('./fixtures/suite/report.md', import.meta.url), 'utf8');

/** The report's comparison tables by section heading ("title (where the paper makes it)"): rows of cells (arm, seeds, metrics...). */
function reportTables(md: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const sec of md.split(/^## /m).slice(1)) {
    const heading = sec.split('\n')[0];
    const lines = sec.split('\n').filter((l) => l.startsWith('|'));
    if (lines.length > 2) out.set(heading, lines.slice(2).map((l) => l.slice(1, -1).split('|').map((c) => c.trim())));
  }
  return out;
}

/** The lines under a section's table: "- arm − reference, Val MLM loss: …". */
function reportLines(md: string, heading: string): string[] {
  const sec = md.split(/^## /m).find((x) => x.startsWith(`${heading}\n`)) ?? '';
  return sec.split('\n').filter((l) => l.startsWith('- ')).map((l) => l.slice(2));
}

test('opens a suite results.json and shows the same tables, paired tests and gate as its report', async ({ page }, testInfo) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Suite results' });
  await panel.getByLabel('Open suite results').setInputFiles(RESULTS);
  const tables = reportTables(REPORT);
  const titles = [
    'Compound vs single-dimension growth at equal FLOPs',
    'Length: embedding pooling vs truncation at equal FLOPs',
    'Width: parameter sharing vs factorization at equal FLOPs',
    'Width sharing: copies split by ε vs exact copies (ε = 0)',
    'Baseline vs stacking vs CompoundGrow: comparable quality at lower cost',
    'Learning-rate restarts without growth',
  ];
  for (const title of titles) {
    const heading = [...tables.keys()].find((h) => h.startsWith(`${title} (`));
    expect(heading, title).toBeDefined();
    const table = panel.getByRole('table', { name: title });
    await expect(table).toBeVisible();
    const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').trim())));
    expect(shown).toEqual(tables.get(heading!));
    // The same paired tests (and copy separation) under the table as in the report.
    const lines = reportLines(REPORT, heading!);
    expect(lines.length, heading).toBeGreaterThan(0);
    const section = panel.locator('.suite-comparison').filter({ has: page.getByRole('table', { name: title, exact: true }) });
    for (const line of lines) await expect(section.getByText(line, { exact: true })).toBeVisible();
  }
  // Thirteen arms and the dashed frequency-only level.
  await expect(panel.getByRole('figure', { name: 'Validation loss vs forward FLOPs' }).locator('.chart-line')).toHaveCount(14);
  const reference = REPORT.split('\n').find((l) => l.startsWith('Reference: predicting token frequencies alone'));
  expect(reference).toBeDefined();
  await expect(panel.getByText(reference!)).toBeVisible();
  const gate = REPORT.split('\n').find((l) => l.startsWith('- Baseline vs the smallest stage model: '));
  expect(gate).toBeDefined();
  await expect(panel.getByText(`Gate, ${gate!.slice(2, 3).toLowerCase()}${gate!.slice(3)}`)).toBeVisible();
  await panel.scrollIntoViewIfNeeded();
  await screenshots(page, testInfo, 'suite-results');

  // A wrong file is refused with a message, and the tables already shown stay.
  await panel.getByLabel('Open suite results').setInputFiles({ name: 'run.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'growlab-run', version: 1 })) });
  await expect(panel.getByRole('alert')).toContainText('Could not open run.json: results: this is a single run record (growlab-run), not suite results');
  await expect(panel.getByRole('table', { name: titles[0] })).toBeVisible();
  await panel.getByLabel('Open suite results').setInputFiles({ name: 'junk.json', mimeType: 'application/json', buffer: Buffer.from('{not json') });
  await expect(panel.getByRole('alert')).toContainText('junk.json is not JSON');
});
