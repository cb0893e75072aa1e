import { create } from 'zustand';
import type { BackendChoice, BackendName } from '../core/backend-names.ts';
import type { SizeName } from '../core/model/config.ts';
import type { BackendMeasurement, BackendTrial, WasmInfo, WorkerEvent } from '../worker/protocol.ts';
import { decodeCheckpoint } from '../core/checkpoint/format.ts';
import { loadCheckpoint } from './db.ts';
import { applyEvaluationEvent, isEvaluating, useEvaluations } from './evaluations.ts';
import type { GenreTask } from '../core/eval/genre.ts';
import { storeCheckpoint } from './persist.ts';
import { canContinue, checkpointEvery, resumingRun } from './resume.ts';
import { useBuilder } from './builder.ts';
import { useRuns, type RunRequest } from './runs.ts';
import { createTrainingWorker, type TrainingWorker } from './worker.ts';

export type BackendRequest = 'auto' | BackendName;

interface SessionState {
  /** Backend asked of the current worker. */
  requested: BackendRequest;
  phase: 'connecting' | 'ready' | 'failed';
  backend: BackendChoice | null;
  /** How wasm runs when the backend is wasm (threaded only in a cross-origin-isolated page). */
  wasm: WasmInfo | null;
  /** Why the fused kernels are off on this backend (a failed self-check); null when they run or do not apply. */
  fusedOff: string | null;
  /** While 'auto' times the backends: the size, finished trials, and the one under way. */
  measuring: { size: SizeName; trials: BackendTrial[]; current: BackendName | null } | null;
  /** The latest 'auto' measurement; kept when the user then overrides the choice, for comparison. */
  measurement: BackendMeasurement | null;
  /** Whether `measurement` was remembered from an earlier visit rather than timed by this worker. */
  measurementReused: boolean;
  initError: string | null;
  /** Worker complaint not tied to a run. */
  notice: string | null;
  /** The run the worker is training (or starting, or holding paused). */
  activeId: string | null;
  /** Whether the next queued run starts when the active one ends. */
  queueRunning: boolean;
  /** Date.now() when Start last ran the queue: runs ended since then still count as part of it. */
  queueSince: number | null;
}

export const useSession = create<SessionState>(() => ({
  requested: 'auto',
  phase: 'connecting',
  backend: null,
  wasm: null,
  fusedOff: null,
  measuring: null,
  measurement: null,
  measurementReused: false,
  initError: null,
  notice: null,
  activeId: null,
  queueRunning: false,
  queueSince: null,
}));

let worker: TrainingWorker | null = null;

/** Where the app serves the corpus shards built by `npm run data`. */
const DATA_URL = `${import.meta.env.BASE_URL}data/brown/`;

/*
 * 'auto' measurements are remembered per model size in localStorage, so a reload does not time the
 * backends again (seconds, more on a slow software adapter); "Measure again" in the badge does.
 */
const MEASUREMENT_KEY = 'growlab.backend-measurement';
/** A remembered measurement older than this is timed again. */
const MEASUREMENT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

type StoredMeasurements = Partial<Record<SizeName, { userAgent: string; measurement: BackendMeasurement }>>;

function storedMeasurements(): StoredMeasurements {
  try {
    const parsed: unknown = JSON.parse(globalThis.localStorage?.getItem(MEASUREMENT_KEY) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as StoredMeasurements) : {};
  } catch {
    return {};
  }
}

/** The remembered measurement at `size` when it was taken in this browser recently enough; else null. */
export function rememberedMeasurement(size: SizeName, now = Date.now()): BackendMeasurement | null {
  const entry = storedMeasurements()[size];
  const m = entry?.measurement;
  if (!m || entry.userAgent !== globalThis.navigator?.userAgent || m.size !== size || !Array.isArray(m.trials)) return null;
  const age = now - Date.parse(m.measuredAt);
  return age >= 0 && age < MEASUREMENT_MAX_AGE_MS ? m : null;
}

function rememberMeasurement(m: BackendMeasurement): void {
  try {
    const all = storedMeasurements();
    all[m.size] = { userAgent: globalThis.navigator?.userAgent ?? '', measurement: m };
    globalThis.localStorage?.setItem(MEASUREMENT_KEY, JSON.stringify(all));
  } catch {
    // Storage full or blocked: the next visit measures again.
  }
}

/**
 * (Re)starts the worker on a backend; the worker picks its backend once, so a change needs a new one.
 * 'auto' times training steps of `size` (by default the builder's model size) on each backend, or
 * takes the choice remembered from an earlier measurement at that size unless `remeasure` is set.
 */
export function connect(requested: BackendRequest, size: SizeName = useBuilder.getState().size, options: { remeasure?: boolean } = {}): void {
  if (useSession.getState().activeId) return;
  worker?.terminate();
  useSession.setState({ requested, phase: 'connecting', backend: null, wasm: null, fusedOff: null, measuring: null, initError: null, notice: null });
  worker = createTrainingWorker(handleEvents);
  const reuse = requested === 'auto' && !options.remeasure ? rememberedMeasurement(size) : null;
  worker.send({ type: 'init', backend: requested, dataUrl: DATA_URL, size, ...(reuse ? { reuse } : {}) });
}

