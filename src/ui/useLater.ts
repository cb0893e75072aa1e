import { startTransition, useEffect, useRef, useState } from 'react';

/**
 * The value `ms` after a change, and at most once every `everyMs` (the latest value wins; a steady
 * stream still gets through, unlike a debounce). Charts fed the same data this way redraw in
 * separate tasks, where one task redrawing all of them would be a long task on the main thread.
 */
export function useLater<T>(value: T, ms: number, everyMs = 0): T {
  const [shown, setShown] = useState(value);
  const latest = useRef(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const last = useRef(0);
  latest.current = value;
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  useEffect(() => {
    if (timer.current !== null) return;
    const wait = Math.max(0, last.current + everyMs - performance.now()) + ms;
    timer.current = setTimeout(() => {
      timer.current = null;
      last.current = performance.now();
      startTransition(() => setShown(latest.current));
    }, wait);
  }, [value, ms, everyMs]);
  return shown;
}
