import { startTransition, useEffect, useState } from 'react';
import type { Run } from '../state/run.ts';
import { useRuns } from '../state/runs.ts';

/**
 * The run list at most every `ms` (and the latest one after a pause), handed over as a transition
 * `offsetMs` after that. Unlike a store hook, a store change does not re-render the caller at once:
 * a worker update is a synchronous render of every store subscriber, so the heavy panels (charts,
 * timeline, table, queue) take theirs later, each at its own offset so that each commits in a task
 * of its own, and no single task on the page's main thread grows long.
 */
export function useRunsShown(ms: number, offsetMs = 0): Run[] {
  const [runs, setRuns] = useState(() => useRuns.getState().runs);
  useEffect(() => {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const show = () => {
      timer = null;
      last = performance.now();
      startTransition(() => setRuns(useRuns.getState().runs));
    };
    const changed = () => {
      if (timer !== null) return;
      timer = setTimeout(show, Math.max(0, last + ms - performance.now()) + offsetMs);
    };
    const unsubscribe = useRuns.subscribe(changed);
    // The list may have changed between the first render and this subscription.
    changed();
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [ms, offsetMs]);
  return runs;
}
