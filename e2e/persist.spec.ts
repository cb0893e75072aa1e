import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { runRow, tinyExperiment } from './fixtures/lab.ts';
import { waitForStatus } from './fixtures/progress.ts';

interface StoredSummary {
  label: string;
  status: string;
  steps: number[];
  checkpointStep: number | null;
}

/** The runs as IndexedDB holds them (read straight from the database, not through the app). */
async function stored(page: Page): Promise<StoredSummary[]> {
  return page.evaluate(
    () =>
      new Promise<StoredSummary[]>((resolve, reject) => {
        const req = indexedDB.open('growlab');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction('runs').objectStore('runs').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = () => {
            db.close();
            resolve(
              (all.result as { run: { label: string; status: string; steps: { step: number }[]; checkpointStep: number | null } }[]).map(({ run }) => ({
                label: run.label,
                status: run.status,
                steps: run.steps.map((m) => m.step),
                checkpointStep: run.checkpointStep,
              })),
            );
          };
        };
      }),
  );
}

/** Steps of the latest stored checkpoint per run label. */
async function storedCheckpointSteps(page: Page): Promise<number[]> {
  return page.evaluate(
    () =>
      new Promise<number[]>((resolve, reject) => {
        const req = indexedDB.open('growlab');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction('checkpoints').objectStore('checkpoints').getAll();
          all.onsuccess = () => {
            db.close();
            resolve((all.result as { step: number }[]).map((c) => c.step));
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

async function openLab(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('status', { name: /^Backend: / })).toBeVisible({ timeout: 90_000 });
}

const SUITE_RESULTS = new URL('./fixtures/suite/results.json', import.meta.url).pathname;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** `growlab train` on the cpu backend, from the repository root; returns its --json summary. */
function cli(args: string[]): { steps: number; finalLoss: number } {
  const out = execFileSync('node', ['bin/growlab.mjs', 'train', ...args, '--backend', 'cpu', '--json'], { encoding: 'utf8', timeout: 240_000 });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

test('a finished run is listed with its curve after a reload; rename survives a reload; delete removes it', async ({ page }) => {
  test.setTimeout(420_000);
  await openLab(page);
  await tinyExperiment(page, 15);
  await page.getByLabel('Preset').selectOption('baseline');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await waitForStatus(page, 'baseline', 'done');

  await page.reload();
  await expect(page.getByRole('status', { name: /^Backend: / })).toBeVisible({ timeout: 90_000 });
  await expect(runRow(page, 'baseline')).toContainText('done');
  await expect(runRow(page, 'baseline')).toContainText('15 / 15');
  // Training and validation lines of the stored run.
  await expect(page.getByRole('region', { name: 'Loss curve' }).locator('.chart-line')).toHaveCount(2);
  expect((await stored(page)).map((r) => [r.label, r.status, r.steps])).toEqual([['baseline', 'done', range(15)]]);
  expect(await storedCheckpointSteps(page)).toEqual([15]);

  // Unticked for comparison: gone from the charts, still in the table; ticked again: back.
  const loss = page.getByRole('region', { name: 'Loss curve' });
  await page.getByRole('checkbox', { name: 'Compare baseline' }).uncheck();
  await expect(loss).toContainText('No steps recorded yet');
  await expect(runRow(page, 'baseline')).toContainText('done');
  await page.getByRole('checkbox', { name: 'Compare baseline' }).check();
  await expect(loss.locator('.chart-line')).toHaveCount(2);

  await page.getByRole('button', { name: 'Rename baseline' }).click();
  const name = page.getByRole('textbox', { name: 'New name for baseline' });
  await name.fill('my baseline');
  await name.press('Enter');
  await expect(runRow(page, 'my baseline')).toContainText('done');
  await expect.poll(async () => (await stored(page)).map((r) => r.label)).toEqual(['my baseline']);
  await page.reload();
  await expect(runRow(page, 'my baseline')).toContainText('15 / 15');

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete my baseline' }).click();
  await expect(page.getByRole('region', { name: 'Runs' })).toContainText('No runs yet.');
  await expect.poll(() => stored(page)).toEqual([]);
  await expect.poll(() => storedCheckpointSteps(page)).toEqual([]);
  await page.reload();
  await expect(page.getByRole('status', { name: /^Backend: / })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('region', { name: 'Runs' })).toContainText('No runs yet.');
});

test('a run interrupted by a reload resumes to its last step; its checkpoint also resumes in the CLI', async ({ page }) => {
  test.setTimeout(600_000);
  await openLab(page);
  // Long enough that the reload lands mid-run on a fast backend (wasm runs a tiny step in ~40 ms):
  // the reload follows the first stored checkpoint (every 10 steps here) within a poll interval.
  const steps = 300;
  await tinyExperiment(page, steps);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect.poll(async () => (await stored(page))[0]?.checkpointStep ?? 0, { timeout: 240_000, intervals: [100] }).toBeGreaterThanOrEqual(10);
  await page.reload();

  const row = runRow(page, 'compound');
  await expect(row).toContainText('interrupted');
  const message = page.locator('.run-message').filter({ hasText: 'compound:' });
  await expect(message).toContainText(/interrupted by a reload at step \d+; resume from step \d+/);
  const [, at, from] = (await message.textContent())!.match(/at step (\d+); resume from step (\d+)/)!.map(Number);
  expect(from).toBeGreaterThanOrEqual(10);
  expect(from).toBeLessThanOrEqual(at);

  await test.step('the downloaded checkpoint resumes in the CLI to the final step', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download checkpoint of compound' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`compound-step${from}.safetensors`);
    const path = join(mkdtempSync(join(tmpdir(), 'growlab-e2e-')), file.suggestedFilename());
    await file.saveAs(path);
    const summary = cli(['--resume', path]);
    expect(summary.steps).toBe(steps);
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
  });

  await page.getByRole('button', { name: `Resume compound from step ${from}` }).click();
  await waitForStatus(page, 'compound', 'done');
  await expect(row).toContainText(`${steps} / ${steps}`);
  await expect.poll(async () => (await stored(page)).map((r) => [r.status, r.steps])).toEqual([['done', range(steps)]]);
  expect(await storedCheckpointSteps(page)).toEqual([steps]);
});

test('a CLI checkpoint imports and resumes in the lab; a corrupted or truncated checkpoint or results.json is refused with a message in its panel', async ({ page }) => {
  test.setTimeout(480_000);
  const dir = mkdtempSync(join(tmpdir(), 'growlab-e2e-'));
  const ckpt = join(dir, 'cli.safetensors');
  // Two validation batches: the lab evaluates the resumed run at step 20 with the checkpoint's set.
  const partial = cli(['--size', 'tiny', '--steps', '20', '--eval-batches', '2', '--save-every', '10', '--checkpoint-out', ckpt, '--stop-after', '10']);
  expect(partial.steps).toBe(10);
  const bytes = readFileSync(ckpt);

  await openLab(page);
  const input = page.getByLabel('Import checkpoint');
  await input.setInputFiles({ name: 'cli.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
  // The only run: the imported one ("baseline (imported)").
  const row = runRow(page, 'baseline');
  await expect(row).toContainText('interrupted');
  await expect(row).toContainText('10 / 20');

  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
  await input.setInputFiles({ name: 'junk.safetensors', mimeType: 'application/octet-stream', buffer: junk });
  await expect(page.getByRole('alert').filter({ hasText: 'Cannot import "junk.safetensors": checkpoint:' })).toBeVisible();
  await page.getByRole('alert').filter({ hasText: 'junk.safetensors' }).getByRole('button', { name: 'Dismiss' }).click();
  await input.setInputFiles({ name: 'cut.safetensors', mimeType: 'application/octet-stream', buffer: bytes.subarray(0, Math.floor(bytes.length / 2)) });
  await expect(page.getByRole('alert').filter({ hasText: 'Cannot import "cut.safetensors": checkpoint:' })).toBeVisible();
  // A results.json damaged in one field: the suite panel says which, and nothing else changes.
  const damaged = JSON.parse(readFileSync(SUITE_RESULTS, 'utf8'));
  damaged.runs[3].summary.valLoss = 'low';
  const suite = page.getByRole('region', { name: 'Suite results' });
  await suite.getByLabel('Open suite results').setInputFiles({ name: 'damaged.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(damaged)) });
  await expect(suite.getByRole('alert')).toContainText('Could not open damaged.json: results: runs[3].summary.valLoss: expected a finite number, got "low"');
  // The builder and the stored runs are as they were.
  await expect(page.getByLabel('Model size')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Runs' }).getByRole('row')).toHaveCount(2);
  await page.reload();
  await expect(page.getByRole('status', { name: /^Backend: / })).toBeVisible({ timeout: 90_000 });
  await expect(row).toContainText('interrupted');

  await page.getByRole('button', { name: 'Resume baseline (imported) from step 10' }).click();
  await waitForStatus(page, 'baseline (imported)', 'done');
  await expect(row).toContainText('20 / 20');
  await expect.poll(async () => (await stored(page)).map((r) => [r.status, r.steps])).toEqual([['done', range(20)]]);
});

test('full browser storage: a clear notice, training goes on, and the runs stored before are kept', async ({ page }) => {
  test.setTimeout(480_000);
  // Storage "fills up" on demand: every IndexedDB write then fails as a full quota does.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if ((window as unknown as { __storageFull?: boolean }).__storageFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  await openLab(page);
  await tinyExperiment(page, 10);
  await page.getByLabel('Preset').selectOption('baseline');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await waitForStatus(page, 'baseline', 'done');
  await expect.poll(async () => (await stored(page)).map((r) => [r.status, r.checkpointStep])).toEqual([['done', 10]]);

  await page.evaluate(() => ((window as unknown as { __storageFull?: boolean }).__storageFull = true));
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Browser storage is full:' })).toContainText('Delete or export old runs');
  await waitForStatus(page, 'baseline #2', 'done');
  await expect(runRow(page, 'baseline #2')).toContainText('10 / 10');
  await expect(page.getByLabel('Model size')).toBeVisible();

  await page.evaluate(() => ((window as unknown as { __storageFull?: boolean }).__storageFull = false));
  await page.reload();
  await expect(page.getByRole('status', { name: /^Backend: / })).toBeVisible({ timeout: 90_000 });
  expect((await stored(page)).map((r) => [r.label, r.status, r.steps, r.checkpointStep])).toEqual([['baseline', 'done', range(10), 10]]);
  expect(await storedCheckpointSteps(page)).toEqual([10]);
  await expect(runRow(page, 'baseline')).toContainText('10 / 10');
});
