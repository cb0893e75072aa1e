import { startTransition, useEffect, useRef, useState } from 'react';

/**
 * The value `ms` after each change, every change shown in order (unlike a debounce, a steady
 * stream still gets through). Charts fed the same data this way redraw in separate frames, where
 * one frame redrawing all of them would be a long task on the page's main thread.
 */
export function useLater<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const t of pending) clearTimeout(t);
      pending.clear();
    };
  }, []);
  useEffect(() => {
    const t = setTimeout(() => {
      timers.current.delete(t);
      startTransition(() => setShown(value));
    }, ms);
    timers.current.add(t);
  }, [value, ms]);
  return shown;
}
