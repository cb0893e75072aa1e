import { chromium } from '@playwright/test';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
await p.goto('http://127.0.0.1:5199/');
await p.waitForTimeout(5000);
const r = await p.evaluate(async () => {
  const { useRuns } = await import('/src/state/runs.ts');
  const { useBuilder } = await import('/src/state/builder.ts');
  const { buildExperiment } = await import('/src/state/experiment.ts');
  const built = buildExperiment({ ...useBuilder.getState(), totalSteps: 10000, evalEvery: 500 });
  const ids = useRuns.getState().enqueue(Array.from({ length: 10 }, () => ({ config: built.config, plan: built.plan, preset: 'compound' })));
  const longs = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) longs.push(Math.round(e.duration)); }).observe({ type: 'longtask' });
  const t0 = performance.now();
  const now = Date.now();
  // Each run: started, then 100 metric batches of 100 steps, applied one batch per frame across runs.
  useRuns.getState().apply(ids.map((id) => ({ type: 'started', runId: id, flops: built.plan })), now);
  let frames = 0;
  for (let batch = 0; batch < 100; batch++) {
    const events = ids.map((id, k) => ({ type: 'metrics', runId: id, steps: Array.from({ length: 100 }, (_, j) => {
      const step = batch * 100 + j + 1;
      return { step, loss: 7 * Math.exp(-step / (3000 + 300 * k)) + 0.3 * Math.random(), lr: 1e-3, gradNorm: 1, tokens: 200, wallMs: 5 };
    }) }));
    if (batch % 5 === 4) for (const id of ids) events.push({ type: 'validation', runId: id, point: { step: batch * 100 + 100, loss: 5 - batch / 30, accuracy: 0.1 } });
    useRuns.getState().apply(events, now);
    await new Promise((res) => requestAnimationFrame(res));
    frames++;
  }
  await new Promise((res) => setTimeout(res, 1000));
  return { ms: Math.round(performance.now() - t0), frames, longs, paths: document.querySelectorAll('.recharts-line').length };
});
console.log(JSON.stringify(r));
await p.screenshot({ path: '/tmp/stress.png' });
await b.close();
