import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../core/backend-names.ts';
import { SIZES, defaultLr, type ModelConfig, type PoolSetting } from '../core/model/config.ts';
import { initParams, disposeParams, type Params } from '../core/model/params.ts';
import { makePoolPlan, type PoolPlan } from '../core/model/pool-plan.ts';
import { MlmBatcher, fixedBatches } from '../core/data/batcher.ts';
import type { MlmBatch } from '../core/data/batch.ts';
import type { Corpus } from '../core/data/corpus.ts';
import { Rng, deriveSeed } from '../core/data/rng.ts';
import { StageTrainer } from '../core/train/trainer.ts';
import { createAdamState, disposeAdamState } from '../core/train/optimizer.ts';
import { stageLrFn } from '../core/train/lr.ts';
import { growModel } from '../core/growth/grow.ts';
import { growthCheck } from '../core/growth/check.ts';
import { GROWTH_OPERATORS, LIGO_OPERATOR, growthOperator, type GrowthOperator } from '../core/growth/registry.ts';
import { LIGO_INIT_NOISE, createLigo, disposeLigo, ligoParams } from '../core/growth/ligo.ts';
import { msgMaskAt, msgStructure } from '../core/growth/msg.ts';
import { DEFAULT_WIDTH_NOISE, type GrowthOps } from '../core/schedule/spec.ts';
import { loadCorpus } from '../node/corpus.ts';
import { useNodeBackend } from '../node/backends.ts';
import { UsageError, choice, nonNegativeInt, parseFlags, positiveInt } from './args.ts';

