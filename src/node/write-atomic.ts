import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes the whole file under a temporary name, then renames it into place: an interrupted write
 * never leaves a broken file, and writers racing on the same path (parallel test workers) each
 * rename a complete one. Synchronous on purpose: a training loop keeps Node's event loop busy with
 * microtasks, so an asynchronous write queued mid-run reaches the disk only when the run ends —
 * too late for the checkpoint that was meant to survive a crash.
 */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${randomUUID()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
