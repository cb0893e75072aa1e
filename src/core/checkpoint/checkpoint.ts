import * as tf from '@tensorflow/tfjs-core';
import { type Params } from '../model/params.ts';
import type { AdamState } from '../train/optimizer.ts';
import type { Checkpoint, TensorData } from './format.ts';

/** Reads tensors back from the device: one awaited read per tensor, all issued at once. */
export async function readTensors(vars: Map<string, tf.Tensor>): Promise<Map<string, TensorData>> {
  const names = [...vars.keys()];
  const data = await Promise.all(names.map((n) => vars.get(n)!.data()));
  return new Map(names.map((n, i) => [n, { shape: vars.get(n)!.shape.slice(), data: Float32Array.from(data[i] as Float32Array) }]));
}

function toVariables(ts: Map<string, TensorData>, trainable: boolean): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  // Unnamed variables: tfjs names are global and would collide with a live model's.
  for (const [name, t] of ts) out.set(name, tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), trainable)));
  return out;
}

/** tf.Variables holding the checkpoint's weights (dispose with disposeParams). */
export function checkpointParams(c: Checkpoint): Params {
  return toVariables(c.params, true);
}

/** Adam moments as tf.Variables (dispose with disposeAdamState). */
export function checkpointAdam(c: Checkpoint): AdamState {
  return { step: c.adam.step, m: toVariables(c.adam.m, false), v: toVariables(c.adam.v, false) };
}
