import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';

/**
 * Length growth changes no weights: truncate → full length only feeds longer sequences (position
 * embeddings past the short length were there all along, untrained), and pool → none only stops
 * pooling the first layer's queries. The grown model is a copy — new variables sharing the old
 * buffers — so the caller can dispose the old maps independently. Moments are copied likewise.
 */
export function growLength(params: Params, adam: AdamState | null): { params: Params; adam: AdamState | null } {
  const out: Params = new Map();
  for (const [name, p] of params) out.set(name, tf.variable(p, p.trainable));
  if (!adam) return { params: out, adam: null };
  const copy = (src: Map<string, tf.Variable>) => new Map([...src].map(([name, t]) => [name, tf.variable(t, false)] as const));
  return { params: out, adam: { step: adam.step, m: copy(adam.m), v: copy(adam.v) } };
}
