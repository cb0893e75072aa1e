import { useBuilder, type BuilderState } from '../state/builder.ts';
import { buildExperiment, type BuiltExperiment } from '../state/experiment.ts';

const cache = new WeakMap<BuilderState, BuiltExperiment>();

/** The builder's experiment (schedule, config, FLOPs plan, every issue), computed once per builder change. */
export function useBuilt(): BuiltExperiment {
  const s = useBuilder();
  let built = cache.get(s);
  if (!built) {
    built = buildExperiment(s);
    cache.set(s, built);
  }
  return built;
}
