import { startTransition, useEffect, useRef, useState } from 'react';

/**
 * The value at most every `ms` (and the latest one after a pause), handed over as a transition:
 * heavy children (the charts) then render in interruptible slices instead of one long task.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const show = () => {
      last.current = performance.now();
      startTransition(() => setShown(value));
    };
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      show();
      return;
    }
    const t = setTimeout(show, wait);
    return () => clearTimeout(t);
  }, [value, ms]);
  return shown;
}
