import { formatFlops } from './format.ts';
import { useBuilt } from './useBuilt.ts';

/** The schedule's forward FLOPs against the full model for as many steps, updated as it is edited. */
export function FlopsSummary() {
  const { plan } = useBuilt();
  return (
    <div className="flops-summary" role="status" aria-label="FLOPs plan">
      <span>
        Schedule: <strong>{plan ? formatFlops(plan.forwardFlops) : '—'}</strong>
      </span>
      <span>
        Baseline: <strong>{plan ? formatFlops(plan.baselineForwardFlops) : '—'}</strong>
      </span>
      <span>
        Predicted speed-up: <strong>{plan ? `${plan.flopsSpeedup.toFixed(2)}×` : '—'}</strong>
      </span>
    </div>
  );
}
