import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';

/*
 * The scaffold every growth operator runs its math in: new maps of parameters and Adam moments,
 * made whole or not at all. The inputs are never changed nor disposed, so a caller can still
 * fall back to them when a growth fails.
 */

/** Frees every tensor of the maps (what a failed growth had made, or fresh weights once used). */
export function disposeMaps(...maps: Map<string, tf.Variable>[]): void {
  for (const map of maps) for (const t of map.values()) t.dispose();
}

/** One grown parameter; m and v are null exactly when there is no Adam state. The tensors are taken over. */
export interface GrownParam {
  value: tf.Tensor;
  m: tf.Tensor | null;
  v: tf.Tensor | null;
}

export interface Grown {
  params: Params;
  adam: AdamState | null;
}

function toVariable(t: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/** A parameter and its moments as they are: new tensors sharing their data (tfjs counts references). */
export function kept(p: tf.Tensor, m: tf.Tensor | null, v: tf.Tensor | null): GrownParam {
  return { value: tf.clone(p), m: m && tf.clone(m), v: v && tf.clone(v) };
}

/** The Adam moments of parameter `name`, both or neither (null without Adam state). */
export function momentsOf(adam: AdamState | null, name: string, tag: string): { m: tf.Variable | null; v: tf.Variable | null } {
  if (!adam) return { m: null, v: null };
  const m = adam.m.get(name);
  const v = adam.v.get(name);
  if (!m || !v) throw new Error(`${tag}: no Adam moments for "${name}"`);
  return { m, v };
}

/**
 * Builds the grown maps from what `produce` emits (a name, whether it trains, its GrownParam);
 * on any failure everything made so far is freed and the error rethrown.
 */
export function buildGrown(
  adam: AdamState | null,
  tag: string,
  produce: (emit: (name: string, trainable: boolean, g: GrownParam) => void) => void,
): Grown {
  const out: Params = new Map();
  const ms = new Map<string, tf.Variable>();
  const vs = new Map<string, tf.Variable>();
  try {
    produce((name, trainable, g) => {
      out.set(name, toVariable(g.value, trainable));
      if (!adam) return;
      if (!g.m || !g.v) throw new Error(`${tag}: no grown moments for "${name}"`);
      ms.set(name, toVariable(g.m, false));
      vs.set(name, toVariable(g.v, false));
    });
  } catch (e) {
    disposeMaps(out, ms, vs);
    throw e;
  }
  return { params: out, adam: adam ? { step: adam.step, m: ms, v: vs } : null };
}

/** `grow` applied to every parameter, each keeping its name and trainability. */
export function growEach(
  params: Params,
  adam: AdamState | null,
  tag: string,
  grow: (name: string, p: tf.Variable, m: tf.Variable | null, v: tf.Variable | null) => GrownParam,
): Grown {
  return buildGrown(adam, tag, (emit) => {
    for (const [name, p] of params) {
      const { m, v } = momentsOf(adam, name, tag);
      emit(name, p.trainable, grow(name, p, m, v));
    }
  });
}
