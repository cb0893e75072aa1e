import { ConfigError, stopAtFirst, type Checks } from '../errors.ts';
import { validateModelConfig, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { LR_POLICIES } from '../train/lr.ts';
import {
  DEPTH_OP_NAMES,
  HIDDEN_OP_NAMES,
  LENGTH_MODES,
  OPT_POLICIES,
  POOL_REDUCES,
  PRESET_NAMES,
  WIDTH_OP_NAMES,
  stageModelConfig,
  type ScheduleSpec,
  type StageShape,
  type StageSpec,
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

/** One stage's shape on its own: what the target model and sequence length allow. True when all checks passed. */
function checkShape(p: string, shape: StageShape, target: ModelConfig, seqLen: number, checks: Checks): boolean {
  const layers = checks.run(() => {
    positiveInt(`${p}.layers`, shape.layers);
    if (shape.layers > target.layers) {
      throw new ConfigError(`${p}.layers`, `${shape.layers} exceeds the target model's ${target.layers} layers; allowed 1..${target.layers}`);
    }
  });
  const ffnDiv = checks.run(() => {
    positiveInt(`${p}.ffnDiv`, shape.ffnDiv);
    if (target.ffn % shape.ffnDiv !== 0) {
      throw new ConfigError(`${p}.ffnDiv`, `the FFN size ${target.ffn} is not divisible by ${shape.ffnDiv}; valid divisors: ${divisors(target.ffn).join(', ')}`);
    }
  });
  const dims = checkDims(p, shape, target, checks);
  const ffnRank = checks.run(() => {
    if (typeof shape.ffnRank !== 'number' || !Number.isInteger(shape.ffnRank) || shape.ffnRank < 0) {
      throw new ConfigError(`${p}.ffnRank`, `must be 0 (dense) or a positive integer rank, got ${show(shape.ffnRank)}`);
    }
    // The rank's bound needs the stage's FFN width and hidden size, which need valid divisors.
    if (!ffnDiv || !dims) return;
    const f = target.ffn / shape.ffnDiv;
    const d = target.hidden / (shape.hiddenDiv ?? 1);
    const maxRank = Math.min(d, f) - 1;
    if (shape.ffnRank > maxRank) {
      throw new ConfigError(
        `${p}.ffnRank`,
        `rank ${shape.ffnRank} must be below min(hidden ${d}, FFN ${f}) to save anything; allowed 0 (dense) or 1..${maxRank}`,
      );
    }
  });
  const length = checks.run(() => oneOf(`${p}.length`, shape.length, LENGTH_MODES));
  const lengthFactor = checks.run(() => checkLengthFactor(p, shape, seqLen));
  const poolReduce = checks.run(() => oneOf(`${p}.poolReduce`, shape.poolReduce, POOL_REDUCES));
  return layers && ffnDiv && dims && ffnRank && length && lengthFactor && poolReduce;
}

/** A divisor field of the shape: absent is 1; otherwise a positive integer dividing `of`. */
function checkDivisor(field: string, v: unknown, of: number, what: string): void {
  if (v === undefined) return;
  positiveInt(field, v);
  if (of % v !== 0) throw new ConfigError(field, `the ${what} ${of} is not divisible by ${v}; valid divisors: ${divisors(of).join(', ')}`);
}

/** hiddenDiv and headsDiv on their own, then the stage's d divisible by its heads. True when all passed. */
function checkDims(p: string, shape: StageShape, target: ModelConfig, checks: Checks): boolean {
  const hidden = checks.run(() => checkDivisor(`${p}.hiddenDiv`, shape.hiddenDiv, target.hidden, "target's hidden size"));
  const heads = checks.run(() => checkDivisor(`${p}.headsDiv`, shape.headsDiv, target.heads, "target's head count"));
  // A target whose own heads do not divide d is the target's error (the stage model check names it).
  if (!hidden || !heads || target.hidden % target.heads !== 0) return hidden && heads;
  return checks.run(() => {
    const d = target.hidden / (shape.hiddenDiv ?? 1);
    const h = target.heads / (shape.headsDiv ?? 1);
    if (d % h !== 0) {
      const valid = divisors(target.heads).filter((x) => d % (target.heads / x) === 0);
      throw new ConfigError(`${p}.headsDiv`, `hidden size ${d} is not divisible by ${h} heads; at this hiddenDiv, valid headsDiv: ${valid.join(', ')}`);
    }
  });
}

function checkLengthFactor(p: string, shape: StageShape, seqLen: number): void {
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
}

/** Growth from `prev` to `cur` may keep or enlarge every dimension, never shrink one. True when all checks passed. */
function checkGrowth(p: string, i: number, prev: StageShape, cur: StageShape, spec: ScheduleSpec, checks: Checks): boolean {
  const layers = checks.run(() => {
    if (cur.layers < prev.layers) {
      throw new ConfigError(`${p}.layers`, `growth cannot remove layers: stage ${i - 1} has ${prev.layers}, so this stage needs at least ${prev.layers}`);
    }
  });
  const ffnDiv = checks.run(() => {
    if (cur.ffnDiv > prev.ffnDiv) {
      throw new ConfigError(`${p}.ffnDiv`, `growth cannot narrow the FFN: stage ${i - 1} has F/${prev.ffnDiv}, so ffnDiv must be at most ${prev.ffnDiv}`);
    }
    if (spec.ops.width === 'share' && prev.ffnDiv % cur.ffnDiv !== 0) {
      throw new ConfigError(
        `${p}.ffnDiv`,
        `width op "share" tiles F/${prev.ffnDiv} a whole number of times, so ffnDiv must divide ${prev.ffnDiv}; valid: ${divisors(prev.ffnDiv).join(', ')}`,
      );
    }
  });
  const ffnRank = checks.run(() => {
    if (prev.ffnRank === 0 && cur.ffnRank > 0) {
      throw new ConfigError(`${p}.ffnRank`, `stage ${i - 1} is dense; a dense FFN cannot be factorized again, so ffnRank must be 0`);
    }
    if (prev.ffnRank > 0 && cur.ffnRank !== 0 && cur.ffnRank !== prev.ffnRank) {
      throw new ConfigError(
        `${p}.ffnRank`,
        `stage ${i - 1} has rank ${prev.ffnRank}; growth keeps the rank or makes the FFN dense (W := A·B), so ffnRank must be ${prev.ffnRank} or 0`,
      );
    }
  });
  const length = checks.run(() => {
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
  });
  return layers && ffnDiv && ffnRank && length && checkDimsGrowth(p, i, prev, cur, spec, checks);
}

/**
 * d and heads grow as growModel can: the head dimension by hidden.* (an integer factor for tile),
 * then the heads by heads.add (an integer factor, keeping the head dimension). Fewer, wider heads
 * (heads.split) is refused: no split of one softmax over q·k into softmaxes over its parts
 * preserves the function, so the head dimension may never shrink.
 */
function checkDimsGrowth(p: string, i: number, prev: StageShape, cur: StageShape, spec: ScheduleSpec, checks: Checks): boolean {
  const [ph, ch] = [prev.hiddenDiv ?? 1, cur.hiddenDiv ?? 1];
  const [pH, cH] = [prev.headsDiv ?? 1, cur.headsDiv ?? 1];
  const hidden = checks.run(() => {
    if (ch > ph) throw new ConfigError(`${p}.hiddenDiv`, `growth cannot shrink the hidden size: stage ${i - 1} has d/${ph}, so hiddenDiv must be at most ${ph}`);
  });
  const heads = checks.run(() => {
    if (cH > pH) throw new ConfigError(`${p}.headsDiv`, `growth cannot remove heads: stage ${i - 1} has H/${pH}, so headsDiv must be at most ${pH}`);
    if (pH % cH !== 0) {
      throw new ConfigError(`${p}.headsDiv`, `heads.add grows the heads by a whole factor, so headsDiv must divide stage ${i - 1}'s ${pH}; valid: ${divisors(pH).join(', ')}`);
    }
  });
  if (!hidden || !heads) return false;
  return checks.run(() => {
    // Head dimension ∝ headsDiv / hiddenDiv; cross-multiplied to stay in integers.
    const grows = cH * ph;
    const was = pH * ch;
    if (grows < was) {
      throw new ConfigError(
        `${p}.headsDiv`,
        `the heads grow ${pH / cH}× but the hidden size only ${ph / ch}× from stage ${i - 1}, which would shrink the head dimension ` +
          `(heads.split is not supported: one softmax over q·k is not a mix of softmaxes over its parts, so no split preserves the function); ` +
          `valid: headsDiv at least ${Math.ceil(was / ph)} at this hiddenDiv, or hiddenDiv at most ${Math.floor(grows / pH)} at this headsDiv`,
      );
    }
    if ((spec.ops.hidden ?? 'tile') === 'tile' && grows % was !== 0) {
      throw new ConfigError(`${p}.hiddenDiv`, `hidden.tile grows the head dimension by a whole factor, but stage ${i - 1} → ${i} scales it by ${grows}/${was}`);
    }
  });
}

/**
 * MSG's ramp runs inside the stage a growth starts, so that the mask is gone before the next growth
 * (which masks only what it adds) and a stage ends on the plain model. Only stages whose growth adds
 * layers, FFN units or heads carry a ramp.
 */
function checkRamp(s: string, i: number, prev: StageShape, stage: StageSpec, spec: ScheduleSpec): void {
  const ramp = spec.ops.msgRamp;
  if (ramp === undefined) return;
  const adds = stage.shape.layers > prev.layers || stage.shape.ffnDiv < prev.ffnDiv || (stage.shape.headsDiv ?? 1) < (prev.headsDiv ?? 1);
  if (adds && stage.steps < ramp) {
    throw new ConfigError(
      'ops.msgRamp',
      `MSG's ramp of ${ramp} steps is longer than stage ${i} (${s}.steps = ${stage.steps}), which starts with a growth it masks; ` +
        `the ramp must end inside the stage, so at most ${stage.steps}, or give ${s} at least ${ramp} steps`,
    );
  }
}

/**
 * LiGO learns expansions of dense weight matrices (growth/ligo.ts); a factorized FFN's factors have
 * no such rule, so a growth that changes weights must start from a dense FFN. A boundary that only
 * changes the input length is no LiGO growth and is allowed.
 */
function checkLigo(i: number, prev: StageShape, cur: StageShape, spec: ScheduleSpec): void {
  if (spec.ops.ligoSteps === undefined || prev.ffnRank === 0) return;
  const grows =
    cur.layers !== prev.layers || cur.ffnDiv !== prev.ffnDiv || cur.ffnRank !== prev.ffnRank ||
    (cur.hiddenDiv ?? 1) !== (prev.hiddenDiv ?? 1) || (cur.headsDiv ?? 1) !== (prev.headsDiv ?? 1);
  if (!grows) return;
  throw new ConfigError(
    `stages[${i - 1}].shape.ffnRank`,
    `stage ${i - 1} has a factorized FFN (rank ${prev.ffnRank}) and grows into stage ${i} under LiGO (ops.ligoSteps); ` +
      'LiGO expands dense weights: make the FFN dense first (ffnRank 0) or drop LiGO',
  );
}

/** The last stage must be the full target model; one check per field. */
function checkFinal(p: string, shape: StageShape, target: ModelConfig, checks: Checks): boolean {
  const full = `the last stage must be the full target model (L${target.layers}, ffnDiv 1, ffnRank ${target.ffnRank}, length "full", hiddenDiv 1, headsDiv 1), as in every preset`;
  return [
    checks.run(() => {
      if (shape.layers !== target.layers) throw new ConfigError(`${p}.layers`, `${full}; got ${shape.layers} layers`);
    }),
    checks.run(() => {
      if (shape.ffnDiv !== 1) throw new ConfigError(`${p}.ffnDiv`, `${full}; got ffnDiv ${shape.ffnDiv}`);
    }),
    checks.run(() => {
      if (shape.ffnRank !== target.ffnRank) throw new ConfigError(`${p}.ffnRank`, `${full}; got ffnRank ${shape.ffnRank}`);
    }),
    checks.run(() => {
      if (shape.length !== 'full') throw new ConfigError(`${p}.length`, `${full}; got "${shape.length}"`);
    }),
    checks.run(() => {
      if ((shape.hiddenDiv ?? 1) !== 1) throw new ConfigError(`${p}.hiddenDiv`, `${full}; got hiddenDiv ${shape.hiddenDiv} (the target's hidden size is ${target.hidden}, so 1)`);
    }),
    checks.run(() => {
      if ((shape.headsDiv ?? 1) !== 1) throw new ConfigError(`${p}.headsDiv`, `${full}; got headsDiv ${shape.headsDiv} (the target has ${target.heads} heads, so 1)`);
    }),
  ].every(Boolean);
}

/** One stage on its own: steps, policies, shape and the stage model it makes. True when all passed. */
function checkStage(s: string, stage: StageSpec, target: ModelConfig, seqLen: number, checks: Checks): boolean {
  if (!checks.run(() => {
    if (!isObject(stage)) throw new ConfigError(s, 'must be an object with shape, steps, lrPolicy and optPolicy');
  })) return false;
  const own = [
    checks.run(() => positiveInt(`${s}.steps`, stage.steps)),
    checks.run(() => oneOf(`${s}.lrPolicy`, stage.lrPolicy, LR_POLICIES)),
    checks.run(() => oneOf(`${s}.optPolicy`, stage.optPolicy, OPT_POLICIES)),
  ].every(Boolean);
  if (!checks.run(() => {
    if (!isObject(stage.shape)) throw new ConfigError(`${s}.shape`, 'must be an object with layers, ffnDiv, ffnRank, length, lengthFactor and poolReduce (hiddenDiv and headsDiv optional)');
  })) return false;
  // The stage model is only worth checking once its shape is valid; it catches what the stage
  // inherits from the target, e.g. heads that do not divide hidden.
  const shape = checkShape(`${s}.shape`, stage.shape, target, seqLen, checks) && validateModelConfig(stageModelConfig(target, stage.shape), `${s}.model`, checks);
  return own && shape;
}

/**
 * Checks a schedule against its target model: throws ConfigError naming the first invalid field
 * (e.g. "stages[1].shape.ffnDiv") and what would be valid, or with collecting `checks` notes every
 * one. Besides each stage's own shape and consecutive growth never shrinking a dimension, the last
 * stage must be the full target model — every preset ends there, and FLOPs speed-ups and run
 * comparisons are measured against that model — and the stage steps must add up to train.steps.
 */
export function validateSchedule(spec: ScheduleSpec, target: ModelConfig, train: Pick<TrainConfig, 'seqLen' | 'steps'>, checks: Checks = stopAtFirst): boolean {
  if (!checks.run(() => {
    if (!isObject(spec)) throw new ConfigError('schedule', 'must be an object with preset, stages and ops');
  })) return false;
  const preset = checks.run(() => oneOf('preset', spec.preset, [...PRESET_NAMES, 'custom']));
  const ops = checks.run(() => {
    if (!isObject(spec.ops)) throw new ConfigError('ops', 'must be an object with depth, width and widthNoise');
  }) && [
    checks.run(() => oneOf('ops.depth', spec.ops.depth, DEPTH_OP_NAMES)),
    checks.run(() => oneOf('ops.width', spec.ops.width, WIDTH_OP_NAMES)),
    checks.run(() => {
      if (spec.ops.hidden !== undefined) oneOf('ops.hidden', spec.ops.hidden, HIDDEN_OP_NAMES);
    }),
    checks.run(() => {
      const ramp = spec.ops.msgRamp;
      if (ramp !== undefined && !isPositiveInt(ramp)) {
        throw new ConfigError('ops.msgRamp', `MSG's ramp must be a whole number of steps, at least 1 (leave it out for no masking), got ${show(ramp)}`);
      }
    }),
    checks.run(() => {
      const steps = spec.ops.ligoSteps;
      if (steps !== undefined && !isPositiveInt(steps)) {
        throw new ConfigError('ops.ligoSteps', `LiGO's operator trains for a whole number of steps, at least 1 (leave it out for no LiGO), got ${show(steps)}`);
      }
      if (steps !== undefined && spec.ops.msgRamp !== undefined) {
        throw new ConfigError(
          'ops.ligoSteps',
          'LiGO and MSG are two ways of making every growth (a learned operator vs. masked new structures) and cannot be combined; set ops.ligoSteps or ops.msgRamp, not both',
        );
      }
    }),
    checks.run(() => {
      const noise = spec.ops.widthNoise;
      if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0 || noise >= 1) {
        throw new ConfigError('ops.widthNoise', `must be a number in [0, 1) (0 = exact copies), got ${show(noise)}`);
      }
    }),
  ].every(Boolean);
  if (!checks.run(() => {
    if (!Array.isArray(spec.stages) || spec.stages.length === 0) {
      throw new ConfigError('stages', 'must list at least one stage (the last one being the full model)');
    }
  })) return false;

  const stagesOk = spec.stages.map((stage, i) => checkStage(`stages[${i}]`, stage, target, train.seqLen, checks));
  // Growth compares neighbours, so it needs both of them valid (and the width op it depends on).
  const growthOk = spec.stages.map((stage, i) =>
    i === 0 || !stagesOk[i - 1] || !stagesOk[i] || !ops ? true : checkGrowth(`stages[${i}].shape`, i, spec.stages[i - 1].shape, stage.shape, spec, checks),
  );
  const rampOk = spec.stages.map((stage, i) =>
    i === 0 || !stagesOk[i] || !ops ? true : checks.run(() => checkRamp(`stages[${i}]`, i, spec.stages[i - 1].shape, stage, spec)),
  );
  const ligoOk = spec.stages.map((stage, i) =>
    i === 0 || !stagesOk[i - 1] || !stagesOk[i] || !ops ? true : checks.run(() => checkLigo(i, spec.stages[i - 1].shape, stage.shape, spec)),
  );
  const last = spec.stages.length - 1;
  const finalOk = stagesOk[last] ? checkFinal(`stages[${last}].shape`, spec.stages[last].shape, target, checks) : false;
  const stepsOk = stagesOk.every(Boolean) && checks.run(() => {
    const total = spec.stages.reduce((sum, st) => sum + st.steps, 0);
    if (total !== train.steps) {
      throw new ConfigError('train.steps', `must equal the sum of the stage steps (${spec.stages.map((st) => st.steps).join(' + ')} = ${total}), got ${train.steps}`);
    }
  });
  return preset && ops && stagesOk.every(Boolean) && growthOk.every(Boolean) && rampOk.every(Boolean) && ligoOk.every(Boolean) && finalOk && stepsOk;
}
