/// <reference lib="webworker" />
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { selectBackend, BACKEND_NAMES, type BackendChoice } from '../core/backend.ts';
import { useExplicitTransposeOnWasm } from '../core/wasm-matmul.ts';
import { fetchCorpus, type Corpus } from '../core/data/corpus.ts';
import { Experiment, type ExperimentHooks } from '../core/run/experiment.ts';
import type { RunState, WorkerEvent, WorkerRequest } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

useExplicitTransposeOnWasm();

// The wasm binaries are served by the app itself (no CDN at run time).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

let backend: BackendChoice | null = null;
let corpus: Corpus | null = null;
let exp: Experiment | null = null;
let runId = '';
let paused = false;
let looping = false;

function post(e: WorkerEvent): void {
  self.postMessage(e);
}

function postState(state: RunState, message?: string): void {
  if (exp) post({ type: 'state', runId, state, step: exp.globalStep, message });
}

async function init(req: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
  try {
    const order = req.backend === 'auto' ? BACKEND_NAMES : [req.backend, ...BACKEND_NAMES.filter((b) => b !== req.backend)];
    backend = await selectBackend(order);
    corpus = await fetchCorpus(req.dataUrl, (url) => fetch(url));
    post({ type: 'ready', backend });
  } catch (e) {
    post({ type: 'init-failed', message: (e as Error).message });
  }
}

async function finish(): Promise<void> {
  if (!exp) return;
  const d = exp.divergence;
  const record = exp.record;
  if (d) postState('failed', `loss became ${d.loss} at step ${d.step} in stage ${d.stageIndex + 1} (${d.stageLabel}); the run stopped and keeps what it recorded`);
  else postState(record.summary.steps >= exp.config.train.steps ? 'done' : 'stopped');
  post({ type: 'finished', runId, record });
  exp.dispose();
  exp = null;
}

/** Trains until paused, stopped or done, yielding to the event loop so control messages get through. */
async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (exp && !exp.done && !paused) {
      await exp.step();
      await new Promise((r) => setTimeout(r, 0));
    }
    if (exp && paused && !exp.done) {
      await exp.flush();
      postState('paused');
    }
    if (exp?.done) await finish();
  } catch (e) {
    post({ type: 'error', runId, message: (e as Error).message });
    if (exp) {
      await exp.stop().catch(() => undefined);
      await finish();
    }
  } finally {
    looping = false;
  }
}

const hooks: ExperimentHooks = {
  onMetrics: (steps) => post({ type: 'metrics', runId, steps }),
  onValidation: (point) => post({ type: 'validation', runId, point }),
  onStage: (stage, phase) => post({ type: 'stage', runId, stage, phase }),
  onGrowth: (event) => post({ type: 'growth', runId, event }),
};

self.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  switch (req.type) {
    case 'init':
      await init(req);
      return;
    case 'start': {
      if (!backend || !corpus) {
        post({ type: 'error', runId: req.runId, message: 'the worker is not initialised yet' });
        return;
      }
      if (exp) {
        post({ type: 'error', runId: req.runId, message: 'a run is already training; stop it first' });
        return;
      }
      try {
        runId = req.runId;
        exp = new Experiment(req.config, corpus, backend.name, hooks);
      } catch (e) {
        post({ type: 'error', runId: req.runId, message: (e as Error).message });
        return;
      }
      paused = false;
      post({ type: 'started', runId, flops: exp.flops });
      postState('running');
      void loop();
      return;
    }
    case 'pause':
      paused = true;
      return;
    case 'resume':
      if (!exp || !paused) return;
      paused = false;
      postState('running');
      void loop();
      return;
    case 'step':
      if (!exp || !paused || looping) return;
      looping = true;
      try {
        await exp.step();
        await exp.flush();
        if (exp.done) await finish();
        else postState('paused');
      } finally {
        looping = false;
      }
      return;
    case 'stop':
      if (!exp) return;
      paused = true;
      while (looping) await new Promise((r) => setTimeout(r, 5));
      if (exp) {
        await exp.stop();
        await finish();
      }
      return;
  }
};
