import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openLabOn, tinyExperiment } from './fixtures/lab.ts';
import { STALL_MS, waitForStatus } from './fixtures/progress.ts';

/**
 * The issue's bound, asserted: no main-thread task over 50 ms (the browser's own "long task") while
 * a run trains in the worker. What made them, and what was done (profiled on 2 cores with a third
 * process spinning): recharts' synchronous redraws (40-95 ms; the charts are plain SVG now,
 * MetricChart.tsx) and IndexedDB serialising each checkpoint's bytes inside put() on the main thread
 * (about 10 ms a megabyte; checkpoints travel and are stored as Blobs now, db.ts).
 *
 * A task's duration is wall time, so the OS giving the page's thread to another process inflates it:
 * with one more busy process than cores, 1 measurement in 3 still saw one task of 56-77 ms whose
 * JavaScript took a few milliseconds. Retries re-measure such a disturbance; a page that really
 * runs long tasks (recharts back, a byte array in put()) fails every try.
 */
const LONG_TASK_MS = 50;
test.describe.configure({ retries: 2 });
/** Enough steps for the curves, timeline, table and queue to redraw many times at their cadences. */
const STEPS = 300;

interface Timed {
  start: number;
  duration: number;
}
/** A long animation frame with the scripts that ran in it: what a long task was doing. */
interface Frame extends Timed {
  scripts: string[];
}
type Watched = Window & { __longtasks: Timed[]; __frames: Frame[] };

// Playwright's trace recorder snapshots the page's DOM on the page's own main thread at every
// action (each poll of a wait included): tens of milliseconds a snapshot with the lab's DOM, so
// with tracing on, the harness would be the page's longest task.
test.use({ trace: 'off' });

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as Watched;
    w.__longtasks = [];
    w.__frames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as (PerformanceEntry & { scripts: { invoker: string; sourceFunctionName: string; duration: number }[] })[]) {
        const scripts = e.scripts.map((x) => `${x.invoker} ${x.sourceFunctionName} ${Math.round(x.duration)} ms`);
        w.__frames.push({ start: e.startTime, duration: e.duration, scripts });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
});

test('no main-thread task over 50 ms while a run trains in the worker', async ({ page }, testInfo) => {
  test.setTimeout(0);
  // wasm: what "auto" picks on a machine without a GPU. SwiftShader's WebGPU runs the "GPU" on the
  // same CPU cores as the page, a setup auto never trains on.
  await openLabOn(page, 'wasm');
  await tinyExperiment(page, STEPS);
  await page.getByLabel('Validate every (steps)').fill(String(STEPS / 10));
  const queue = page.getByRole('region', { name: 'Queue' });
  await queue.getByRole('checkbox', { name: 'compound', exact: true }).check();
  await queue.getByRole('button', { name: 'Add to queue' }).click();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await waitForStatus(page, 'compound', 'running');
  const from = await page.evaluate(() => performance.now());
  // One in-page wait (no per-poll actions while measuring); it gives up when the Runs table's
  // step counter stops moving for STALL_MS, as the progress watcher does.
  const outcome = await page.waitForFunction(
    (stallMs) => {
      const w = window as unknown as { __seen?: { text: string; at: number } };
      const row = document.querySelector('section[aria-label="Runs"] tbody tr');
      const status = row?.querySelector('td[data-label="Status"]')?.textContent?.trim() ?? '';
      if (status === 'done') return 'done';
      const text = `${status} ${row?.querySelector('td[data-label="Steps"]')?.textContent ?? ''}`;
      const now = performance.now();
      if (!w.__seen || w.__seen.text !== text) w.__seen = { text, at: now };
      return now - w.__seen.at > stallMs ? `stalled at ${text}` : false;
    },
    STALL_MS,
    { polling: 1000, timeout: 0 },
  );
  expect(await outcome.jsonValue()).toBe('done');
  const to = await page.evaluate(() => performance.now());
  const { tasks, frames } = await page.evaluate(([a, b]) => {
    const w = window as unknown as Watched;
    const inside = (t: Timed) => t.start + t.duration >= a && t.start <= b;
    return { tasks: w.__longtasks.filter(inside), frames: w.__frames.filter(inside) };
  }, [from, to]);
  const durations = tasks.map((t) => Math.round(t.duration)).sort((x, y) => x - y);
  const figure = {
    what: `main-thread long tasks (PerformanceObserver "longtask", > 50 ms) while compound trains in the worker`,
    backend: 'wasm (Chromium)',
    run: { preset: 'compound', size: 'tiny', steps: STEPS },
    windowMs: Math.round(to - from),
    count: tasks.length,
    maxMs: durations.at(-1) ?? 0,
    durationsMs: durations,
    frames: frames.map((f) => ({ atMs: Math.round(f.start - from), ms: Math.round(f.duration), scripts: f.scripts })),
    measuredAt: new Date().toISOString(),
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/longtasks.json', `${JSON.stringify(figure, null, 2)}\n`);
  await testInfo.attach('longtasks.json', { body: JSON.stringify(figure, null, 2), contentType: 'application/json' });
  expect(figure.count, `main-thread tasks over ${LONG_TASK_MS} ms while training: ${JSON.stringify(figure)}`).toBe(0);
});
