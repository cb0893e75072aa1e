import { importCheckpoint, useStorage } from '../state/persist.ts';

/** Import of checkpoint files, and what went wrong with storage or an import (the runs stay as they were). */
export function StorageBar() {
  const { notice, importError, available } = useStorage();
  return (
    <div className="storage-bar">
      <label className="small-file">
        Import checkpoint{' '}
        <input
          type="file"
          accept=".safetensors,application/octet-stream"
          aria-label="Import checkpoint"
          disabled={available === null}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (file) void importCheckpoint(file);
          }}
        />
      </label>
      {importError ? (
        <p className="banner error" role="alert">
          {importError}{' '}
          <button type="button" className="small" onClick={() => useStorage.setState({ importError: null })}>
            Dismiss
          </button>
        </p>
      ) : null}
      {notice ? (
        <p className="banner warn" role="alert">
          {notice}{' '}
          <button type="button" className="small" onClick={() => useStorage.setState({ notice: null })}>
            Dismiss
          </button>
        </p>
      ) : null}
    </div>
  );
}
