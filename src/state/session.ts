import { create } from 'zustand';
import type { BackendChoice, BackendName } from '../core/backend.ts';
import type { WorkerEvent } from '../worker/protocol.ts';
import { decodeCheckpoint } from '../core/checkpoint/checkpoint.ts';
import { loadCheckpoint } from './db.ts';
import { applyEvaluationEvent, isEvaluating, useEvaluations } from './evaluations.ts';
import type { GenreTask } from '../core/eval/genre.ts';
import { storeCheckpoint } from './persist.ts';
import { checkpointEvery, resumingRun } from './resume.ts';
import { useRuns, type RunRequest } from './runs.ts';
import { createTrainingWorker, type TrainingWorker } from './worker.ts';

export type BackendRequest = 'auto' | BackendName;

interface SessionState {
  /** Backend asked of the current worker. */
  requested: BackendRequest;
  phase: 'connecting' | 'ready' | 'failed';
  backend: BackendChoice | null;
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
  initError: null,
  notice: null,
  activeId: null,
  queueRunning: false,
  queueSince: null,
}));

let worker: TrainingWorker | null = null;

/** Where the app serves the corpus shards built by `npm run data`. */
const DATA_URL = `${import.meta.env.BASE_URL}data/brown/`;

/** (Re)starts the worker on a backend; the worker picks its backend once, so a change needs a new one. */
export function connect(requested: BackendRequest): void {
  if (useSession.getState().activeId) return;
  worker?.terminate();
  useSession.setState({ requested, phase: 'connecting', backend: null, initError: null, notice: null });
  worker = createTrainingWorker(handleEvents);
  worker.send({ type: 'init', backend: requested, dataUrl: DATA_URL });
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
    if (e.type === 'ready') useSession.setState({ phase: 'ready', backend: e.backend, initError: null });
    else if (e.type === 'init-failed') useSession.setState({ phase: 'failed', initError: e.message });
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
 * Continues an interrupted run from its stored checkpoint: its curve is cut back to the checkpoint
 * (the record inside it is the truth) and it becomes the active run, as if started.
 */
export async function resumeRun(id: string): Promise<void> {
  const s = useSession.getState();
  const run = useRuns.getState().runs.find((r) => r.id === id);
  if (s.activeId || s.phase !== 'ready' || !worker || run?.status !== 'interrupted') return;
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
