import { ConfigError } from '../errors.ts';
import { validateModelConfig, type ModelConfig } from '../model/config.ts';
import { paramShapes } from '../model/shapes.ts';
import type { RunRecord } from '../train/record.ts';
import type { ExperimentConfig } from '../run/config.ts';
import { stageModelConfig } from '../schedule/spec.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors.ts';

/* The checkpoint file: pure, so the page reads and writes checkpoints without loading tfjs. */

export const CHECKPOINT_FORMAT = 'growlab-checkpoint';
/**
 * 2: the corpus is tokenized at the model's vocabulary size (src/core/data/vocab-cap.ts). A format
 * 1 checkpoint was trained on the old fixed tokenization, whose ids stand for other pieces now.
 */
export const CHECKPOINT_VERSION = 2;

export type TensorData = SafeTensor;

/**
 * A run at a step: what resuming needs (weights, Adam moments, the experiment's position) and what
 * it recorded so far. Stored as safetensors: tensors "param/<name>", "adam.m/<name>", "adam.v/<name>";
 * "__metadata__" carries format, version and JSON strings (config, model, record, state), so any
 * safetensors reader (Python's `safetensors`, `huggingface_hub`) can open the weights.
 */
export interface Checkpoint {
  config: ExperimentConfig;
  /** Optimizer steps completed when it was taken. */
  step: number;
  /** The schedule stage the weights belong to. */
  stageIndex: number;
  /** The model the tensors are: the config's model in that stage's shape. */
  model: ModelConfig;
  backend: string;
  record: RunRecord;
  /** Resume details owned by the Experiment (data cursors, RNG, position in the stage). */
  state: unknown;
  params: Map<string, TensorData>;
  adam: { step: number; m: Map<string, TensorData>; v: Map<string, TensorData> };
}

const FIELD = 'checkpoint';

function fail(message: string): never {
  throw new ConfigError(FIELD, message);
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of c.params) tensors.set(`param/${name}`, t);
  for (const [name, t] of c.adam.m) tensors.set(`adam.m/${name}`, t);
  for (const [name, t] of c.adam.v) tensors.set(`adam.v/${name}`, t);
  return encodeSafetensors({
    tensors,
    metadata: {
      format: CHECKPOINT_FORMAT,
      version: String(CHECKPOINT_VERSION),
      step: String(c.step),
      stageIndex: String(c.stageIndex),
      backend: c.backend,
      adamStep: String(c.adam.step),
      config: JSON.stringify(c.config),
      model: JSON.stringify(c.model),
      record: JSON.stringify(c.record),
      state: JSON.stringify(c.state),
    },
  });
}

function parseJson(metadata: Record<string, string>, key: string): unknown {
  const text = metadata[key];
  if (text === undefined) fail(`the file has no "${key}" entry in its metadata: it is damaged or not from GrowLab`);
  try {
    return JSON.parse(text);
  } catch {
    fail(`the "${key}" metadata is not valid JSON: the file is damaged`);
  }
}

function count(metadata: Record<string, string>, key: string): number {
  const v = Number(metadata[key]);
  if (!Number.isInteger(v) || v < 0) fail(`metadata "${key}" must be a non-negative integer, got ${JSON.stringify(metadata[key])}`);
  return v;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads a checkpoint file and checks it is whole and consistent: GrowLab's format and version, every
 * tensor the model needs with its shape (and nothing else), Adam moments for every parameter, and the
 * model matching the config's stage. Throws ConfigError("checkpoint", ...) saying what is wrong.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    fail(`this safetensors file is not a GrowLab checkpoint (metadata format is ${JSON.stringify(metadata.format ?? null)}, expected "${CHECKPOINT_FORMAT}")`);
  }
  const version = Number(metadata.version);
  if (version === 1) {
    fail('this checkpoint (format 1) was trained before GrowLab tokenized the corpus at the model\'s vocabulary size; its token ids stand for other word pieces now, so it can be neither resumed nor evaluated: train it again');
  }
  if (version !== CHECKPOINT_VERSION) {
    fail(version > CHECKPOINT_VERSION
      ? `checkpoint format version ${metadata.version} was written by a newer GrowLab; this one reads version ${CHECKPOINT_VERSION}`
      : `unknown checkpoint format version ${JSON.stringify(metadata.version)}; this GrowLab reads version ${CHECKPOINT_VERSION}`);
  }
  const config = parseJson(metadata, 'config') as ExperimentConfig;
  const model = parseJson(metadata, 'model') as ModelConfig;
  const record = parseJson(metadata, 'record') as RunRecord;
  const state = parseJson(metadata, 'state');
  const step = count(metadata, 'step');
  const stageIndex = count(metadata, 'stageIndex');
  const adamStep = count(metadata, 'adamStep');
  const stages = (config as { schedule?: { stages?: unknown[] } })?.schedule?.stages;
  if (!Array.isArray(stages) || stageIndex >= stages.length) fail(`stage ${stageIndex} is not in the config's schedule`);
  validateModelConfig(model, 'checkpoint.model');
  const expected = stageModelConfig(config.model, (stages[stageIndex] as { shape: Parameters<typeof stageModelConfig>[1] }).shape);
  if (JSON.stringify(expected) !== JSON.stringify(model)) {
    fail(`the weights' model ${JSON.stringify(model)} is not stage ${stageIndex + 1} of its config (${JSON.stringify(expected)})`);
  }
  if (record?.format !== 'growlab-run' || !Array.isArray(record.steps)) fail('the run record inside is missing or not a GrowLab run record');
  const shapes = paramShapes(model);
  const params = new Map<string, TensorData>();
  const m = new Map<string, TensorData>();
  const v = new Map<string, TensorData>();
  for (const [name, shape] of shapes) {
    for (const [prefix, into] of [['param', params], ['adam.m', m], ['adam.v', v]] as const) {
      const t = tensors.get(`${prefix}/${name}`);
      if (!t) fail(`tensor "${prefix}/${name}" is missing`);
      if (!sameShape(t.shape, shape)) fail(`tensor "${prefix}/${name}" has shape [${t.shape}], the model needs [${shape}]`);
      const bad = nonFinite(t.data);
      if (bad > 0) {
        fail(`tensor "${prefix}/${name}" holds ${bad} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not finite (NaN or ±Inf): the run had diverged when this checkpoint was written, so it can be neither resumed nor evaluated; use an earlier checkpoint or train again with a lower learning rate`);
      }
      into.set(name, t);
    }
  }
  const extra = [...tensors.keys()].filter((k) => !shapes.has(k.slice(k.indexOf('/') + 1)) || !/^(param|adam\.m|adam\.v)\//.test(k));
  if (extra.length) fail(`unexpected tensors for this model: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  return { config, step, stageIndex, model, backend: metadata.backend ?? 'unknown', record, state, params, adam: { step: adamStep, m, v } };
}

/** How many entries of `data` are NaN or ±Inf. */
function nonFinite(data: Float32Array): number {
  let n = 0;
  // x - x is 0 for finite x and NaN for NaN and ±Inf: one comparison per value.
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) n++;
  return n;
}
