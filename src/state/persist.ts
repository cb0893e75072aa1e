import { create } from 'zustand';
import { decodeCheckpoint } from '../core/checkpoint/format.ts';
import { deleteRun, loadCheckpoint, loadRuns, renameRun, saveCheckpoint, saveRun, StorageFullError } from './db.ts';
import { importedRun, interruptedOnLoad, withRecord } from './resume.ts';
import { isActive, type Run } from './run.ts';
import { readStoredRuns } from './stored-run.ts';
import { newRunId, useRuns } from './runs.ts';

/**
 * Keeps the run list (useRuns) mirrored in IndexedDB: stored runs come back after a reload (those
 * that were training as "interrupted"), a training run is written at most every SAVE_EVERY_MS and
 * at once when it ends, and a run removed from the list is deleted with its checkpoint.
 */
interface StorageState {
  /** null while loading; false when this browser gives the lab no storage. */
  available: boolean | null;
  /** A storage problem the user should know about (full quota, no IndexedDB). */
  notice: string | null;
  /** Why the last checkpoint import was refused. */
  importError: string | null;
}

export const useStorage = create<StorageState>(() => ({ available: null, notice: null, importError: null }));

const SAVE_EVERY_MS = 2000;
/** Runs that are (or are being) stored, with their first store time: the list order after a reload. */
const createdAt = new Map<string, number>();
/** The run object last written (or loaded) per id: an unchanged object needs no write. */
const saved = new Map<string, Run>();
const lastWrite = new Map<string, number>();
const timers = new Map<string, ReturnType<typeof setTimeout>>();
let started = false;

function report(e: unknown): void {
  const message = e instanceof StorageFullError ? e.message : `Saving to browser storage failed: ${(e as Error).message}. Runs keep training; download checkpoints you want to keep.`;
  useStorage.setState({ notice: message });
}

/** Loads the stored runs into the run list and starts mirroring it; call once at start-up. */
export async function initPersistence(): Promise<void> {
  if (started) return;
  started = true;
  let runs: Run[];
  let unreadable: string | null = null;
  try {
    const read = readStoredRuns(await loadRuns());
    unreadable = read.unreadable;
    runs = await Promise.all(read.runs.map(async ({ run, createdAt: t }) => {
      createdAt.set(run.id, t);
      saved.set(run.id, run);
      if (!isActive(run)) return run;
      // The stored run may predate its latest checkpoint (runs are written every few seconds); then
      // the checkpoint's record, which reaches its step, is the run's history.
      const c = await loadCheckpoint(run.id);
      return interruptedOnLoad(c && c.step > run.step ? recordOf(run, c) : { ...run, checkpointStep: c?.step ?? null });
    }));
  } catch (e) {
    useStorage.setState({ available: false, notice: `Run history is off: ${(e as Error).message}. Runs still train, but are gone after a reload.` });
    return;
  }
  useRuns.getState().add(runs, 'before');
  useStorage.setState(unreadable ? { available: true, notice: unreadable } : { available: true });
  useRuns.subscribe((s) => sync(s.runs));
  sync(useRuns.getState().runs);
  addEventListener('pagehide', () => {
    for (const id of [...timers.keys()]) flushNow(id);
  });
}

function sync(runs: readonly Run[]): void {
  const ids = new Set(runs.map((r) => r.id));
  for (const id of [...createdAt.keys()]) {
    if (ids.has(id)) continue;
    clearTimeout(timers.get(id));
    timers.delete(id);
    createdAt.delete(id);
    saved.delete(id);
    deleteRun(id).catch(report);
  }
  for (const r of runs) {
    if (saved.get(r.id) === r) continue;
    if (!createdAt.has(r.id)) createdAt.set(r.id, Date.now());
    // Queued, ended and interrupted runs change rarely and must not be lost: written at once.
    const urgent = !isActive(r);
    if (timers.has(r.id) && !urgent) continue;
    clearTimeout(timers.get(r.id));
    const wait = urgent ? 0 : Math.max(0, SAVE_EVERY_MS - (Date.now() - (lastWrite.get(r.id) ?? 0)));
    timers.set(r.id, setTimeout(() => flushNow(r.id), wait));
  }
}

