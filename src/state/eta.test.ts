import { describe, expect, it } from 'vitest';
import { etaMs, queueEtaMs } from './eta.ts';

describe('etaMs', () => {
  it('extrapolates the elapsed time per FLOP to the FLOPs left', () => {
    // 2 s for 1e9 of 5e9 FLOPs: 4e9 left at 2e-9 ms per FLOP = 8 s.
    expect(etaMs(2000, 1e9, 5e9)).toBeCloseTo(8000, 9);
    expect(etaMs(2000, 5e9, 5e9)).toBe(0);
  });
  it('has no estimate before any work is done', () => {
    expect(etaMs(0, 0, 5e9)).toBeNull();
    expect(etaMs(1000, 0, 5e9)).toBeNull();
  });
});

describe('queueEtaMs', () => {
  it('adds the waiting runs at the measured rate to the active remainder', () => {
    expect(queueEtaMs(3000, [1e9, 2e9], 1e-6)).toBeCloseTo(3000 + 3000, 9);
    expect(queueEtaMs(null, [1e9], 2e-6)).toBeCloseTo(2000, 9);
  });
  it('is unknown while waiting runs have no rate, and the active ETA when nothing waits', () => {
    expect(queueEtaMs(3000, [1e9], null)).toBeNull();
    expect(queueEtaMs(3000, [], null)).toBe(3000);
  });
});
