import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../core/backend.ts';
import { isSoftwareAdapter, type AdapterInfoLike, type BackendChoice, type BackendName } from '../core/backend-names.ts';
import { measureTraining } from '../core/bench/measure.ts';
import type { Corpus } from '../core/data/corpus.ts';
import type { SizeName } from '../core/model/config.ts';
import type { BackendMeasurement, BackendTrial } from './protocol.ts';

/*
 * 'auto': the backend is chosen by timing a few training steps of the model size the user is about
 * to train on every backend that starts, not by a fixed order. Which backend is fastest depends on
 * the machine (a real GPU: webgpu; Chromium without one: SwiftShader's software WebGPU is ~10x
 * slower than wasm) and on the size, so no order is baked in.
 */

/** Backends timed, in this order; cpu is timed only when none of them could run. */
export const TRIAL_ORDER: readonly BackendName[] = ['wasm', 'webgl', 'webgpu'];

/** One untimed warm-up step (shader compilation, buffer pools), then up to 3 timed steps or ~1.5 s of them. */
export const TRIAL_OPTIONS = { warmup: 1, steps: 3, maxMs: 1500 } as const;

/**
 * Once some backend has a time, a later trial that has not finished within this limit (start-up,
 * warm-up and its first timed step) is stopped and counts as slower. A software rasteriser gets less:
 * SwiftShader's WebGPU spends tens of seconds compiling a first step that then runs ~100x slower
 * than wasm, its WebGL ~10 s for one ~20x slower. A hardware GPU's first-step compile (seconds)
 * fits in its limit.
 */
export const TRIAL_LIMIT_MS = { hardware: 15_000, software: 5_000 } as const;

/** Runs one trial; limitMs: stop it (and report it stopped) after this long, null: no limit. */
export type TrialRunner = (backend: BackendName, size: SizeName, limitMs: number | null) => Promise<BackendTrial>;

/** Messages to and from src/worker/trial.worker.ts. */
export interface TrialRequest {
  backend: BackendName;
  size: SizeName;
  dataUrl: string;
}
export type TrialEvent = { type: 'done'; trial: BackendTrial } | { type: 'failed'; message: string };

/** A trial that produced no time. */
export function failedTrial(backend: BackendName, error: string, trialMs: number, extra: Partial<BackendTrial> = {}): BackendTrial {
  return { backend, software: false, adapter: null, threads: null, msPerStep: null, steps: 0, trialMs, error, ...extra };
}

/** The WebGPU adapter the backend will get, described and labelled software or not; null when there is none. */
export async function describeWebGpuAdapter(): Promise<{ label: string; software: boolean } | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info as (GPUAdapterInfo & AdapterInfoLike) | undefined;
    const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s);
    return { label: parts.length ? parts.join(' · ') : 'unknown adapter', software: isSoftwareAdapter(info, legacyFallback) };
  } catch {
    return null;
  }
}

/**
 * The WebGL renderer, labelled software or not (SwiftShader, llvmpipe and other software GL); null
 * when WebGL cannot start here or hides its renderer.
 */
export function describeWebGl(): { label: string; software: boolean } | null {
  try {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : (globalThis as { document?: Document }).document?.createElement('canvas');
    const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl')) as WebGLRenderingContext | null | undefined;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const label = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return label ? { label, software: /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i.test(label) } : null;
  } catch {
    return null;
  }
}

/** Software or not, as far as it can be told before the backend starts. */
export async function describeBackend(name: BackendName): Promise<{ label: string; software: boolean } | null> {
  if (name === 'webgpu') return describeWebGpuAdapter();
  if (name === 'webgl') return describeWebGl();
  return null;
}

/**
 * The trial to keep: the smallest measured step time. A software adapter never wins a tie; it can
 * still win when it really is the fastest, or the only backend that ran.
 */
export function pickFastest(trials: readonly BackendTrial[]): BackendTrial | null {
  const timed = trials.filter((t) => t.msPerStep !== null && Number.isFinite(t.msPerStep));
  timed.sort((a, b) => a.msPerStep! - b.msPerStep! || Number(a.software) - Number(b.software));
  return timed[0] ?? null;
}

