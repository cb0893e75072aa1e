/// <reference lib="webworker" />
import './tf-setup.ts';
import { fetchCorpus } from '../core/data/shards.ts';
import { trialBackend } from './auto-backend.ts';
import type { TrialRequest, TrialEvent } from './auto-backend.ts';

declare const self: DedicatedWorkerGlobalScope;

/*
 * One backend's timing trial for 'auto', in a worker of its own so that the training worker can
 * stop it at its time limit (a software WebGPU adapter can spend tens of seconds compiling its
 * first step) and so that nothing of it (GPU device, buffer pools, wasm heap) stays behind.
 */
self.onmessage = async (ev: MessageEvent<TrialRequest>) => {
  const { backend, size, dataUrl } = ev.data;
  const post = (e: TrialEvent) => self.postMessage(e);
  try {
    const corpus = await fetchCorpus(dataUrl, (url) => fetch(url));
    post({ type: 'done', trial: await trialBackend(backend, size, corpus) });
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
  }
};
