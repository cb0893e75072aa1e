import { create } from 'zustand';
import { ConfigError } from '../core/errors.ts';
import { validateSuiteResults, type SuiteResults } from '../core/suite/results.ts';

interface SuiteState {
  results: SuiteResults | null;
  fileName: string | null;
  /** Why the last file could not be opened; the results shown before stay. */
  error: string | null;
  open(file: File): Promise<void>;
  close(): void;
  dismissError(): void;
}

/** Parses and validates a suite results.json; a bad file leaves the shown results as they were. */
export async function readSuiteFile(file: Pick<File, 'name' | 'text'>): Promise<SuiteResults> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch (e) {
    throw new ConfigError('results', `${file.name} is not JSON (${(e as Error).message}). Open the results.json that \`growlab suite\` wrote.`);
  }
  return validateSuiteResults(parsed);
}

export const useSuite = create<SuiteState>((set) => ({
  results: null,
  fileName: null,
  error: null,
  async open(file) {
    try {
      const results = await readSuiteFile(file);
      set({ results, fileName: file.name, error: null });
    } catch (e) {
      set({ error: `Could not open ${file.name}: ${(e as Error).message}` });
    }
  },
  close() {
    set({ results: null, fileName: null, error: null });
  },
  dismissError() {
    set({ error: null });
  },
}));
