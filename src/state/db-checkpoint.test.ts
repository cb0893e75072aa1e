import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_NAME, loadCheckpoint, saveCheckpoint } from './db.ts';

describe('stored checkpoints', () => {
  const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);

  it('are stored as a Blob and load as the same bytes, whether saved from a Blob or from bytes', async () => {
    await saveCheckpoint('a', 10, new Blob([bytes]));
    await saveCheckpoint('b', 20, bytes);
    const raw = await openDB(DB_NAME);
    expect(await raw.get('checkpoints', 'a')).toMatchObject({ runId: 'a', step: 10, bytes: expect.any(Blob) });
    expect((await raw.get('checkpoints', 'b')).bytes).toBeInstanceOf(Blob);
    raw.close();
    for (const [id, step] of [['a', 10], ['b', 20]] as const) {
      const c = await loadCheckpoint(id);
      expect(c?.step).toBe(step);
      expect(Array.from(c!.bytes)).toEqual(Array.from(bytes));
    }
  });

  it('load as stored before Blobs, when a browser holds a byte array from an earlier version', async () => {
    const raw = await openDB(DB_NAME);
    await raw.put('checkpoints', { runId: 'old', step: 5, bytes }, 'old');
    raw.close();
    const c = await loadCheckpoint('old');
    expect(c?.step).toBe(5);
    expect(Array.from(c!.bytes)).toEqual(Array.from(bytes));
    expect(await loadCheckpoint('missing')).toBeNull();
  });
});