/**
 * BackendChoice's requested/fallbackReason for an automatic choice. The warning banner keeps its
 * meaning: WebGPU missing is worth saying; WebGPU slower is shown by the times.
 */
export function autoFallback(trials: readonly BackendTrial[], chosen: BackendName): Pick<BackendChoice, 'requested' | 'fallbackReason'> {
  const webgpu = trials.find((t) => t.backend === 'webgpu');
  if (chosen !== 'webgpu' && webgpu && webgpu.msPerStep === null && webgpu.stoppedAfterMs === undefined) return { requested: 'webgpu', fallbackReason: webgpu.error };
  return { requested: chosen, fallbackReason: null };
}

function reasonOf(e: unknown): string {
  return (e as Error).message.replace(/^no backend could be started: /, '').replace(/^\w+: /, '');
}

/** Starts one backend and times training steps of `size` on it. Never throws: failures are in `error`. */
export async function trialBackend(name: BackendName, size: SizeName, corpus: Corpus): Promise<BackendTrial> {
  const t0 = performance.now();
  const trial: BackendTrial = { backend: name, software: false, adapter: null, threads: null, msPerStep: null, steps: 0, trialMs: 0, error: null };
  const done = () => ({ ...trial, trialMs: performance.now() - t0 });
  const described = await describeBackend(name);
  if (described) {
    trial.adapter = described.label;
    trial.software = described.software;
  }
  try {
    await selectBackend([name]);
  } catch (e) {
    trial.error = reasonOf(e);
    return done();
  }
  if (name === 'wasm') trial.threads = getThreadsCount();
  try {
    const m = await measureTraining(size, corpus, name, { ...TRIAL_OPTIONS, countKernels: false });
    trial.msPerStep = m.secondsPerStep * 1000;
    trial.steps = m.steps;
  } catch (e) {
    trial.error = `a training step failed: ${(e as Error).message}`;
  }
  return done();
}

/** Runs trials here, in this thread (Node, tests): limits cannot be enforced, so none are. */
export function inThreadTrials(corpus: Corpus): TrialRunner {
  return (backend, size) => trialBackend(backend, size, corpus);
}

/**
 * Times every backend that starts (each trial through `runTrial`; in the browser each in a worker
 * of its own, see trial-runner.ts) and leaves tfjs here on the fastest. Backends this thread started
 * and does not keep are disposed (the worker keeps its backend for life).
 */
export async function chooseByMeasurement(
  size: SizeName,
  runTrial: TrialRunner,
  onProgress: (trials: BackendTrial[], current: BackendName | null) => void,
): Promise<{ choice: BackendChoice; measurement: BackendMeasurement }> {
  const t0 = performance.now();
  const trials: BackendTrial[] = [];
  const run = async (names: readonly BackendName[]) => {
    for (const name of names) {
      onProgress([...trials], name);
      const described = await describeBackend(name);
      const limit = pickFastest(trials) ? (described?.software ? TRIAL_LIMIT_MS.software : TRIAL_LIMIT_MS.hardware) : null;
      const trial = await runTrial(name, size, limit);
      // A stopped trial still says what it was trying.
      trials.push(trial.stoppedAfterMs !== undefined && described ? { ...trial, adapter: described.label, software: described.software } : trial);
    }
  };
  await run(TRIAL_ORDER.filter((n) => tf.findBackendFactory(n)));
  let best = pickFastest(trials);
  if (!best) {
    await run(['cpu']);
    best = pickFastest(trials);
  }
  onProgress([...trials], null);
  if (!best) throw new Error(`no backend could train: ${trials.map((t) => `${t.backend}: ${t.error}`).join('; ')}`);
  const choice = await selectBackend([best.backend]);
  for (const t of trials) {
    if (t.backend !== best.backend && tf.engine().registry[t.backend]) {
      try {
        tf.removeBackend(t.backend);
      } catch {
        // Disposing is tidying only.
      }
    }
  }
  return {
    choice: { ...choice, ...autoFallback(trials, best.backend) },
    measurement: { size, trials, chosen: best.backend, totalMs: performance.now() - t0, measuredAt: new Date().toISOString() },
  };
}
