import type { ModelConfig } from '../core/model/config.ts';
import { stageModelConfig, type ScheduleSpec } from '../core/schedule/spec.ts';

/**
 * What a growth at `step` (steps completed when the model grew) did to the hidden size and the
 * heads, e.g. "d 8 → 32, heads 1 → 2", from the run's schedule; null when neither changed or no
 * stage boundary is at that step. The stage labels name d and H only below the target, so the
 * grown stage's label alone does not say what d became.
 */
export function growthDimsText(schedule: Pick<ScheduleSpec, 'stages'>, target: ModelConfig, step: number): string | null {
  let at = 0;
  for (let i = 1; i < schedule.stages.length; i++) {
    at += schedule.stages[i - 1].steps;
    if (at !== step) continue;
    const from = stageModelConfig(target, schedule.stages[i - 1].shape);
    const to = stageModelConfig(target, schedule.stages[i].shape);
    const parts: string[] = [];
    if (to.hidden !== from.hidden) parts.push(`d ${from.hidden} → ${to.hidden}`);
    if (to.heads !== from.heads) parts.push(`heads ${from.heads} → ${to.heads}`);
    return parts.length ? parts.join(', ') : null;
  }
  return null;
}
