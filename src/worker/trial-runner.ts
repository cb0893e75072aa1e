import type { BackendName } from '../core/backend-names.ts';
import { failedTrial, type TrialEvent, type TrialRequest, type TrialRunner } from './auto-backend.ts';

/**
 * Browser trials for 'auto': each backend is timed in a worker of its own (src/worker/trial.worker.ts),
 * which is terminated at the trial's time limit; what it started (GPU device, buffer pools, wasm
 * heap and threads) goes with it.
 */
export function workerTrials(dataUrl: string): TrialRunner {
  return (backend: BackendName, size, limitMs) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const worker = new Worker(new URL('./trial.worker.ts', import.meta.url), { type: 'module' });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (trial: Parameters<typeof resolve>[0]) => {
        if (timer !== undefined) clearTimeout(timer);
        worker.terminate();
        resolve(trial);
      };
      worker.onmessage = (ev: MessageEvent<TrialEvent>) => {
        const e = ev.data;
        finish(e.type === 'done' ? e.trial : failedTrial(backend, e.message, performance.now() - t0));
      };
      worker.onerror = (ev) => finish(failedTrial(backend, `the trial worker crashed: ${ev.message || 'unknown error'}`, performance.now() - t0));
      if (limitMs !== null) {
        timer = setTimeout(() => {
          const ms = performance.now() - t0;
          finish(failedTrial(backend, `stopped after ${(ms / 1000).toFixed(1)} s without finishing a timed step; a faster backend was already measured`, ms, { stoppedAfterMs: ms }));
        }, limitMs);
      }
      worker.postMessage({ backend, size, dataUrl } satisfies TrialRequest);
    });
}
