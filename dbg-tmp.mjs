import { chromium } from '@playwright/test';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
const t0 = Date.now();
p.on('console', (m) => console.log(((Date.now() - t0) / 1000).toFixed(1), 'console:', m.type(), m.text().slice(0, 300)));
p.on('pageerror', (e) => console.log('pageerror:', e.message));
p.on('worker', async (w) => {
  console.log('worker', w.url());
  await w.evaluate(() => {
    const orig = self.postMessage.bind(self);
    self.postMessage = (m) => { if (m.type !== 'metrics') console.log('EVT', JSON.stringify(m).slice(0, 160)); else console.log('EVT metrics', m.steps.length, m.steps.at(-1).step, m.steps.map(s=>s.wallMs.toFixed(0)).join(',')); orig(m); };
  });
});
await p.goto('http://127.0.0.1:4173/');
await p.getByRole('status', { name: 'Backend: webgpu' }).waitFor({ timeout: 60000 });
await p.getByLabel('Total steps').fill('40');
await p.getByLabel('Preset').selectOption('compound');
await p.getByRole('button', { name: 'Start', exact: true }).click();
await p.waitForTimeout(240000);
await b.close();