export const GROWTH_CHECK_FLAGS = {
  op: { type: 'string' },
  all: { type: 'boolean' },
  norm: { type: 'string' },
  backend: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** float32 round-off on the tiny model stays orders of magnitude below this. */
export const PRESERVING_TOLERANCE = 1e-4;

export interface GrowthCheckRow {
  op: string;
  preserving: boolean;
  /** What the operator claims: always, pre-ln-only or never. */
  claim: GrowthOperator['preserving'];
  maxAbsLogitDiff: number;
  lossBefore: number;
  lossAfter: number;
}

/** Any ramp: the check compares at its first step, where m = 0. */
const MSG_CHECK_RAMP = 10;

/** The smallest growth event that exercises one operator on the tiny model. */
interface Case {
  from: ModelConfig;
  to: ModelConfig;
  ops: GrowthOps;
  /** Sequence length trained before growth (truncation trains shorter). */
  trainSeqLen: number;
  poolBefore: PoolSetting | null;
}

function caseFor(op: GrowthOperator, target: ModelConfig, seqLen: number): Case {
  // The default split, as the presets grow: its preservation is what the check has to vouch for.
  const ops: GrowthOps = { depth: 'stack', width: 'share', widthNoise: DEFAULT_WIDTH_NOISE };
  const same = { from: target, to: target, ops, trainSeqLen: seqLen, poolBefore: null };
  if (op.msg) {
    // The plain operator's case with MSG on; the check runs at the ramp's first step, m = 0.
    const plain = caseFor(growthOperator(op.id.slice(0, -'+msg'.length)), target, seqLen);
    return { ...plain, ops: { ...plain.ops, msgRamp: MSG_CHECK_RAMP } };
  }
  if (op.id === LIGO_OPERATOR.id) {
    // The ligo preset's growth scaled to tiny: half the depth, d, heads and FFN → the target.
    const half = (n: number) => Math.max(1, Math.floor(n / 2));
    const from = { ...target, layers: half(target.layers), ffn: target.ffn / 2, hidden: target.hidden / 2, heads: target.heads % 2 === 0 ? target.heads / 2 : target.heads };
    return { ...same, from, ops: { ...ops, ligoSteps: 1 } };
  }
  const [dim, name] = op.id.split('.');
  // 2 -> 4 layers, so stack ([0,1,0,1]) and interleave ([0,0,1,1]) differ.
  if (dim === 'depth') {
    return { ...same, from: { ...target, layers: 2 }, to: { ...target, layers: 4 }, ops: { ...ops, depth: name as GrowthOps['depth'] } };
  }
  // d 16 → 32: at 2 heads the head dimension doubles (hidden.*); from 1 head, heads.add doubles the heads.
  if (dim === 'hidden') {
    return { ...same, from: { ...target, hidden: target.hidden / 2 }, ops: { ...ops, hidden: name as NonNullable<GrowthOps['hidden']> } };
  }
  if (dim === 'heads') {
    if (target.heads % 2 !== 0) throw new Error(`growth-check: heads.add needs an even number of heads in the target, got ${target.heads}`);
    return { ...same, from: { ...target, hidden: target.hidden / 2, heads: target.heads / 2 } };
  }
  if (name === 'factorize') return { ...same, from: { ...target, ffnRank: Math.max(1, Math.floor(target.hidden / 4)) } };
  if (dim === 'width') return { ...same, from: { ...target, ffn: target.ffn / 2 }, ops: { ...ops, width: name as GrowthOps['width'] } };
  if (name === 'truncate') return { ...same, trainSeqLen: seqLen / 2 };
  if (name === 'pool') return { ...same, poolBefore: { k: 2, reduce: 'mean' } };
  throw new Error(`growth-check has no case for operator ${op.id}`);
}

async function trainBriefly(params: Params, model: ModelConfig, c: Case, corpus: Corpus, steps: number, seed: number): Promise<void> {
  const base = SIZES.tiny.train;
  const train = { ...base, seqLen: c.trainSeqLen, steps, logEvery: steps };
  const adam = createAdamState(params);
  const trainer = new StageTrainer({
    params, adam, model, train,
    source: new MlmBatcher(corpus, 'train', { batchSize: train.batchSize, seqLen: c.trainSeqLen, vocabSize: model.vocabSize, seed }),
    pool: c.poolBefore,
    seed,
    lr: stageLrFn({ peak: defaultLr('tiny', model.norm), warmupSteps: Math.floor(steps / 5), policy: 'reset', stageSteps: steps, totalSteps: steps }),
    globalStepStart: 0,
    stageSteps: steps,
  });
  while (!trainer.done) await trainer.step();
  await trainer.flush();
  disposeAdamState(adam);
}

function ligoInitParams(params: Params, from: ModelConfig, to: ModelConfig, rng: Rng): Params {
  const op = createLigo(from, to, { noise: LIGO_INIT_NOISE, rng });
  try {
    return ligoParams(op, params);
  } finally {
    disposeLigo(op);
  }
}

export async function checkOperator(op: GrowthOperator, norm: 'pre' | 'post', corpus: Corpus, steps: number, seed: number): Promise<GrowthCheckRow> {
  const target = { ...SIZES.tiny.model, norm };
  const seqLen = SIZES.tiny.train.seqLen;
  const c = caseFor(op, target, seqLen);
  const params = initParams(c.from, deriveSeed(seed, 1));
  await trainBriefly(params, c.from, c, corpus, steps, seed);
  // LiGO is checked at its initial operator (no training steps): the jump its training starts from.
  const rng = new Rng(deriveSeed(seed, 2));
  const grown =
    op.id === LIGO_OPERATOR.id
      ? { params: ligoInitParams(params, c.from, c.to, rng) }
      : growModel(params, null, c.from, c.to, c.ops, rng);
  const probe: MlmBatch = fixedBatches(corpus, 'validation', { batchSize: 8, seqLen, vocabSize: target.vocabSize, seed: deriveSeed(seed, 3) }, 1)[0];
  const poolBefore: PoolPlan | null = c.poolBefore ? makePoolPlan(probe, c.poolBefore.k, c.poolBefore.reduce) : null;
  const mask = msgMaskAt(msgStructure(c.from, c.to, c.ops), c.ops.msgRamp, 0);
  const r = await growthCheck({ params, cfg: c.from, pool: poolBefore }, { params: grown.params, cfg: c.to, pool: null, mask }, probe);
  disposeParams(params);
  disposeParams(grown.params);
  return {
    op: op.id,
    preserving: op.preserving === 'always' || (op.preserving === 'pre-ln-only' && norm === 'pre'),
    claim: op.preserving,
    maxAbsLogitDiff: r.maxAbsLogitDiff,
    lossBefore: r.lossBefore,
    lossAfter: r.lossAfter,
  };
}

/** Exit code 1 when an operator that should preserve the function did not (a bug), else 0. */
export async function growthCheckCommand(argv: string[]): Promise<number> {
  const v = parseFlags(argv, GROWTH_CHECK_FLAGS, 'growth-check');
  if ((v.op === undefined) === (v.all !== true)) {
    throw new UsageError(`growth-check: give exactly one of --op <id> or --all (operators: ${GROWTH_OPERATORS.map((o) => o.id).join(', ')})`);
  }
  const ops = v.all ? GROWTH_OPERATORS : [growthOperator(String(v.op))];
  const norm = choice('norm', v.norm, ['pre', 'post'] as const, 'pre');
  const backend = choice<BackendName>('backend', v.backend, ['cpu', 'wasm', 'webgpu'], 'cpu');
  const steps = positiveInt('steps', v.steps, 20);
  const seed = nonNegativeInt('seed', v.seed, 1);
  tf.enableProdMode();
  await useNodeBackend(backend);
  const corpus = await loadCorpus();
  const rows: GrowthCheckRow[] = [];
  // With --json, stdout holds only the JSON document (one parseable output); the table is progress.
  const say = v.json ? console.error : console.log;
  for (const op of ops) {
    const row = await checkOperator(op, norm, corpus, steps, seed);
    rows.push(row);
    say(`${row.op.padEnd(22)} ${(row.preserving ? 'preserving' : 'not preserving').padEnd(15)} max|Δlogit| ${row.maxAbsLogitDiff.toExponential(2).padStart(9)}  loss ${row.lossBefore.toFixed(4)} -> ${row.lossAfter.toFixed(4)}`);
  }
  const broken = rows.filter((r) => r.preserving && !(r.maxAbsLogitDiff < PRESERVING_TOLERANCE));
  for (const r of broken) console.error(`growth-check: ${r.op} should preserve the function but max|Δlogit| = ${r.maxAbsLogitDiff} >= ${PRESERVING_TOLERANCE}`);
  if (v.json) console.log(JSON.stringify(rows.map(({ op, preserving, maxAbsLogitDiff, lossBefore, lossAfter }) => ({ op, preserving, maxAbsLogitDiff, lossBefore, lossAfter }))));
  return broken.length ? 1 : 0;
}
