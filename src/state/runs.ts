import { create } from 'zustand';
import type { ExperimentConfig } from '../core/run/config.ts';
import type { ScheduleFlops } from '../core/schedule/flops.ts';
import type { WorkerEvent } from '../worker/protocol.ts';
import { nextColor } from './palette.ts';
import { applyRunEvent, isEnded, newRun, type Run } from './run.ts';

export interface RunRequest {
  config: ExperimentConfig;
  plan: ScheduleFlops;
  /** Growth preset name or "custom". */
  preset: string;
}

interface RunsState {
  /** In the order they were queued; queued runs wait at the end. */
  runs: Run[];
  /** Adds runs to the queue; returns their ids. */
  enqueue(requests: readonly RunRequest[]): string[];
  remove(id: string): void;
  clearEnded(): void;
  /** Folds worker events into the runs they name. */
  apply(events: readonly WorkerEvent[], now: number): void;
  setStatus(id: string, status: Run['status']): void;
  /** Adds whole runs (stored or imported ones), skipping ids already present; stored runs go first. */
  add(runs: readonly Run[], where: 'before' | 'after'): void;
  /** Replaces one run by fn(run). */
  update(id: string, fn: (r: Run) => Run): void;
  /** A label not taken by another run: base, else "base #2", "base #3", ... */
  labelFor(base: string): string;
  colorFor(): string;
}

let serial = 0;

function uniqueLabel(base: string, runs: readonly Run[]): string {
  const taken = new Set(runs.map((r) => r.label));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base} #${i}`)) return `${base} #${i}`;
}

export const useRuns = create<RunsState>((set, get) => ({
  runs: [],
  enqueue(requests) {
    const ids: string[] = [];
    set((s) => {
      const runs = s.runs.slice();
      for (const r of requests) {
        const id = newRunId();
        const color = nextColor(runs.map((x) => x.color), runs.length);
        runs.push(newRun(id, uniqueLabel(r.preset, runs), r.preset, color, r.config, r.plan));
        ids.push(id);
      }
      return { runs };
    });
    return ids;
  },
  remove(id) {
    set((s) => ({ runs: s.runs.filter((r) => r.id !== id || (!isEnded(r) && r.status !== 'queued')) }));
  },
  clearEnded() {
    set((s) => ({ runs: s.runs.filter((r) => !isEnded(r)) }));
  },
  apply(events, now) {
    set((s) => {
      const byId = new Map(s.runs.map((r) => [r.id, r]));
      let changed = false;
      for (const e of events) {
        const id = 'runId' in e ? e.runId : undefined;
        const run = id === undefined ? undefined : byId.get(id);
        if (!run) continue;
        byId.set(run.id, applyRunEvent(run, e, now));
        changed = true;
      }
      return changed ? { runs: s.runs.map((r) => byId.get(r.id) ?? r) } : s;
    });
  },
  setStatus(id, status) {
    set((s) => ({ runs: s.runs.map((r) => (r.id === id ? { ...r, status } : r)) }));
  },
  add(added, where) {
    set((s) => {
      const fresh = added.filter((r) => !s.runs.some((x) => x.id === r.id));
      return { runs: where === 'before' ? [...fresh, ...s.runs] : [...s.runs, ...fresh] };
    });
  },
  update(id, fn) {
    set((s) => ({ runs: s.runs.map((r) => (r.id === id ? fn(r) : r)) }));
  },
  labelFor(base) {
    return uniqueLabel(base, get().runs);
  },
  colorFor() {
    const { runs } = get();
    return nextColor(runs.map((x) => x.color), runs.length);
  },
}));

export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${++serial}`;
}
