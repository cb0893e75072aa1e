/*
 * `npm run bench:browser`: the measurements of `growlab bench` (kernels per step, seconds per step,
 * tokens/s, GFLOP/s, mfu against the same backend's large matmul, peak bytes) taken in headless
 * Chromium for webgpu, webgl and wasm. Builds the app into dist-bench (unless --no-build), serves it
 * with `vite preview` on a free port (cross-origin isolated, so wasm runs threaded), opens
 * bench.html in Chromium through Playwright and writes bench-results/bench-browser.json.
 *
 *   npm run bench:browser -- --sizes tiny --steps 3
 *   npm run bench:browser -- --backends wasm,webgl --sizes tiny,small --out bench-results/x.json
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';

const HELP = `usage: npm run bench:browser -- [flags]
  --sizes tiny,small         model sizes (tiny, small, lab)
  --backends webgpu,webgl,wasm
  --steps 5                  timed steps per size, at most (--max-ms stops earlier)
  --warmup 2                 untimed warm-up steps per size
  --max-ms 10000             stop timing a size after this many ms of timed steps (at least one is timed)
  --matmul-n 1024 --matmul-reps 3   the square matmul behind mfu
  --wasm-threads N           wasm thread pool size (default: the lab's, src/worker/tf-setup.ts)
  --out bench-results/bench-browser.json
  --dist dist-bench          build output served to the browser
  --no-build                 serve an existing --dist build
  --timeout 1200             seconds before giving up on the page
  --headed                   show the browser`;

const { values: v } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'tiny,small' },
    backends: { type: 'string', default: 'webgpu,webgl,wasm' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'max-ms': { type: 'string', default: '10000' },
    'matmul-n': { type: 'string', default: '1024' },
    'matmul-reps': { type: 'string', default: '3' },
    'wasm-threads': { type: 'string' },
    out: { type: 'string', default: 'bench-results/bench-browser.json' },
    dist: { type: 'string', default: 'dist-bench' },
    'no-build': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '1200' },
    headed: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (v.help) {
  console.log(HELP);
  process.exit(0);
}

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url} within ${ms / 1000} s`);
}

async function main(): Promise<void> {
  const dist = v.dist!;
  if (!v['no-build']) {
    if (!existsSync('public/data/brown/manifest.json')) {
      console.error('bench:browser: building the corpus shards (npm run data)…');
      const data = spawnSync('npm', ['run', 'data'], { stdio: 'inherit' });
      if (data.status !== 0) throw new Error('npm run data failed');
    }
    console.error(`bench:browser: vite build --outDir ${dist}…`);
    const build = spawnSync('npx', ['vite', 'build', '--outDir', dist, '--logLevel', 'error'], { stdio: 'inherit' });
    if (build.status !== 0) throw new Error('vite build failed');
  } else if (!existsSync(`${dist}/bench.html`)) {
    throw new Error(`${dist}/bench.html is missing: build first (drop --no-build)`);
  }

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const preview = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--outDir', dist], {
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const stopPreview = () => {
    // The preview runs in its own process group (npx → node); end that group only.
    if (preview.pid !== undefined && preview.exitCode === null) {
      try {
        process.kill(-preview.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', stopPreview);
  try {
    await waitForServer(`${base}/bench.html`, preview, 60_000);
    const browser = await chromium.launch({
      executablePath,
      headless: !v.headed,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error(`bench:browser: page error: ${e.message}`));
      const q = new URLSearchParams({
        sizes: v.sizes!,
        backends: v.backends!,
        steps: v.steps!,
        warmup: v.warmup!,
        maxMs: v['max-ms']!,
        matmulN: v['matmul-n']!,
        matmulReps: v['matmul-reps']!,
        ...(v['wasm-threads'] ? { wasmThreads: v['wasm-threads'] } : {}),
      });
      await page.goto(`${base}/bench.html?${q}`);
      // Relay the page's progress lines as they come.
      let shown = 0;
      const deadline = Date.now() + Number(v.timeout) * 1000;
      for (;;) {
        const s = await page.evaluate(() => window.__bench && { done: window.__bench.done, log: window.__bench.log, error: window.__bench.error });
        if (s) {
          for (const line of s.log.slice(shown)) console.error(`bench:browser: ${line}`);
          shown = s.log.length;
          if (s.done) {
            if (s.error) throw new Error(`the bench page failed: ${s.error}`);
            break;
          }
        }
        if (Date.now() > deadline) throw new Error(`the bench page did not finish within ${v.timeout} s`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const result = await page.evaluate(() => window.__bench!.result!);
      const out = { ...result, machine: { ...result.machine, chromium: browser.version() } };
      await mkdir(dirname(v.out!), { recursive: true });
      await writeFile(v.out!, `${JSON.stringify(out, null, 2)}\n`);
      console.error(`bench:browser: wrote ${v.out}`);
      console.log(JSON.stringify(out));
    } finally {
      await browser.close();
    }
  } finally {
    stopPreview();
  }
}

main().catch((e) => {
  console.error(`bench:browser: ${(e as Error).message}`);
  process.exit(1);
});
