import { predsPerSeq } from '../data/masking.ts';
import { ConfigError } from '../errors.ts';
import type { ModelConfig } from './config.ts';

/*
 * What a training step holds at its peak, from the shapes alone (float32 throughout):
 * - parameters and Adam's two moments, plus the step's gradients and the optimizer's new values
 *   of all three before the old ones are freed: 7 copies of the parameters;
 * - per layer, the activations the backward pass keeps: about 12 [N, d] tensors (LayerNorm
 *   inputs and outputs, Q, K, V, context, residuals), 2 [N, F] (the FFN's pre-activation and
 *   output), and 2 [B, H, n, n] (attention scores and probabilities), N = B·n;
 * - the MLM head's logits, their softmax and gradient: 3 [M, V], M = B·(predictions per sequence);
 * - one more layer's worth for the gradients in flight during the backward pass.
 * It is an estimate for refusing what cannot fit before anything is allocated, not an accounting:
 * `growlab bench` measures the real peak (tf.memory) next to it.
 */
export function estimateTrainingBytes(model: ModelConfig, batch: { batchSize: number; seqLen: number }): number {
  const { vocabSize: V, hidden: d, ffn: F, heads: H, layers: L, maxLen } = model;
  const { batchSize: B, seqLen: n } = batch;
  const rank = model.ffnRank;
  const ffnParams = rank > 0 ? 2 * (d * rank + rank * F) : 2 * d * F;
  const params = V * d + maxLen * d + L * (4 * d * d + ffnParams + 4 * d + F + 4 * d) + d * d + 4 * d + V;
  const N = B * n;
  const layer = 12 * N * d + 2 * N * F + 2 * B * H * n * n;
  const head = 3 * B * predsPerSeq(n) * V;
  return 4 * (7 * params + (L + 1) * layer + head + 3 * N * d);
}

/**
 * The most a training step may need by estimate, whatever the backend: above what any backend
 * GrowLab runs on can hold (wasm32 addresses 4 GiB; a browser's WebGPU device and Node's typed
 * arrays stay far below). Every config is held to it (run/config.ts), so no link, flag or file
 * makes the engine allocate without bound; the backend's own limit is checked when a run starts.
 */
export const MAX_TRAINING_BYTES = 16 * 1024 ** 3;
/** The most tokens a validation set may hold: it is built in memory before the first step. */
export const MAX_VALIDATION_TOKENS = 2 ** 26;

/** The most a backend can hold, where there is a hard ceiling: wasm32 addresses 4 GiB. */
export function memoryLimitBytes(backend: string): number | null {
  return backend === 'wasm' ? 4 * 1024 ** 3 : null;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Throws a ConfigError naming the estimate and the limit when a training step cannot fit. */
export function checkFits(label: string, model: ModelConfig, batch: { batchSize: number; seqLen: number }, backend: string, limit = memoryLimitBytes(backend)): void {
  if (limit === null) return;
  const need = estimateTrainingBytes(model, batch);
  if (need > limit) {
    throw new ConfigError('model', `${label} needs an estimated ${formatBytes(need)} to train on ${backend}, over its limit of ${formatBytes(limit)}; use a smaller size, batch or sequence length, or another backend`);
  }
}
