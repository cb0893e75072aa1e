import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.ts';
import type { Rng } from '../data/rng.ts';
import type { ModelConfig } from '../model/config.ts';
import { initParams, type Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import { DEPTH_OP_NAMES, type DepthOp } from '../schedule/spec.ts';
import { buildGrown, disposeMaps, kept, momentsOf } from './transform.ts';

/**
 * The old layer each layer of the grown model copies, or null for a freshly initialised layer.
 * - stack (Gong et al.; grow_bert transform_model): layer j copies j mod L_old — [0..L-1, 0..L-1, …],
 *   a partial last round for non-multiples (2 → 3 gives [0, 1, 0]).
 * - interleave: layer j copies ⌊j·L_old/L_new⌋ — [0,0,1,1,…] for multiples; otherwise the earlier
 *   layers are the ones duplicated (2 → 3 gives [0, 0, 1], 3 → 4 gives [0, 0, 1, 2]). Every old
 *   layer appears, in order, since the step L_old/L_new is at most 1.
 * - identity, random: old layers stay in place, new layers go on top.
 */
export function depthSources(op: DepthOp, oldLayers: number, newLayers: number): (number | null)[] {
  return Array.from({ length: newLayers }, (_, j) => {
    if (op === 'stack') return j % oldLayers;
    if (op === 'interleave') return Math.floor((j * oldLayers) / newLayers);
    return j < oldLayers ? j : null;
  });
}

/**
 * Suffixes of the projections that write into the residual stream. identity zeroes them so a new
 * pre-LN block x + Attn(LN(x)) + FFN(LN(·)) is the identity. For a factorized W2 = A·B only B is
 * zeroed: with both factors at zero neither would ever get a gradient (∂L/∂A = …·Bᵀ, ∂L/∂B = Aᵀ·…).
 */
const RESIDUAL_OUTPUTS = ['attn.o.kernel', 'attn.o.bias', 'ffn.w2.kernel', 'ffn.w2.kernelB', 'ffn.w2.bias'];

const LAYER_NAME = /^layers\.(\d+)\.(.+)$/;

/**
 * The layer parameters (`layers.*`) of a freshly initialised model of shape `cfg` (BERT init from
 * initParams). initParams seeds every tensor by (seed, name), so a one-word vocabulary and one
 * position change no layer weight; they only save making and freeing a V×d table per growth.
 */
export function freshLayers(cfg: ModelConfig, seed: number): Params {
  const layers: Params = new Map();
  for (const [name, p] of initParams({ ...cfg, vocabSize: 1, maxLen: 1 }, seed)) {
    if (LAYER_NAME.test(name)) layers.set(name, p);
    else p.dispose();
  }
  return layers;
}

export interface DepthOptions {
  op: DepthOp;
  /** Seeds the initialisation of new layers (identity, random). */
  rng: Rng;
}

/**
 * Grows from `from.layers` to `to.layers` blocks. Returns new maps; the inputs are neither changed
 * nor disposed. Copied layers (stack, interleave) carry their source layer's Adam moments; new
 * layers (identity, random) get zero moments.
 *
 * New layers are initialised as at the start of training (BERT init from initParams), including the
 * non-zeroed weights of identity layers: fresh weights make identity the clean "preserving but
 * untrained capacity" control, where copies of the last layer would make it a variant of stack.
 * Identity is exactly function-preserving only with pre-LN blocks: a post-LN block computes
 * LN(x + 0) = LN(x), which re-normalises its input with fresh gain and shift (see the registry).
 */
export function growDepth(
  params: Params,
  adam: AdamState | null,
  from: ModelConfig,
  to: ModelConfig,
  o: DepthOptions,
): { params: Params; adam: AdamState | null } {
  if (!DEPTH_OP_NAMES.includes(o.op)) throw new ConfigError('ops.depth', `must be one of ${DEPTH_OP_NAMES.join(', ')}, got ${String(o.op)}`);
  const L = from.layers;
  if (to.layers <= L) throw new ConfigError('layers', `depth growth needs more layers than ${L}, got ${to.layers}`);

  const suffixes: string[] = [];
  for (const name of params.keys()) {
    const match = LAYER_NAME.exec(name);
    if (!match) continue;
    const i = Number(match[1]);
    if (i >= L) throw new Error(`growDepth: "${name}" is beyond the ${L} layers of the source config`);
    if (i === 0) suffixes.push(match[2]);
  }

  const sources = depthSources(o.op, L, to.layers);
  const fresh = sources.includes(null)
    ? freshLayers({ ...to, layers: to.layers - L }, o.rng.nextUint32())
    : null;

  try {
    return buildGrown(adam, 'growDepth', (emit) => {
      const copy = (fromName: string, toName: string): void => {
        const p = params.get(fromName);
        if (!p) throw new Error(`growDepth: missing parameter "${fromName}"`);
        const { m, v } = momentsOf(adam, fromName, 'growDepth');
        emit(toName, p.trainable, kept(p, m, v));
      };
      // New layers start as initialised, with zero moments (identity zeroes what writes the residual).
      const addFresh = (j: number): void => {
        for (const suffix of suffixes) {
          const p = fresh!.get(`layers.${j - L}.${suffix}`);
          if (!p) throw new Error(`growDepth: initParams made no "layers.${j - L}.${suffix}"`);
          const zero = o.op === 'identity' && RESIDUAL_OUTPUTS.includes(suffix);
          const moment = () => (adam ? tf.zerosLike(p) : null);
          emit(`layers.${j}.${suffix}`, p.trainable, { value: zero ? tf.zerosLike(p) : tf.clone(p), m: moment(), v: moment() });
        }
      };
      let layersDone = false;
      for (const name of params.keys()) {
        if (!LAYER_NAME.test(name)) {
          copy(name, name);
          continue;
        }
        if (layersDone) continue;
        layersDone = true;
        sources.forEach((src, j) => {
          if (src === null) addFresh(j);
          else for (const suffix of suffixes) copy(`layers.${src}.${suffix}`, `layers.${j}.${suffix}`);
        });
      }
    });
  } finally {
    if (fresh) disposeMaps(fresh);
  }
}
