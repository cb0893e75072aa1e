import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Run } from './run.ts';

/**
 * Run history in the browser's IndexedDB ("growlab", version 1): "runs" holds each run as the lab
 * shows it, "checkpoints" the latest checkpoint file of each run. Every write is its own
 * transaction, so a failed one (storage full) leaves what was stored before untouched.
 */
export interface StoredRun {
  run: Run;
  /** Date.now() when the run was first stored: the order the lab lists runs in after a reload. */
  createdAt: number;
}

export interface StoredCheckpoint {
  runId: string;
  step: number;
  /**
   * A Blob since checkpoints are written while a run trains: IndexedDB stores a Blob by reference,
   * where a byte array is serialised on the page's main thread inside put() (about 10 ms per
   * megabyte, a long task under load). Stores from before hold a Uint8Array.
   */
  bytes: Blob | Uint8Array;
}

interface GrowLabDB extends DBSchema {
  runs: { key: string; value: StoredRun };
  checkpoints: { key: string; value: StoredCheckpoint };
}

export const DB_NAME = 'growlab';
const DB_VERSION = 1;

/** A write the browser refused because its storage quota is used up. */
export class StorageFullError extends Error {
  constructor(what: string) {
    super(`Browser storage is full: ${what} could not be saved. Delete or export old runs (Download checkpoint) to make room; everything stored before is kept.`);
    this.name = 'StorageFullError';
  }
}

/** Whether an error (or the transaction error it wraps) is the browser's "quota exceeded". */
export function isQuotaError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 4; depth++) {
    const { name, code } = x as { name?: string; code?: number };
    // 22: QUOTA_EXCEEDED_ERR; Firefox names it NS_ERROR_DOM_QUOTA_REACHED.
    if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22) return true;
    x = (x as { cause?: unknown; error?: unknown }).cause ?? (x as { error?: unknown }).error;
  }
  return false;
}

let opening: Promise<IDBPDatabase<GrowLabDB>> | null = null;

function db(): Promise<IDBPDatabase<GrowLabDB>> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('this browser offers no IndexedDB'));
  opening ??= openDB<GrowLabDB>(DB_NAME, DB_VERSION, {
    upgrade(d) {
      d.createObjectStore('runs');
      d.createObjectStore('checkpoints');
    },
    // Another tab upgrading the database: let it, and reopen on the next call.
    blocking() {
      void opening?.then((d) => d.close());
      opening = null;
    },
  }).catch((e: unknown) => {
    opening = null;
    throw e;
  });
  return opening;
}

/** Runs a write; a quota failure (thrown at once or when the transaction aborts) becomes StorageFullError. */
async function write(what: string, fn: (d: IDBPDatabase<GrowLabDB>) => Promise<unknown>): Promise<void> {
  try {
    await fn(await db());
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError(what);
    throw e;
  }
}

export async function saveRun(run: Run, createdAt: number): Promise<void> {
  await write(`run "${run.label}"`, async (d) => {
    const tx = d.transaction('runs', 'readwrite');
    await Promise.all([tx.store.put({ run, createdAt }, run.id), tx.done]);
  });
}

/** Every stored run, oldest first, as stored: src/state/stored-run.ts checks each before the lab uses it. */
export async function loadRuns(): Promise<unknown[]> {
  const all = await (await db()).getAll('runs');
  return all.sort((a, b) => a.createdAt - b.createdAt);
}

/** Deletes a run and its checkpoint together. */
export async function deleteRun(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['runs', 'checkpoints'], 'readwrite');
  await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('checkpoints').delete(id), tx.done]);
}

export async function renameRun(id: string, label: string): Promise<void> {
  await write(`the new name "${label}"`, async (d) => {
    const tx = d.transaction('runs', 'readwrite');
    const stored = await tx.store.get(id);
    if (stored) await tx.store.put({ ...stored, run: { ...stored.run, label } }, id);
    await tx.done;
  });
}

/** Replaces the run's checkpoint with a newer one; on failure the older one stays. */
export async function saveCheckpoint(runId: string, step: number, bytes: Blob | Uint8Array): Promise<void> {
  const blob = bytes instanceof Blob ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>]);
  await write(`the checkpoint of step ${step}`, async (d) => {
    const tx = d.transaction('checkpoints', 'readwrite');
    await Promise.all([tx.store.put({ runId, step, bytes: blob }, runId), tx.done]);
  });
}

/** The latest stored checkpoint of a run (the "Evaluate" and "Download checkpoint" actions read it here). */
export async function loadCheckpoint(runId: string): Promise<{ step: number; bytes: Uint8Array } | null> {
  const c = await (await db()).get('checkpoints', runId);
  if (!c) return null;
  return { step: c.step, bytes: c.bytes instanceof Blob ? new Uint8Array(await c.bytes.arrayBuffer()) : c.bytes };
}
