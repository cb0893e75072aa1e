import { ConfigError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { paramShapes } from '../model/shapes.ts';

/*
 * LiGO's plan, pure (no tfjs) so the FLOPs accounting can use it: which learned expansion each
 * parameter is multiplied by, the operator's matrices and their initial values. The math and why
 * the initial operator equals growModel's stack + share + tile is in ligo.ts.
 */

/**
 * The spaces LiGO expands: the residual stream (one for the whole model), and per layer of the
 * small model the attention's q/k/v space and the FFN's inner space.
 */
export type LigoSpace = 'stream' | 'attn' | 'ffn';

/** A: the expansion of an axis that reads a space; B: of an axis that writes it. Both [n2 × n1]. */
export interface LigoRef {
  space: LigoSpace;
  mat: 'A' | 'B';
}

/**
 * How one parameter grows, W' = c · L · W · Rᵀ: `left` expands the rows (axis 0 of a matrix),
 * `right` the last axis (a 1-D parameter is a row vector, so b' = R·b); null keeps that axis. The
 * constant c is √(d_h/d_h') for W_q and b_q (see ligo.ts), else 1.
 */
export interface LigoRule {
  left: LigoRef | null;
  right: LigoRef | null;
  query: boolean;
}

const S_A: LigoRef = { space: 'stream', mat: 'A' };
const S_B: LigoRef = { space: 'stream', mat: 'B' };
const rule = (left: LigoRef | null, right: LigoRef | null, query = false): LigoRule => ({ left, right, query });

const LAYER = /^layers\.(\d+)\.(.+)$/;

/** The rule of a layer parameter by its suffix (what follows `layers.{i}.`). */
function layerRule(suffix: string): LigoRule | null {
  const attn = /^attn\.([qkvo])\.(kernel|bias)$/.exec(suffix);
  if (attn) {
    const [, m, part] = attn;
    if (m === 'o') return part === 'kernel' ? rule({ space: 'attn', mat: 'A' }, S_B) : rule(null, S_B);
    return part === 'kernel' ? rule(S_A, { space: 'attn', mat: 'B' }, m === 'q') : rule(null, { space: 'attn', mat: 'B' }, m === 'q');
  }
  if (/^(attn|ffn)\.ln\.(gamma|beta)$/.test(suffix)) return rule(null, S_B);
  if (suffix === 'ffn.w1.kernel') return rule(S_A, { space: 'ffn', mat: 'B' });
  if (suffix === 'ffn.w1.bias') return rule(null, { space: 'ffn', mat: 'B' });
  if (suffix === 'ffn.w2.kernel') return rule({ space: 'ffn', mat: 'A' }, S_B);
  if (suffix === 'ffn.w2.bias') return rule(null, S_B);
  return null;
}

/** The rule of any parameter a dense model has; throws on a name it does not know (e.g. a factor). */
export function ligoRule(name: string): LigoRule {
  const layer = LAYER.exec(name);
  const r = layer ? layerRule(layer[2]) : globalRule(name);
  if (!r) throw new Error(`ligo: no expansion rule for parameter "${name}" (LiGO expands dense weights only)`);
  return r;
}

function globalRule(name: string): LigoRule | null {
  if (name === 'emb.tok' || name === 'emb.pos') return rule(null, S_B);
  if (/^(emb|final)\.ln\.(gamma|beta)$/.test(name)) return rule(null, S_B);
  if (name === 'mlm.dense.kernel') return rule(S_A, S_B);
  if (name === 'mlm.dense.bias') return rule(null, S_B);
  // mlm.ln's output t' meets the tied output E'ᵀ = B·Eᵀ, so it is read like the stream: t' = t·Aᵀ
  // gives t'·B·Eᵀ = t·(BᵀA)ᵀ·Eᵀ, the old logits whenever BᵀA = I (ligo.ts).
  if (/^mlm\.ln\.(gamma|beta)$/.test(name)) return rule(null, S_A);
  if (name === 'mlm.out.bias') return rule(null, null);
  return null;
}

/** Refuses a growth LiGO cannot make; d and the head dimension grow by whole factors, as hidden.tile's. */
export function checkLigoGrowth(from: ModelConfig, to: ModelConfig): void {
  for (const k of ['vocabSize', 'maxLen', 'norm', 'lnEps'] as const) {
    if (from[k] !== to[k]) throw new ConfigError(k, `growth cannot change ${k} (${String(from[k])} → ${String(to[k])})`);
  }
  if (from.ffnRank > 0 || to.ffnRank > 0) {
    throw new ConfigError('ffnRank', `LiGO expands dense weights; make the FFN dense first or drop LiGO (rank ${from.ffnRank} → ${to.ffnRank})`);
  }
  if (to.layers < from.layers) throw new ConfigError('layers', `growth cannot remove layers (${from.layers} → ${to.layers})`);
  if (to.ffn < from.ffn) throw new ConfigError('ffn', `growth cannot shrink the FFN (${from.ffn} → ${to.ffn})`);
  if (to.heads < from.heads) throw new ConfigError('heads', `growth cannot remove heads (${from.heads} → ${to.heads})`);
  if (to.hidden % to.heads !== 0 || from.hidden % from.heads !== 0) throw new ConfigError('heads', 'hidden size must be divisible by heads in both models');
  if (to.hidden % from.hidden !== 0) throw new ConfigError('hidden', `LiGO's initial operator tiles d by a whole factor: ${to.hidden} / ${from.hidden} is not one`);
  const [dh, dh2] = [from.hidden / from.heads, to.hidden / to.heads];
  if (dh2 % dh !== 0) throw new ConfigError('heads', `LiGO's initial operator tiles the head dimension by a whole factor: ${dh} → ${dh2} is not one`);
}

/** Whether a growth from `from` to `to` changes any weight (LiGO makes it), not only the input length. */
export function ligoGrows(from: ModelConfig, to: ModelConfig): boolean {
  return from.layers !== to.layers || from.ffn !== to.ffn || from.hidden !== to.hidden || from.heads !== to.heads || from.ffnRank !== to.ffnRank;
}

/** [n2, n1] of each space's expansions. */
export function spaceDims(from: ModelConfig, to: ModelConfig): Record<LigoSpace, [number, number]> {
  // The attention space is the concatenated heads, as wide as d in this model (forward.ts).
  return { stream: [to.hidden, from.hidden], attn: [to.hidden, from.hidden], ffn: [to.ffn, from.ffn] };
}

/**
 * Initial expansions as copy maps: unit r of the grown space copies unit src[r] of the small one
 * (null: zero row). B[r, bSrc[r]] = 1; A[r, aSrc[r]] = 1 / (number of rows with that aSrc), so
 * BᵀA = I whenever the rows A reads from are among B's copies — every map below.
 * - stream: interleaved repeat by k = d'/d (unit i → k·i … k·i+k−1), hidden.tile's (and heads.add's) layout;
 * - attn: head h' copies head h' mod H (new heads copy old ones), each head's units interleaved by
 *   d_h'/d_h as hidden.tile does; W_o reads only the old heads (A's new-head rows zero, as heads.add's W_o rows);
 * - ffn: block tile, unit c·F + f copies f (width.share's layout).
 */
export function initCopyMaps(from: ModelConfig, to: ModelConfig, space: LigoSpace): { aSrc: (number | null)[]; bSrc: number[] } {
  if (space === 'stream') {
    const k = to.hidden / from.hidden;
    const src = Array.from({ length: to.hidden }, (_, r) => Math.floor(r / k));
    return { aSrc: src, bSrc: src };
  }
  if (space === 'ffn') {
    const src = Array.from({ length: to.ffn }, (_, r) => r % from.ffn);
    return { aSrc: src, bSrc: src };
  }
  const [dh, dh2] = [from.hidden / from.heads, to.hidden / to.heads];
  const k = dh2 / dh;
  const bSrc = Array.from({ length: to.hidden }, (_, r) => (Math.floor(r / dh2) % from.heads) * dh + Math.floor((r % dh2) / k));
  const aSrc = bSrc.map((s, r) => (Math.floor(r / dh2) < from.heads ? s : null));
  return { aSrc, bSrc };
}

/** depth.stack's source map: grown layer l copies small layer l mod L. One-hot rows of D [L2 × L1]. */
export function initDepthSources(from: ModelConfig, to: ModelConfig): number[] {
  return Array.from({ length: to.layers }, (_, l) => l % from.layers);
}

/** Suffixes of one layer's parameters (all layers have the same), in paramShapes order. */
export function layerSuffixes(cfg: ModelConfig): string[] {
  return [...paramShapes(cfg).keys()].flatMap((n) => {
    const m = LAYER.exec(n);
    return m && m[1] === '0' ? [m[2]] : [];
  });
}

/** Entries of LiGO's learned matrices (what its Adam state holds). */
export function ligoOperatorSize(from: ModelConfig, to: ModelConfig): number {
  const dims = spaceDims(from, to);
  const size = (s: LigoSpace) => 2 * dims[s][0] * dims[s][1];
  return size('stream') + from.layers * (size('attn') + size('ffn')) + layerSuffixes(to).length * to.layers * from.layers;
}

const mm = (m: number, k: number, n: number) => 2 * m * k * n;

/**
 * Forward FLOPs of one materialisation (ligo.ts computes exactly these products, in this order):
 * per parameter of the small model, L·W (2·r'·r·c) then (L·W)·Rᵀ (2·r'·c·c'), a 1-D parameter being
 * a 1 × c row; then per layer suffix the depth mix D·[stacked layers] (2·L2·L1·size'). Scalars
 * (W_q's constant) are elementwise and not counted, as flops.ts counts matmuls only.
 */
export function ligoMaterialiseFlops(from: ModelConfig, to: ModelConfig): number {
  const dims = spaceDims(from, to);
  const grownShapes = paramShapes(to);
  let flops = 0;
  for (const [name, shape] of paramShapes(from)) {
    const r = ligoRule(name);
    let [rows, cols] = shape.length === 1 ? [1, shape[0]] : shape;
    if (r.left) {
      const rows2 = dims[r.left.space][0];
      flops += mm(rows2, rows, cols);
      rows = rows2;
    }
    if (r.right) {
      const cols2 = dims[r.right.space][0];
      flops += mm(rows, cols, cols2);
      cols = cols2;
    }
  }
  for (const suffix of layerSuffixes(to)) {
    const size = (grownShapes.get(`layers.0.${suffix}`) ?? []).reduce((a, b) => a * b, 1);
    flops += mm(to.layers, from.layers, size);
  }
  return flops;
}
