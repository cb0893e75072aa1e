/**
 * Time left for work measured in FLOPs, assuming the rate seen so far (elapsed ms per FLOP)
 * holds; null until something was done. Growth schedules spend few FLOPs early, so FLOPs
 * extrapolate better than steps.
 */
export function etaMs(elapsedMs: number, doneFlops: number, totalFlops: number): number | null {
  if (!(doneFlops > 0) || !(elapsedMs > 0)) return null;
  return Math.max(0, totalFlops - doneFlops) * (elapsedMs / doneFlops);
}

/**
 * Time left for a queue: the active run's remainder plus every waiting run's FLOPs at the
 * measured rate (ms per FLOP); null while no rate is known.
 */
export function queueEtaMs(activeEtaMs: number | null, waitingFlops: readonly number[], msPerFlop: number | null): number | null {
  if (msPerFlop === null) return waitingFlops.length === 0 ? activeEtaMs : null;
  return (activeEtaMs ?? 0) + waitingFlops.reduce((s, f) => s + f * msPerFlop, 0);
}
