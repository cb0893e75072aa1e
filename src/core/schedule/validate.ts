import { ConfigError } from '../errors.ts';
import { validateModelConfig, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { LR_POLICIES } from '../train/lr.ts';
import {
  DEPTH_OP_NAMES,
  LENGTH_MODES,
  OPT_POLICIES,
  POOL_REDUCES,
  PRESET_NAMES,
  WIDTH_OP_NAMES,
  stageModelConfig,
  type ScheduleSpec,
  type StageShape,
} from './spec.ts';

/** Shortest sequence a truncated stage may train on: [CLS], two tokens, [SEP] (as train.seqLen). */
const MIN_TRUNCATED_LEN = 4;

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function oneOf(field: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new ConfigError(field, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

function positiveInt(field: string, v: unknown): asserts v is number {
  if (!isPositiveInt(v)) throw new ConfigError(field, `must be a positive integer, got ${show(v)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (n % i === 0) out.push(i);
  return out;
}

/** One stage's shape on its own: what the target model and sequence length allow. */
function checkShape(p: string, shape: StageShape, target: ModelConfig, seqLen: number): void {
  positiveInt(`${p}.layers`, shape.layers);
  if (shape.layers > target.layers) {
    throw new ConfigError(`${p}.layers`, `${shape.layers} exceeds the target model's ${target.layers} layers; allowed 1..${target.layers}`);
  }
  positiveInt(`${p}.ffnDiv`, shape.ffnDiv);
  if (target.ffn % shape.ffnDiv !== 0) {
    throw new ConfigError(`${p}.ffnDiv`, `the FFN size ${target.ffn} is not divisible by ${shape.ffnDiv}; valid divisors: ${divisors(target.ffn).join(', ')}`);
  }
  const f = target.ffn / shape.ffnDiv;
  if (typeof shape.ffnRank !== 'number' || !Number.isInteger(shape.ffnRank) || shape.ffnRank < 0) {
    throw new ConfigError(`${p}.ffnRank`, `must be 0 (dense) or a positive integer rank, got ${show(shape.ffnRank)}`);
  }
  const maxRank = Math.min(target.hidden, f) - 1;
  if (shape.ffnRank > maxRank) {
    throw new ConfigError(
      `${p}.ffnRank`,
      `rank ${shape.ffnRank} must be below min(hidden ${target.hidden}, FFN ${f}) to save anything; allowed 0 (dense) or 1..${maxRank}`,
    );
  }
  oneOf(`${p}.length`, shape.length, LENGTH_MODES);
  positiveInt(`${p}.lengthFactor`, shape.lengthFactor);
  const k = shape.lengthFactor;
  if (shape.length === 'full' && k !== 1) {
    throw new ConfigError(`${p}.lengthFactor`, `must be 1 when length is "full", got ${k}`);
  }
  if (shape.length === 'truncate') {
    const valid = divisors(seqLen).filter((d) => d >= 2 && seqLen / d >= MIN_TRUNCATED_LEN);
    if (k < 2 || seqLen % k !== 0 || seqLen / k < MIN_TRUNCATED_LEN) {
      throw new ConfigError(
        `${p}.lengthFactor`,
        `truncation factor ${k} must be at least 2, divide the sequence length ${seqLen} and leave at least ${MIN_TRUNCATED_LEN} tokens; ` +
          (valid.length > 0 ? `valid factors: ${valid.join(', ')}` : `no factor does for length ${seqLen}`),
      );
    }
  }
  if (shape.length === 'pool' && (k < 2 || k >= seqLen)) {
    throw new ConfigError(`${p}.lengthFactor`, `pooling factor ${k} must be at least 2 and below the sequence length ${seqLen} (allowed 2..${seqLen - 1})`);
  }
  oneOf(`${p}.poolReduce`, shape.poolReduce, POOL_REDUCES);
}

/** Growth from `prev` to `cur` may keep or enlarge every dimension, never shrink one. */
function checkGrowth(p: string, i: number, prev: StageShape, cur: StageShape, spec: ScheduleSpec): void {
  if (cur.layers < prev.layers) {
    throw new ConfigError(`${p}.layers`, `growth cannot remove layers: stage ${i - 1} has ${prev.layers}, so this stage needs at least ${prev.layers}`);
  }
  if (cur.ffnDiv > prev.ffnDiv) {
    throw new ConfigError(`${p}.ffnDiv`, `growth cannot narrow the FFN: stage ${i - 1} has F/${prev.ffnDiv}, so ffnDiv must be at most ${prev.ffnDiv}`);
  }
  if (spec.ops.width === 'share' && prev.ffnDiv % cur.ffnDiv !== 0) {
    throw new ConfigError(
      `${p}.ffnDiv`,
      `width op "share" tiles F/${prev.ffnDiv} a whole number of times, so ffnDiv must divide ${prev.ffnDiv}; valid: ${divisors(prev.ffnDiv).join(', ')}`,
    );
  }
  if (prev.ffnRank === 0 && cur.ffnRank > 0) {
    throw new ConfigError(`${p}.ffnRank`, `stage ${i - 1} is dense; a dense FFN cannot be factorized again, so ffnRank must be 0`);
  }
  if (prev.ffnRank > 0 && cur.ffnRank !== 0 && cur.ffnRank !== prev.ffnRank) {
    throw new ConfigError(
      `${p}.ffnRank`,
      `stage ${i - 1} has rank ${prev.ffnRank}; growth keeps the rank or makes the FFN dense (W := A·B), so ffnRank must be ${prev.ffnRank} or 0`,
    );
  }
  // The input gets no shorter: full stays full, pool never becomes truncate (n -> n/k); a
  // truncated stage may move on to pooling the full-length input.
  const allowed = prev.length === 'full' ? ['full'] : prev.length === 'pool' ? ['pool', 'full'] : ['truncate', 'pool', 'full'];
  if (!allowed.includes(cur.length)) {
    throw new ConfigError(`${p}.length`, `growth cannot shorten the input: stage ${i - 1} is "${prev.length}", so length must be one of ${allowed.join(', ')}`);
  }
  if (cur.length === prev.length && cur.lengthFactor > prev.lengthFactor) {
    throw new ConfigError(
      `${p}.lengthFactor`,
      `growth cannot coarsen the input: stage ${i - 1} ${cur.length === 'pool' ? 'pools' : 'truncates'} by ${prev.lengthFactor}, so lengthFactor must be at most ${prev.lengthFactor}`,
    );
  }
}

/**
 * Throws ConfigError naming the first invalid field (e.g. "stages[1].shape.ffnDiv") and what would
 * be valid. Besides each stage's own shape and consecutive growth never shrinking a dimension, the
 * last stage must be the full target model — every preset ends there, and FLOPs speed-ups and run
 * comparisons are measured against that model — and the stage steps must add up to train.steps.
 */
export function validateSchedule(spec: ScheduleSpec, target: ModelConfig, train: Pick<TrainConfig, 'seqLen' | 'steps'>): void {
  if (!isObject(spec)) throw new ConfigError('schedule', 'must be an object with preset, stages and ops');
  oneOf('preset', spec.preset, [...PRESET_NAMES, 'custom']);
  if (!isObject(spec.ops)) throw new ConfigError('ops', 'must be an object with depth, width and widthNoise');
  oneOf('ops.depth', spec.ops.depth, DEPTH_OP_NAMES);
  oneOf('ops.width', spec.ops.width, WIDTH_OP_NAMES);
  const noise = spec.ops.widthNoise;
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0 || noise >= 1) {
    throw new ConfigError('ops.widthNoise', `must be a number in [0, 1) (0 = exact copies), got ${show(noise)}`);
  }
  if (!Array.isArray(spec.stages) || spec.stages.length === 0) {
    throw new ConfigError('stages', 'must list at least one stage (the last one being the full model)');
  }

  spec.stages.forEach((stage, i) => {
    const s = `stages[${i}]`;
    if (!isObject(stage)) throw new ConfigError(s, 'must be an object with shape, steps, lrPolicy and optPolicy');
    positiveInt(`${s}.steps`, stage.steps);
    oneOf(`${s}.lrPolicy`, stage.lrPolicy, LR_POLICIES);
    oneOf(`${s}.optPolicy`, stage.optPolicy, OPT_POLICIES);
    if (!isObject(stage.shape)) throw new ConfigError(`${s}.shape`, 'must be an object with layers, ffnDiv, ffnRank, length, lengthFactor and poolReduce');
    checkShape(`${s}.shape`, stage.shape, target, train.seqLen);
    // Catches what the stage model inherits from the target, e.g. heads that do not divide hidden.
    validateModelConfig(stageModelConfig(target, stage.shape), `${s}.model`);
    if (i > 0) checkGrowth(`${s}.shape`, i, spec.stages[i - 1].shape, stage.shape, spec);
  });

  const last = spec.stages.length - 1;
  const shape = spec.stages[last].shape;
  const full = `the last stage must be the full target model (L${target.layers}, ffnDiv 1, ffnRank ${target.ffnRank}, length "full"), as in every preset`;
  const p = `stages[${last}].shape`;
  if (shape.layers !== target.layers) throw new ConfigError(`${p}.layers`, `${full}; got ${shape.layers} layers`);
  if (shape.ffnDiv !== 1) throw new ConfigError(`${p}.ffnDiv`, `${full}; got ffnDiv ${shape.ffnDiv}`);
  if (shape.ffnRank !== target.ffnRank) throw new ConfigError(`${p}.ffnRank`, `${full}; got ffnRank ${shape.ffnRank}`);
  if (shape.length !== 'full') throw new ConfigError(`${p}.length`, `${full}; got "${shape.length}"`);

  const total = spec.stages.reduce((sum, st) => sum + st.steps, 0);
  if (total !== train.steps) {
    throw new ConfigError('train.steps', `must equal the sum of the stage steps (${spec.stages.map((st) => st.steps).join(' + ')} = ${total}), got ${train.steps}`);
  }
}
