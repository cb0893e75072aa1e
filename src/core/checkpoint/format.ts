import { FormatError } from '../errors.ts';
import type { ModelConfig } from '../model/config.ts';
import { paramShapes } from '../model/shapes.ts';
import type { RunRecord } from '../train/record.ts';
import type { ExperimentConfig } from '../run/config.ts';
import { parseFormat } from '../schema/parse.ts';
import { formatPath, show } from '../schema/show.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, checkpointMetadataSchema, type ResumeState } from './metadata.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors.ts';

/* The checkpoint file: pure, so the page reads and writes checkpoints without loading tfjs. */

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION };
export type { ResumeState };

export type TensorData = SafeTensor;

/**
 * A run at a step: what resuming needs (weights, Adam moments, the experiment's position) and what
 * it recorded so far. Stored as safetensors: tensors "param/<name>", "adam.m/<name>", "adam.v/<name>";
 * "__metadata__" carries format, version and JSON strings (config, model, record, state), so any
 * safetensors reader (Python's `safetensors`, `huggingface_hub`) can open the weights. The
 * metadata's fields are checkpointMetadataSchema's (metadata.ts).
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
  state: ResumeState;
  params: Map<string, TensorData>;
  adam: { step: number; m: Map<string, TensorData>; v: Map<string, TensorData> };
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads a checkpoint file and checks it is whole and consistent: GrowLab's format and version, the
 * metadata against checkpointMetadataSchema (config, model, stage, record and resume state of one
 * moment of one run), every tensor the model needs with its shape (and nothing else), Adam moments
 * for every parameter, all finite. Throws FormatError("checkpoint", ...) naming `file` when given,
 * the field, and what is wrong.
 */
export function decodeCheckpoint(bytes: Uint8Array, file?: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  function fail(message: string, path = ''): never {
    throw new FormatError('checkpoint', { file, path }, message);
  }
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
  const m = parseFormat(checkpointMetadataSchema, metadata, { format: 'checkpoint', file });
  const shapes = paramShapes(m.model);
  const params = new Map<string, TensorData>();
  const adamM = new Map<string, TensorData>();
  const adamV = new Map<string, TensorData>();
  for (const [name, shape] of shapes) {
    for (const [prefix, into] of [['param', params], ['adam.m', adamM], ['adam.v', adamV]] as const) {
      const key = `${prefix}/${name}`;
      const t = tensors.get(key);
      if (!t) fail(`tensor "${key}" is missing`);
      if (!sameShape(t.shape, shape)) fail(`tensor "${key}" has shape ${show(t.shape)}, the model needs ${show(shape)}`, formatPath(['header', key, 'shape']));
      const bad = nonFinite(t.data);
      if (bad > 0) {
        fail(`tensor "${key}" holds ${bad} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not finite (NaN or ±Inf): the run had diverged when this checkpoint was written, so it can be neither resumed nor evaluated; use an earlier checkpoint or train again with a lower learning rate`);
      }
      into.set(name, t);
    }
  }
  const extra = [...tensors.keys()].filter((k) => !shapes.has(k.slice(k.indexOf('/') + 1)) || !/^(param|adam\.m|adam\.v)\//.test(k));
  if (extra.length) fail(`unexpected tensors for this model: ${extra.slice(0, 5).map((k) => show(k)).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  const { config, step, stageIndex, model, backend, record, state } = m;
  return { config, step, stageIndex, model, backend, record, state, params, adam: { step: m.adamStep, m: adamM, v: adamV } };
}

/** How many entries of `data` are NaN or ±Inf. */
function nonFinite(data: Float32Array): number {
  let n = 0;
  // x - x is 0 for finite x and NaN for NaN and ±Inf: one comparison per value.
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) n++;
  return n;
}
