import * as tf from '@tensorflow/tfjs-core';
import { useNodeBackend } from './backends.ts';

/** Runs `f` on a Node backend and reads its result back (then frees it): for comparing backends. */
export async function resultOn(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Promise<{ shape: number[]; values: number[] }> {
  await useNodeBackend(backend);
  const t = f();
  const out = { shape: t.shape, values: Array.from(await t.data()) };
  t.dispose();
  return out;
}
