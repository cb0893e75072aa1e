import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
// In Node the backends, gradients and fused kernels that tf-setup.ts gives the worker come from the
// Node entry; chooseByMeasurement below picks the backend itself.
import '../node/backends.ts';
import { loadCorpus } from '../node/corpus.ts';
import { isSoftwareAdapter } from '../core/backend-names.ts';
import { TRIAL_LIMIT_MS, autoFallback, chooseByMeasurement, inThreadTrials, pickFastest } from './auto-backend.ts';
import type { BackendTrial } from './protocol.ts';

function trial(backend: BackendTrial['backend'], msPerStep: number | null, software = false): BackendTrial {
  return { backend, software, adapter: null, threads: null, msPerStep, steps: msPerStep === null ? 0 : 3, trialMs: 0, error: msPerStep === null ? 'did not start' : null };
}

describe('isSoftwareAdapter', () => {
  it('names SwiftShader in any field, and fallback adapters, software', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ description: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'intel' }, true)).toBe(true);
  });
  it('leaves hardware adapters and missing info alone', () => {
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', device: '', description: '' })).toBe(false);
    expect(isSoftwareAdapter(null)).toBe(false);
  });
});

describe('pickFastest', () => {
  it('keeps the smallest step time whatever the backend', () => {
    expect(pickFastest([trial('wasm', 42), trial('webgl', 120), trial('webgpu', 610, true)])?.backend).toBe('wasm');
    expect(pickFastest([trial('wasm', 42), trial('webgl', 120), trial('webgpu', 5)])?.backend).toBe('webgpu');
  });
  it('never prefers a software adapter on a tie, but takes it when it is faster or alone', () => {
    expect(pickFastest([trial('webgpu', 40, true), trial('wasm', 40)])?.backend).toBe('wasm');
    expect(pickFastest([trial('webgpu', 39, true), trial('wasm', 40)])?.backend).toBe('webgpu');
    expect(pickFastest([trial('webgpu', 600, true), trial('wasm', null)])?.backend).toBe('webgpu');
  });
  it('is null when nothing was timed', () => {
    expect(pickFastest([trial('wasm', null), trial('webgl', null)])).toBeNull();
  });
});

describe('autoFallback', () => {
  it('warns that WebGPU is missing only when it did not start', () => {
    const missing = { ...trial('webgpu', null), error: 'no adapter' };
    expect(autoFallback([trial('wasm', 40), missing], 'wasm')).toEqual({ requested: 'webgpu', fallbackReason: 'no adapter' });
    expect(autoFallback([trial('wasm', 40), trial('webgpu', 600, true)], 'wasm')).toEqual({ requested: 'wasm', fallbackReason: null });
    // Stopped at its time limit: there, merely slower.
    const stopped = { ...trial('webgpu', null, true), stoppedAfterMs: 5000 };
    expect(autoFallback([trial('wasm', 40), stopped], 'wasm')).toEqual({ requested: 'wasm', fallbackReason: null });
  });
});

describe('chooseByMeasurement', () => {
  it('limits a trial only once some backend has a time; cpu runs only when nothing else could', async () => {
    // A stand-in webgl, registered so that it is tried; the fake runner never starts it.
    tf.registerBackend('webgl', () => new (tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend)(), 0);
    try {
      const limits: [string, number | null][] = [];
      const fake = (ms: Partial<Record<string, number>>) => async (backend: BackendTrial['backend'], _size: string, limit: number | null) => {
        limits.push([backend, limit]);
        return trial(backend, ms[backend] ?? null);
      };
      const a = await chooseByMeasurement('tiny', fake({ wasm: 40, webgl: 900 }), () => undefined);
      expect(a.measurement.chosen).toBe('wasm');
      expect(limits).toEqual([['wasm', null], ['webgl', TRIAL_LIMIT_MS.hardware]]);

      limits.length = 0;
      const b = await chooseByMeasurement('tiny', fake({ cpu: 900 }), () => undefined);
      expect(b.measurement.chosen).toBe('cpu');
      expect(limits).toEqual([['wasm', null], ['webgl', null], ['cpu', null]]);
    } finally {
      tf.removeBackend('webgl');
    }
  });

  it('times what starts here and leaves tfjs on the fastest', async () => {
    const corpus = await loadCorpus();
    const progress: string[] = [];
    const { choice, measurement } = await chooseByMeasurement('tiny', inThreadTrials(corpus), (_, current) => progress.push(current ?? 'done'));
    // In Node: wasm times, webgl and webgpu are not registered (cpu would be timed only if wasm failed).
    const timed = measurement.trials.filter((t) => t.msPerStep !== null);
    expect(timed.length).toBeGreaterThan(0);
    expect(choice.name).toBe(measurement.chosen);
    expect(tf.getBackend()).toBe(choice.name);
    const best = Math.min(...timed.map((t) => t.msPerStep!));
    expect(measurement.trials.find((t) => t.backend === choice.name)!.msPerStep).toBe(best);
    expect(progress[progress.length - 1]).toBe('done');
    expect(Date.parse(measurement.measuredAt)).not.toBeNaN();
  });
});
