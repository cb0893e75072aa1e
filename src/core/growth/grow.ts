import { ConfigError } from '../errors.ts';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { disposeParams, type Params } from '../model/params.ts';
import { paramShapes } from '../model/shapes.ts';
import { disposeAdamState, type AdamState } from '../train/optimizer.ts';
import type { GrowthOps } from '../schedule/spec.ts';
import { growDepth } from './depth.ts';
import { defactorizeFfn, growWidth } from './width.ts';
import { growLength } from './length.ts';

export interface Grown {
  params: Params;
  /** Carried moments, or null when none were passed (the caller makes a fresh state). */
  adam: AdamState | null;
}

/** Config fields no growth operator changes (dropout may differ between stages). */
const FIXED = ['vocabSize', 'hidden', 'heads', 'maxLen', 'norm', 'lnEps'] as const;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Growth from params that do not match their config would silently produce garbage. */
function checkMatches(params: Params, adam: AdamState | null, cfg: ModelConfig): void {
  const shapes = paramShapes(cfg);
  for (const [name, shape] of shapes) {
    const p = params.get(name);
    if (!p) throw new Error(`growModel: parameter "${name}" of the source config is missing`);
    if (!sameShape(p.shape, shape)) throw new Error(`growModel: "${name}" has shape [${p.shape}], the source config says [${shape}]`);
    if (adam && !(adam.m.get(name) && adam.v.get(name))) throw new Error(`growModel: no Adam moments for "${name}"`);
  }
  for (const name of params.keys()) {
    if (!shapes.has(name)) throw new Error(`growModel: parameter "${name}" is not part of the source config`);
  }
}

/**
 * One growth event from `from` to `to`, composing every dimension that differs: factorized → dense
 * first (at the old F), then FFN width, then depth, so layers copied by depth are already widened
 * and new layers are initialised at the final shape. Length growth changes no weights. Returns new
 * maps (the inputs are neither changed nor disposed, so the caller can run a growth check first);
 * with `adam` null (optimizer policy "fresh") the returned state is null. Carried state keeps its
 * step: bias correction is then ≈ 1, so parameters that start with zero moments take a first step
 * of about lr·(1−β1)/√(1−β2) ≈ 3·lr per element (MSG-style zero padding) unless the stage warms up again.
 */
export function growModel(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
  ops: GrowthOps,
  rng: Rng,
): Grown {
  for (const k of FIXED) {
    if (from[k] !== to[k]) throw new ConfigError(k, `growth cannot change ${k} (${String(from[k])} → ${String(to[k])})`);
  }
  if (to.layers < from.layers) throw new ConfigError('layers', `growth cannot remove layers (${from.layers} → ${to.layers})`);
  if (to.ffn < from.ffn) throw new ConfigError('ffn', `growth cannot shrink the FFN (${from.ffn} → ${to.ffn})`);
  if (to.ffnRank !== from.ffnRank && to.ffnRank !== 0) {
    throw new ConfigError('ffnRank', `growth can only make a factorized FFN dense (rank → 0) or keep the rank; got ${from.ffnRank} → ${to.ffnRank}`);
  }
  checkMatches(params, adam, from);

  let cur: Grown = { params, adam };
  let cfg = from;
  let owned = false;
  const apply = (next: ModelConfig, op: (g: Grown, c: ModelConfig) => Grown): void => {
    const grown = op(cur, cfg);
    if (owned) {
      disposeParams(cur.params);
      if (cur.adam) disposeAdamState(cur.adam);
    }
    cur = grown;
    cfg = next;
    owned = true;
  };

  try {
    if (to.ffnRank !== from.ffnRank) {
      const next = { ...cfg, ffnRank: to.ffnRank };
      apply(next, (g, c) => defactorizeFfn(g.params, g.adam, c, next));
    }
    if (to.ffn !== from.ffn) {
      const next = { ...cfg, ffn: to.ffn };
      apply(next, (g, c) => growWidth(g.params, g.adam, c, next, { op: ops.width, noise: ops.widthNoise, rng }));
    }
    if (to.layers !== from.layers) {
      const next = { ...cfg, layers: to.layers };
      apply(next, (g, c) => growDepth(g.params, g.adam, c, next, { op: ops.depth, rng }));
    }
    if (!owned) apply(cfg, (g) => growLength(g.params, g.adam));
  } catch (e) {
    if (owned) {
      disposeParams(cur.params);
      if (cur.adam) disposeAdamState(cur.adam);
    }
    throw e;
  }
  return cur;
}
