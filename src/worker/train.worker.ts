/// <reference lib="webworker" />
import './tf-setup.ts';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../core/backend.ts';
import { BACKEND_NAMES, type BackendChoice } from '../core/backend-names.ts';
import { checkFusedKernels } from '../core/kernels/selfcheck.ts';
import { autoFallback, chooseByMeasurement } from './auto-backend.ts';
import { workerTrials } from './trial-runner.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { fetchCorpus } from '../core/data/shards.ts';
import { Experiment, type ExperimentHooks } from '../core/run/experiment.ts';
import { checkpointParams } from '../core/checkpoint/checkpoint.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../core/checkpoint/format.ts';
import { evaluateGenre } from '../core/eval/genre.ts';
import { disposeParams } from '../core/model/params.ts';
import type { RunState, WasmInfo, WorkerEvent, WorkerRequest } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

let backend: BackendChoice | null = null;
let corpus: Corpus | null = null;
let exp: Experiment | null = null;
let runId = '';
let paused = false;
/** The training loop or a single step, whichever is driving the experiment; stop awaits it. */
let busy: Promise<void> | null = null;

function hold(work: () => Promise<void>): Promise<void> {
  const p: Promise<void> = work().finally(() => {
    if (busy === p) busy = null;
  });
  busy = p;
  return p;
}

function post(e: WorkerEvent): void {
  self.postMessage(e);
}

function postState(state: RunState, message?: string): void {
  if (exp) post({ type: 'state', runId, state, step: exp.globalStep, message });
}

async function init(req: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
  try {
    if (req.backend === 'auto') {
      const loading = fetchCorpus(req.dataUrl, (url) => fetch(url));
      // Awaited below; until then a failed fetch must not surface as an unhandled rejection.
      loading.catch(() => undefined);
      const size = req.size ?? 'tiny';
      if (req.reuse && req.reuse.size === size) {
        // The page remembers this browser's last measurement: take its choice if that backend still starts.
        const reused = await selectBackend([req.reuse.chosen]).catch(() => null);
        if (reused) {
          corpus = await loading;
          backend = { ...reused, ...autoFallback(req.reuse.trials, reused.name) };
          post({ type: 'ready', backend, measurement: req.reuse, reused: true, ...(await backendInfo()) });
          return;
        }
      }
      // Each trial runs in a worker of its own (stopped at its time limit); the winner is started here.
      const dataUrl = new URL(req.dataUrl, self.location.href).href;
      const { choice, measurement } = await chooseByMeasurement(size, workerTrials(dataUrl), (trials, current) => post({ type: 'measuring', size, trials, current }));
      backend = choice;
      corpus = await loading;
      post({ type: 'ready', backend, measurement, ...(await backendInfo()) });
      return;
    }
    const order = [req.backend, ...BACKEND_NAMES.filter((b) => b !== req.backend)];
    const [chosen, loaded] = await Promise.all([selectBackend(order), fetchCorpus(req.dataUrl, (url) => fetch(url))]);
    backend = chosen;
    corpus = loaded;
    post({ type: 'ready', backend, ...(await backendInfo()) });
  } catch (e) {
    post({ type: 'init-failed', message: (e as Error).message });
  }
}

/** The self-check of the fused kernels on the chosen backend, and how wasm runs. */
async function backendInfo(): Promise<{ wasm?: WasmInfo; fusedOff: string | null }> {
  const fusedOff = await checkFusedKernels();
  return { fusedOff, ...(await wasmInfo()) };
}

async function wasmInfo(): Promise<{ wasm?: WasmInfo }> {
  if (backend?.name !== 'wasm') return {};
  const [multithread, simd] = await Promise.all([tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')]);
  return { wasm: { multithread: Boolean(multithread), simd: Boolean(simd), threads: getThreadsCount() } };
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
  if (busy) return;
  return hold(async () => {
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
      await failRun(e);
    }
  });
}

/** A training step threw: the page hears why, and the run ends keeping what it recorded. */
async function failRun(e: unknown): Promise<void> {
  post({ type: 'error', runId, message: e instanceof Error ? e.message : String(e) });
  if (exp) {
    await exp.stop().catch(() => undefined);
    await finish();
  }
}

const hooks: ExperimentHooks = {
  onMetrics: (steps) => post({ type: 'metrics', runId, steps }),
  onValidation: (point) => post({ type: 'validation', runId, point }),
  onStage: (stage, phase) => post({ type: 'stage', runId, stage, phase }),
  onGrowth: (event) => post({ type: 'growth', runId, event }),
  // The same event again, now with its copySeparation: the run replaces the one it has.
  onCopySeparation: (event) => post({ type: 'growth', runId, event }),
  onCheckpoint: (c) => {
    post({ type: 'checkpoint', runId, step: c.step, bytes: new Blob([encodeCheckpoint(c) as Uint8Array<ArrayBuffer>]) });
  },
};

/** The evaluation under way, if any: a run queued meanwhile starts when it settles. */
let evaluation: Promise<void> | null = null;

/** Fine-tunes a copy of a checkpoint's encoder on genre labels; one at a time, never beside training. */
async function evaluate(req: Extract<WorkerRequest, { type: 'evaluate' }>): Promise<void> {
  const fail = (message: string) => post({ type: 'evaluation-failed', runId: req.runId, task: req.task, message });
  if (!corpus) return fail('the worker is not initialised yet');
  if (exp || evaluation) return fail(exp ? 'a run is training; evaluate when it has finished' : 'another evaluation is running');
  evaluation = evaluateCheckpoint(req, corpus, fail).finally(() => {
    evaluation = null;
  });
  await evaluation;
}

async function evaluateCheckpoint(req: Extract<WorkerRequest, { type: 'evaluate' }>, corpus: Corpus, fail: (message: string) => void): Promise<void> {
  try {
    const c = decodeCheckpoint(new Uint8Array(req.checkpoint));
    const params = checkpointParams(c);
    try {
      const result = await evaluateGenre(params, c.model, corpus, {
        task: req.task, mode: req.mode ?? 'finetune', seed: c.config.seed,
        onProgress: (phase, done, total) => post({ type: 'evaluation-progress', runId: req.runId, task: req.task, phase, done, total }),
      });
      post({ type: 'evaluation', runId: req.runId, result });
    } finally {
      disposeParams(params);
    }
  } catch (e) {
    fail((e as Error).message);
  }
}

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
      // A run queued while an evaluation is under way starts once it is over.
      while (evaluation) await evaluation;
      if (exp) {
        post({ type: 'error', runId: req.runId, message: 'a run is already training; stop it first' });
        return;
      }
      try {
        runId = req.runId;
        const options = { checkpointEvery: req.checkpointEvery ?? 0 };
        exp = req.checkpoint
          ? Experiment.fromCheckpoint(decodeCheckpoint(new Uint8Array(req.checkpoint)), corpus, backend.name, hooks, options)
          : new Experiment(req.config, corpus, backend.name, hooks, options);
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
      if (!exp || !paused || busy) return;
      await hold(async () => {
        try {
          await exp!.step();
          await exp!.flush();
          if (exp!.done) await finish();
          else postState('paused');
        } catch (e) {
          await failRun(e);
        }
      });
      return;
    case 'evaluate':
      await evaluate(req);
      return;
    case 'stop':
      if (!exp) return;
      paused = true;
      while (busy) await busy;
      if (exp) {
        await exp.stop();
        await finish();
      }
      return;
  }
};
