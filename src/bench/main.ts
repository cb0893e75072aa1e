import { BACKEND_NAMES, type BackendName } from '../core/backend-names.ts';
import { SIZE_NAMES, type SizeName } from '../core/model/config.ts';
import type { BenchEvent, BenchOptions, BenchResult } from './protocol.ts';

/*
 * bench.html: reads the options from the query, runs the bench worker and leaves the result in
 * window.__bench (for scripts/bench-browser.ts) and on the page.
 */

declare global {
  interface Window {
    __bench?: { done: boolean; result?: BenchResult; error?: string; log: string[] };
  }
}

function list<T extends string>(value: string | null, allowed: readonly T[], fallback: T[]): T[] {
  if (!value) return fallback;
  const items = value.split(',').filter((s) => s);
  for (const s of items) if (!allowed.includes(s as T)) throw new Error(`unknown "${s}" (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

function num(q: URLSearchParams, key: string, fallback: number): number {
  const v = q.get(key);
  if (v === null) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${key} must be a positive number, got "${v}"`);
  return n;
}

const status = document.getElementById('status')!;
const logEl = document.getElementById('log')!;
const resultEl = document.getElementById('result')!;
const state: NonNullable<Window['__bench']> = { done: false, log: [] };
window.__bench = state;

function fail(message: string): void {
  state.error = message;
  state.done = true;
  status.textContent = `Failed: ${message}`;
}

try {
  const q = new URLSearchParams(location.search);
  const options: BenchOptions = {
    sizes: list<SizeName>(q.get('sizes'), SIZE_NAMES, ['tiny', 'small']),
    backends: list<BackendName>(q.get('backends'), BACKEND_NAMES, ['webgpu', 'webgl', 'wasm']),
    steps: Math.floor(num(q, 'steps', 5)),
    warmup: Math.floor(num(q, 'warmup', 2)),
    maxMs: num(q, 'maxMs', 10_000),
    matmulN: Math.floor(num(q, 'matmulN', 1024)),
    matmulReps: Math.floor(num(q, 'matmulReps', 3)),
    ...(q.get('wasmThreads') ? { wasmThreads: Math.floor(num(q, 'wasmThreads', 1)) } : {}),
    dataUrl: new URL(`${import.meta.env.BASE_URL}data/brown/`, location.href).href,
  };
  status.textContent = `Running (cross-origin isolated: ${crossOriginIsolated})…`;
  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<BenchEvent>) => {
    const e = ev.data;
    if (e.type === 'progress') {
      state.log.push(e.message);
      logEl.textContent += `${e.message}\n`;
    } else if (e.type === 'done') {
      state.result = e.result;
      state.done = true;
      status.textContent = 'Done.';
      resultEl.textContent = JSON.stringify(e.result, null, 2);
      worker.terminate();
    } else fail(e.message);
  };
  worker.onerror = (ev) => fail(`the bench worker crashed: ${ev.message || 'unknown error'}`);
  worker.postMessage(options);
} catch (e) {
  fail((e as Error).message);
}