function flushNow(id: string): void {
  clearTimeout(timers.get(id));
  timers.delete(id);
  const run = useRuns.getState().runs.find((r) => r.id === id);
  const t = createdAt.get(id);
  if (!run || t === undefined || saved.get(id) === run) return;
  saved.set(id, run);
  lastWrite.set(id, Date.now());
  saveRun(run, t).catch((e: unknown) => {
    // Not stored: the next change tries again.
    if (saved.get(id) === run) saved.delete(id);
    report(e);
  });
}

/** The run as its stored checkpoint records it; the stored run itself when the checkpoint cannot be read. */
function recordOf(run: Run, c: { step: number; bytes: Uint8Array }): Run {
  try {
    return withRecord(run, decodeCheckpoint(c.bytes).record, c.step);
  } catch {
    return { ...run, checkpointStep: c.step };
  }
}

/** Stores a checkpoint the worker took; the run then offers Resume and Download from that step. */
export function storeCheckpoint(runId: string, step: number, bytes: Blob): void {
  if (!useStorage.getState().available) return;
  saveCheckpoint(runId, step, bytes)
    .then(() => useRuns.getState().update(runId, (r) => ({ ...r, checkpointStep: step })))
    .catch(report);
}

export function rename(id: string, label: string): void {
  const name = label.trim();
  const run = useRuns.getState().runs.find((r) => r.id === id);
  if (!run || !name || name === run.label) return;
  useRuns.getState().update(id, (r) => ({ ...r, label: name }));
  const renamed = useRuns.getState().runs.find((r) => r.id === id)!;
  // Only the label changes: no need to rewrite the whole curve (a later change of the run writes all of it).
  if (saved.get(id) === run) {
    saved.set(id, renamed);
    renameRun(id, name).catch((e: unknown) => {
      saved.delete(id);
      report(e);
    });
  }
}

/** The run's latest stored checkpoint for download; null (with a notice saying why) when there is none. */
export async function checkpointForDownload(run: Run): Promise<{ step: number; bytes: Uint8Array } | null> {
  try {
    const c = await loadCheckpoint(run.id);
    if (!c) useStorage.setState({ notice: `${run.label} has no stored checkpoint.` });
    return c;
  } catch (e) {
    useStorage.setState({ notice: `Cannot read the checkpoint of ${run.label}: ${(e as Error).message}` });
    return null;
  }
}

/**
 * Adds the run a checkpoint file holds (its config, curve, stages and growth events), with the
 * checkpoint stored so that Resume continues it. A damaged or foreign file changes nothing.
 */
export async function importCheckpoint(file: File): Promise<void> {
  useStorage.setState({ importError: null });
  const bytes = new Uint8Array(await file.arrayBuffer());
  let c: ReturnType<typeof decodeCheckpoint>;
  try {
    c = decodeCheckpoint(bytes);
  } catch (e) {
    useStorage.setState({ importError: `Cannot import "${file.name}": ${(e as Error).message}` });
    return;
  }
  if (!useStorage.getState().available) {
    useStorage.setState({ importError: `Cannot import "${file.name}": this browser gives the lab no storage to keep the checkpoint in.` });
    return;
  }
  const runs = useRuns.getState();
  const run = importedRun(newRunId(), runs.labelFor(`${c.config.schedule.preset} (imported)`), runs.colorFor(), c, Date.now());
  try {
    await saveCheckpoint(run.id, c.step, bytes);
  } catch (e) {
    useStorage.setState({ importError: `Cannot import "${file.name}": ${(e as Error).message}` });
    return;
  }
  runs.add([run], 'after');
}
