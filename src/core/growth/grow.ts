import { ConfigError } from '../errors.ts';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { disposeParams, type Params } from '../model/params.ts';
import { paramShapes } from '../model/shapes.ts';
import { disposeAdamState, type AdamState } from '../train/optimizer.ts';
import { DEFAULT_HIDDEN_OP, type GrowthOps } from '../schedule/spec.ts';
import { growDepth } from './depth.ts';
import { defactorizeFfn, growWidth } from './width.ts';
import { growLength } from './length.ts';
import { checkHiddenGrowth, growHidden } from './hidden.ts';
import { checkHeadsGrowth, growHeads } from './heads.ts';

export interface Grown {
  params: Params;
  /** Carried moments, or null when none were passed (the caller makes a fresh state). */
  adam: AdamState | null;
}

/** Config fields no growth operator changes (dropout may differ between stages). */
const FIXED = ['vocabSize', 'maxLen', 'norm', 'lnEps'] as const;

/**
 * d and the heads grow in two steps: the head dimension first (hidden.*, at the old heads, to
 * from.heads · d_h'), then the heads (heads.add, at the new head dimension). Refuses, naming the
 * field, whatever neither step can reach; runs before anything is allocated.
 */
function checkDims(from: ModelConfig, to: ModelConfig, ops: GrowthOps): { headDim: ModelConfig | null; heads: ModelConfig | null } {
  if (to.hidden < from.hidden) throw new ConfigError('hidden', `growth cannot shrink the hidden size (${from.hidden} → ${to.hidden})`);
  if (to.heads < from.heads) throw new ConfigError('heads', `growth cannot remove heads (${from.heads} → ${to.heads})`);
  if (to.hidden % to.heads !== 0) throw new ConfigError('heads', `hidden size ${to.hidden} must be divisible by heads ${to.heads}`);
  const dh = from.hidden / from.heads;
  const dh2 = to.hidden / to.heads;
  if (dh2 < dh) {
    throw new ConfigError('heads', `${from.heads} → ${to.heads} heads at hidden ${to.hidden} would shrink the head dimension ${dh} → ${dh2} (heads.split has no function-preserving form); grow hidden to at least ${to.heads * dh}`);
  }
  const mid = { ...from, hidden: from.heads * dh2 };
  const headDim = dh2 === dh ? null : mid;
  if (headDim) checkHiddenGrowth(from, headDim, ops.hidden ?? DEFAULT_HIDDEN_OP);
  const heads = to.heads === from.heads ? null : { ...mid, hidden: to.hidden, heads: to.heads };
  if (heads) checkHeadsGrowth(mid, heads);
  return { headDim, heads };
}

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
 * first (at the old F, and at the old d: A·B commutes with hidden.tile's repeats), then the head
 * dimension (hidden.tile, .fpi, .aki or .random, at the old heads), then the heads (heads.add: tiling d first
 * gives the new heads fresh weights at the full new head dimension, where adding heads first would
 * have hidden.tile repeat their fresh columns too), then FFN width, then depth, so layers copied by
 * depth are already grown and new layers are initialised at the final shape. Length growth changes
 * no weights. Returns new maps (the inputs are neither changed nor disposed, so the caller can run
 * a growth check first); with `adam` null (optimizer policy "fresh") the returned state is null. Carried state keeps its
 * step: bias correction is then ≈ 1, so parameters that start with zero moments take a first step
 * of about lr·(1−β1)/√(1−β2) ≈ 3·lr per element (MSG-style zero padding) unless the stage warms up again.
 * With ops.msgRamp set, the head dimension, heads and width build MSG's weights (growth/msg.ts); the
 * mask itself is the forward pass's (msgStructure says what it covers). ops.ligoSteps is not read here: under LiGO the
 * Experiment makes every growth that changes weights with growByLigo (growth/ligo-train.ts).
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
  const dims = checkDims(from, to, ops);
  checkMatches(params, adam, from);
  const msg = ops.msgRamp !== undefined;

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
    const { headDim, heads } = dims;
    if (headDim) {
      const next = { ...cfg, hidden: headDim.hidden };
      apply(next, (g, c) => growHidden(g.params, g.adam, c, next, { op: ops.hidden ?? DEFAULT_HIDDEN_OP, rng, msg }));
    }
    if (heads) {
      const next = { ...cfg, hidden: heads.hidden, heads: heads.heads };
      apply(next, (g, c) => growHeads(g.params, g.adam, c, next, { rng, msg }));
    }
    if (to.ffn !== from.ffn) {
      const next = { ...cfg, ffn: to.ffn };
      apply(next, (g, c) => growWidth(g.params, g.adam, c, next, { op: ops.width, noise: ops.widthNoise, rng, msg }));
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
