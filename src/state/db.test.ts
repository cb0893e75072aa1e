import { describe, expect, it } from 'vitest';
import { isQuotaError, StorageFullError } from './db.ts';

describe('storage errors', () => {
  it('recognises the quota error thrown at once, as a transaction error, and by legacy code', () => {
    const quota = new DOMException('the quota has been exceeded', 'QuotaExceededError');
    expect(isQuotaError(quota)).toBe(true);
    // idb rejects tx.done with the transaction's error; an AbortError wrapping it in `cause` too.
    expect(isQuotaError({ name: 'AbortError', error: quota })).toBe(true);
    expect(isQuotaError(new Error('aborted', { cause: quota }))).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(new DOMException('gone', 'InvalidStateError'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });

  it('says what was not saved and how to make room', () => {
    expect(new StorageFullError('the checkpoint of step 20').message).toBe(
      'Browser storage is full: the checkpoint of step 20 could not be saved. Delete or export old runs (Download checkpoint) to make room; everything stored before is kept.',
    );
  });
});
