import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
const p = await b.newPage({ viewport: { width: 1280, height: 800 } });
await p.goto('http://127.0.0.1:4173/');
await p.getByRole('status', { name: 'Backend: webgpu' }).waitFor({ timeout: 60000 });
await p.getByLabel('Total steps').fill('30');
await p.getByLabel('Validate every (steps)').fill('10');
await p.getByLabel('Preset').selectOption('compound');
await b.startTracing(p, { path: '/tmp/trace.json', categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await p.getByRole('button', { name: 'Start', exact: true }).click();
await p.getByRole('region', { name: 'Runs' }).getByRole('row', { name: /^compound/ }).filter({ hasText: 'done' }).waitFor({ timeout: 300000 });
await b.stopTracing();
await b.close();
const t = JSON.parse(readFileSync('/tmp/trace.json', 'utf8'));
const ev = t.traceEvents ?? t;
const names = new Map();
for (const e of ev) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
const main = ev.filter((e) => names.get(`${e.pid}:${e.tid}`) === 'CrRendererMain');
const tasks = main.filter((e) => e.name === 'RunTask' && e.dur > 50000).sort((a, b) => b.dur - a.dur).slice(0, 8);
for (const task of tasks) {
  const kids = main.filter((e) => e.ts >= task.ts && e.ts < task.ts + task.dur && e.dur > 5000 && e !== task && e.name !== 'RunTask');
  console.log('TASK', (task.dur / 1000).toFixed(0), 'ms', kids.slice(0, 12).map((k) => `${k.name}${k.args?.data?.functionName ? '(' + k.args.data.functionName + ')' : ''}${k.args?.data?.url ? '[' + k.args.data.url.split('/').pop() + ':' + k.args.data.lineNumber + ']' : ''}:${(k.dur / 1000).toFixed(0)}`).join(' | '));
}