function launchNext(): void {
  const next = useRuns.getState().runs.find((r) => r.status === 'queued');
  if (!next || !worker || useSession.getState().phase !== 'ready') {
    useSession.setState({ activeId: null, queueRunning: false });
    return;
  }
  useRuns.getState().setStatus(next.id, 'starting');
  useSession.setState({ activeId: next.id, queueRunning: true });
  worker.send({ type: 'start', runId: next.id, config: next.config, checkpointEvery: checkpointEvery(next.config) });
}

function handleEvents(events: WorkerEvent[]): void {
  const now = Date.now();
  for (const e of events) {
    if (e.type === 'ready') {
      if (e.measurement && !e.reused) rememberMeasurement(e.measurement);
      useSession.setState((s) => ({
        phase: 'ready', backend: e.backend, initError: null, measuring: null, wasm: e.wasm ?? null, fusedOff: e.fusedOff ?? null,
        measurement: e.measurement ?? s.measurement,
        measurementReused: e.measurement ? e.reused === true : s.measurementReused,
      }));
    } else if (e.type === 'measuring') useSession.setState({ measuring: { size: e.size, trials: e.trials, current: e.current } });
    else if (e.type === 'init-failed') useSession.setState({ phase: 'failed', initError: e.message, measuring: null });
    else if (e.type === 'error' && e.runId === undefined) useSession.setState({ notice: e.message });
    else if (e.type === 'checkpoint') storeCheckpoint(e.runId, e.step, e.bytes);
    else if (e.type === 'evaluation' || e.type === 'evaluation-failed' || e.type === 'evaluation-progress') applyEvaluationEvent(e);
  }
  useRuns.getState().apply(events, now);
  const { activeId, queueRunning } = useSession.getState();
  if (!activeId) return;
  const active = useRuns.getState().runs.find((r) => r.id === activeId);
  const over = !active || events.some((e) => e.type === 'finished' && e.runId === activeId) || active.status === 'failed' && active.startedAt === null;
  if (!over) return;
  if (queueRunning) launchNext();
  else useSession.setState({ activeId: null });
}

/** Runs the waiting queue; with nothing queued, queues `fallback` (the builder's experiment) first. */
export function start(fallback: RunRequest | null): void {
  const s = useSession.getState();
  if (s.activeId || s.phase !== 'ready') return;
  const runs = useRuns.getState();
  if (!runs.runs.some((r) => r.status === 'queued')) {
    if (!fallback) return;
    runs.enqueue([fallback]);
  }
  useSession.setState({ queueSince: Date.now() });
  launchNext();
}

/**
 * Continues an interrupted or stopped run from its stored checkpoint: its curve is cut back to the
 * checkpoint (the record inside it is the truth) and it becomes the active run, as if started.
 */
export async function resumeRun(id: string): Promise<void> {
  const s = useSession.getState();
  const run = useRuns.getState().runs.find((r) => r.id === id);
  if (s.activeId || s.phase !== 'ready' || !worker || !run || !canContinue(run)) return;
  useSession.setState({ activeId: id, queueRunning: false });
  const refuse = (why: string) => {
    useRuns.getState().update(id, (r) => ({ ...r, message: `cannot resume: ${why}` }));
    useSession.setState({ activeId: null });
  };
  let bytes: Uint8Array;
  let checkpoint: ReturnType<typeof decodeCheckpoint>;
  try {
    const stored = await loadCheckpoint(id);
    if (!stored) return refuse('no checkpoint of it is stored');
    bytes = stored.bytes;
    checkpoint = decodeCheckpoint(bytes);
  } catch (e) {
    return refuse((e as Error).message);
  }
  if (!worker) return refuse('the training worker is gone; reload the page');
  useRuns.getState().update(id, (r) => resumingRun(r, checkpoint));
  const buffer = bytes.slice().buffer;
  worker.send({ type: 'start', runId: id, config: checkpoint.config, checkpointEvery: checkpointEvery(checkpoint.config), checkpoint: buffer });
}

/** Genre classification of a finished run's stored final checkpoint, in the worker; results land in useEvaluations. */
export async function evaluateRun(id: string, task: GenreTask): Promise<void> {
  const s = useSession.getState();
  const { set } = useEvaluations.getState();
  if (s.activeId || s.phase !== 'ready' || !worker || isEvaluating()) return;
  set(id, task, { status: 'running' });
  try {
    const stored = await loadCheckpoint(id);
    if (!stored) return set(id, task, { status: 'failed', message: 'no checkpoint of this run is stored, so there are no weights to evaluate' });
    if (!worker) return set(id, task, { status: 'failed', message: 'the training worker is gone; reload the page' });
    worker.send({ type: 'evaluate', runId: id, checkpoint: stored.bytes.slice().buffer, task });
  } catch (e) {
    set(id, task, { status: 'failed', message: (e as Error).message });
  }
}

export function pause(): void {
  worker?.send({ type: 'pause' });
}

export function resume(): void {
  worker?.send({ type: 'resume' });
}

export function stepOnce(): void {
  worker?.send({ type: 'step' });
}

/** Stops the active run (it keeps its record) and holds the rest of the queue. */
export function stop(): void {
  useSession.setState({ queueRunning: false });
  worker?.send({ type: 'stop' });
}
