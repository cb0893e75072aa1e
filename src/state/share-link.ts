import { BACKEND_NAMES } from '../core/backend-names.ts';
import { ConfigError } from '../core/errors.ts';
import { POOL_REDUCES, SIZE_NAMES } from '../core/model/config.ts';
import { DEPTH_OP_NAMES, HIDDEN_OP_NAMES, LENGTH_MODES, OPT_POLICIES, PRESET_NAMES, WIDTH_OP_NAMES, type GrowthOps, type StageSpec } from '../core/schedule/spec.ts';
import { LR_POLICIES } from '../core/train/lr.ts';
import { initialBuilder, type BuilderState, type ScheduleSource } from './builder.ts';
import type { Dims } from './dims.ts';
import { buildExperiment } from './experiment.ts';
import { describeIssue } from './issue.ts';

/**
 * Share links: the builder state in the URL fragment, e.g. `#v=1&size=small&preset=stack&seed=7`.
 *
 * Format v3 (the current one). `v=3` always comes first; every other key appears only
 * when its value differs from initialBuilder(), so a link stays short. That makes the defaults part
 * of the format: changing one (or a key's meaning) needs a new version, with old links read the
 * old way. Values use only URL-safe characters, so links stay readable; `_` separates the fields
 * of one value and `~` the stages of a list:
 *   size=tiny|small|deep|lab   norm=pre|post   seed=N   backend=auto|webgpu|webgl|wasm|cpu
 *   steps=N   lr=N   evalEvery=N   evalBatches=N   lrPolicy=paper|reset|continue|rewind   optPolicy=fresh|carry
 *   source=preset|dims|hand   preset=<preset name>
 *   depth=<on|off>_<op>_<factor>                      e.g. depth=on_stack_2
 *   width=<on|off>_<share|factorize|random>_<factor>_<noise>   e.g. width=off_share_2_0
 *   length=<on|off>_<truncate|pool>_<factor>_<mean|max>       e.g. length=on_pool_2_mean
 *   hidden=<on|off>_<hidden op>_<factor k>_<heads factor m>    e.g. hidden=on_tile_4_2 (d/4 and H/2, then d and H)
 *   stages=<stage>~<stage>… (or `none`), each stage
 *     <layers>_<ffnDiv>_<ffnRank>_<full|truncate|pool>_<lengthFactor>_<mean|max>_<steps>_<lrPolicy>_<optPolicy>[_<hiddenDiv>_<headsDiv>]
 *   ops=<depth op>_<share|random>_<noise>[_<hidden op>][_msg<ramp>][_ligo<steps>]   (operators of hand-edited stages)
 *   msg=<on|off>_<ramp>                                e.g. msg=on_20 (masked structural growth, ramp of 20 steps)
 *   ligo=<on|off>_<steps>                              e.g. ligo=on_10 (learned growth operator, trained 10 steps)
 * The bracketed tails (d and heads growth, MSG's ramp, LiGO's steps) are written only when a stage sets
 * hiddenDiv or headsDiv, or the ops name a hidden operator, an MSG ramp or LiGO steps; without them the
 * value is exactly what v3 wrote before d could grow, so they need no new version: every older link
 * reads as it did. The `hidden`, `msg` and `ligo` keys (the Grow hidden, MSG and LiGO toggles) are new
 * in the same way: a link leaving one out has the toggle's default, as every link written before it
 * did, and a GrowLab without it skips it with a warning.
 * Numbers are JavaScript's shortest round-trip form; `NaN` stands for an emptied number field, so
 * a half-edited builder still round-trips (the builder then shows what is wrong, as it did before).
 *
 * v1 has the same keys with two other defaults, lrPolicy "reset" and width noise 0 (in `width` and
 * `ops`); v2 made the paper's schedule and a symmetry-breaking split the defaults, so a v1 link that
 * leaves those keys out is read with v1's values (see defaultsOf).
 * v2 has v3's keys less evalBatches, with post-LN and its learning rate 2e-3 as the defaults; v3
 * made pre-LN the default and added the validation set's size. A v1 or v2 link is read with post-LN
 * and lr 2e-3 when it leaves them out, and with the validation batches its size had then.
 */
export const SHARE_LINK_VERSION = 3;

/** What v1 and v2 links leave out: the builder's defaults before v3. */
const V2_DEFAULTS = { norm: 'post' as const, lr: 2e-3 };
/** Validation batches of each size before v3 (fixed per size; the builder had no field for them). */
const V2_EVAL_BATCHES: Record<string, number> = { tiny: 4, small: 8, lab: 16 };

const NUMBER = /^(?:-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|NaN|-?Infinity)$/i;

function num(key: string, text: string): number {
  if (!NUMBER.test(text)) throw new ConfigError(key, `"${text}" is not a number`);
  return Number(text);
}

function oneOf<T extends string>(key: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new ConfigError(key, `"${text}" is not one of ${allowed.join(', ')}`);
  return text as T;
}

function onOff(key: string, text: string): boolean {
  return oneOf(key, text, ['on', 'off']) === 'on';
}

/** Splits `value` into exactly `n` `_`-separated fields, saying what the value should look like. */
function fields(key: string, value: string, n: number, shape: string): string[] {
  const parts = value.split('_');
  if (parts.length !== n) throw new ConfigError(key, `"${value}" should have ${n} parts, ${shape}`);
  return parts;
}

const DEPTH_SHAPE = 'on|off_op_factor (e.g. on_stack_2)';
const WIDTH_SHAPE = 'on|off_mode_factor_noise (e.g. on_share_2_0)';
const LENGTH_SHAPE = 'on|off_mode_factor_reduce (e.g. on_pool_2_mean)';
const HIDDEN_SHAPE = 'on|off_op_factor_heads (e.g. on_tile_4_2)';
const STAGE_SHAPE =
  'layers_ffnDiv_ffnRank_length_lengthFactor_poolReduce_steps_lrPolicy_optPolicy, optionally then _hiddenDiv_headsDiv (e.g. 4_1_0_full_1_mean_100_reset_fresh or 4_1_0_full_1_mean_100_reset_fresh_2_1)';
const OPS_SHAPE =
  'depthOp_widthOp_noise, optionally then _hiddenOp, _msg<ramp> and _ligo<steps> (e.g. stack_share_0, stack_share_0_tile, stack_share_0_tile_msg20 or stack_share_0_ligo10)';
const MSG_SHAPE = 'on|off_ramp (e.g. on_20)';
const LIGO_SHAPE = 'on|off_steps (e.g. on_10)';
const SOURCES: readonly ScheduleSource[] = ['preset', 'dims', 'hand'];

function encodeStage(st: StageSpec): string {
  const s = st.shape;
  const own = [s.layers, s.ffnDiv, s.ffnRank, s.length, s.lengthFactor, s.poolReduce, st.steps, st.lrPolicy, st.optPolicy];
  const dims = s.hiddenDiv === undefined && s.headsDiv === undefined ? [] : [s.hiddenDiv ?? 1, s.headsDiv ?? 1];
  return [...own, ...dims].map(String).join('_');
}

/** `_`-separated fields of a value that has `n` of them, or `n + tail` when it carries its optional tail. */
function fieldsWithTail(key: string, value: string, n: number, tail: number, shape: string): string[] {
  const parts = value.split('_');
  if (parts.length !== n && parts.length !== n + tail) throw new ConfigError(key, `"${value}" should have ${n} or ${n + tail} parts, ${shape}`);
  return parts;
}

function decodeStage(key: string, text: string): StageSpec {
  const [layers, ffnDiv, ffnRank, length, lengthFactor, poolReduce, steps, lrPolicy, optPolicy, hiddenDiv, headsDiv] = fieldsWithTail(key, text, 9, 2, STAGE_SHAPE);
  return {
    shape: {
      layers: num(`${key}.layers`, layers),
      ffnDiv: num(`${key}.ffnDiv`, ffnDiv),
      ffnRank: num(`${key}.ffnRank`, ffnRank),
      length: oneOf(`${key}.length`, length, LENGTH_MODES),
      lengthFactor: num(`${key}.lengthFactor`, lengthFactor),
      poolReduce: oneOf(`${key}.poolReduce`, poolReduce, POOL_REDUCES),
      ...(hiddenDiv === undefined ? {} : { hiddenDiv: num(`${key}.hiddenDiv`, hiddenDiv), headsDiv: num(`${key}.headsDiv`, headsDiv) }),
    },
    steps: num(`${key}.steps`, steps),
    lrPolicy: oneOf(`${key}.lrPolicy`, lrPolicy, LR_POLICIES),
    optPolicy: oneOf(`${key}.optPolicy`, optPolicy, OPT_POLICIES),
  };
}

/** The ramp's and LiGO's tail fields are told from a hidden operator (and each other) by their prefixes. */
const MSG_TAIL = 'msg';
const LIGO_TAIL = 'ligo';

function encodeOps(o: GrowthOps): string {
  return [
    o.depth,
    o.width,
    o.widthNoise,
    ...(o.hidden === undefined ? [] : [o.hidden]),
    ...(o.msgRamp === undefined ? [] : [`${MSG_TAIL}${o.msgRamp}`]),
    ...(o.ligoSteps === undefined ? [] : [`${LIGO_TAIL}${o.ligoSteps}`]),
  ].join('_');
}

function decodeOps(text: string): GrowthOps {
  const parts = text.split('_');
  if (parts.length < 3 || parts.length > 6) throw new ConfigError('ops', `"${text}" should have 3 to 6 parts, ${OPS_SHAPE}`);
  const [depth, width, noise, ...tail] = parts;
  // In the order encodeOps writes them, from the end: LiGO's steps, then MSG's ramp.
  const popTail = (prefix: string) => (tail.length > 0 && tail[tail.length - 1].startsWith(prefix) ? tail.pop()!.slice(prefix.length) : undefined);
  const ligo = popTail(LIGO_TAIL);
  const ramp = popTail(MSG_TAIL);
  if (tail.length > 1) {
    throw new ConfigError('ops', `"${text}" has ${tail.length} fields after the noise where at most a hidden operator and an MSG ramp (then LiGO steps) go, ${OPS_SHAPE}`);
  }
  const [hidden] = tail;
  return {
    depth: oneOf('ops.depth', depth, DEPTH_OP_NAMES),
    width: oneOf('ops.width', width, WIDTH_OP_NAMES),
    widthNoise: num('ops.noise', noise),
    ...(hidden === undefined ? {} : { hidden: oneOf('ops.hidden', hidden, HIDDEN_OP_NAMES) }),
    ...(ramp === undefined ? {} : { msgRamp: num('ops.msgRamp', ramp) }),
    ...(ligo === undefined ? {} : { ligoSteps: num('ops.ligoSteps', ligo) }),
  };
}

/**
 * One entry per key, in link order: how to write the key's value from a state, and how to put a
 * read value into a state (validating it). Decoding applies keys onto initialBuilder().
 */
interface Codec {
  key: string;
  write(s: BuilderState): string;
  read(text: string, s: BuilderState): void;
}

const CODECS: readonly Codec[] = [
  { key: 'size', write: (s) => s.size, read: (t, s) => void (s.size = oneOf('size', t, SIZE_NAMES)) },
  { key: 'norm', write: (s) => s.norm, read: (t, s) => void (s.norm = oneOf('norm', t, ['pre', 'post'])) },
  { key: 'seed', write: (s) => String(s.seed), read: (t, s) => void (s.seed = num('seed', t)) },
  { key: 'backend', write: (s) => s.backend, read: (t, s) => void (s.backend = oneOf('backend', t, ['auto', ...BACKEND_NAMES])) },
  { key: 'steps', write: (s) => String(s.totalSteps), read: (t, s) => void (s.totalSteps = num('steps', t)) },
  { key: 'lr', write: (s) => String(s.lr), read: (t, s) => void (s.lr = num('lr', t)) },
  { key: 'evalEvery', write: (s) => String(s.evalEvery), read: (t, s) => void (s.evalEvery = num('evalEvery', t)) },
  { key: 'evalBatches', write: (s) => String(s.evalBatches), read: (t, s) => void (s.evalBatches = num('evalBatches', t)) },
  {
    key: 'lrPolicy',
    write: (s) => s.policies.lrPolicy,
    read: (t, s) => void (s.policies = { ...s.policies, lrPolicy: oneOf('lrPolicy', t, LR_POLICIES) }),
  },
  {
    key: 'optPolicy',
    write: (s) => s.policies.optPolicy,
    read: (t, s) => void (s.policies = { ...s.policies, optPolicy: oneOf('optPolicy', t, OPT_POLICIES) }),
  },
  { key: 'source', write: (s) => s.source, read: (t, s) => void (s.source = oneOf('source', t, SOURCES)) },
  { key: 'preset', write: (s) => s.preset, read: (t, s) => void (s.preset = oneOf('preset', t, PRESET_NAMES)) },
  {
    key: 'depth',
    write: ({ dims: { depth: d } }) => [d.on ? 'on' : 'off', d.op, d.factor].join('_'),
    read: (t, s) => {
      const [on, op, factor] = fields('depth', t, 3, DEPTH_SHAPE);
      s.dims = { ...s.dims, depth: { on: onOff('depth', on), op: oneOf('depth.op', op, DEPTH_OP_NAMES), factor: num('depth.factor', factor) } };
    },
  },
  {
    key: 'width',
    write: ({ dims: { width: w } }) => [w.on ? 'on' : 'off', w.mode, w.factor, w.noise].join('_'),
    read: (t, s) => {
      const [on, mode, factor, noise] = fields('width', t, 4, WIDTH_SHAPE);
      const width: Dims['width'] = {
        on: onOff('width', on),
        mode: oneOf('width.mode', mode, ['share', 'factorize', 'random']),
        factor: num('width.factor', factor),
        noise: num('width.noise', noise),
      };
      s.dims = { ...s.dims, width };
    },
  },
  {
    key: 'length',
    write: ({ dims: { length: l } }) => [l.on ? 'on' : 'off', l.mode, l.factor, l.reduce].join('_'),
    read: (t, s) => {
      const [on, mode, factor, reduce] = fields('length', t, 4, LENGTH_SHAPE);
      const length: Dims['length'] = {
        on: onOff('length', on),
        mode: oneOf('length.mode', mode, ['truncate', 'pool']),
        factor: num('length.factor', factor),
        reduce: oneOf('length.reduce', reduce, POOL_REDUCES),
      };
      s.dims = { ...s.dims, length };
    },
  },
  {
    key: 'hidden',
    write: ({ dims: { hidden: h } }) => [h.on ? 'on' : 'off', h.op, h.factor, h.heads].join('_'),
    read: (t, s) => {
      const [on, op, factor, heads] = fields('hidden', t, 4, HIDDEN_SHAPE);
      const hidden: Dims['hidden'] = {
        on: onOff('hidden', on),
        op: oneOf('hidden.op', op, HIDDEN_OP_NAMES),
        factor: num('hidden.factor', factor),
        heads: num('hidden.heads', heads),
      };
      s.dims = { ...s.dims, hidden };
    },
  },
  {
    key: 'msg',
    write: ({ dims: { msg: m } }) => [m.on ? 'on' : 'off', m.ramp].join('_'),
    read: (t, s) => {
      const [on, ramp] = fields('msg', t, 2, MSG_SHAPE);
      s.dims = { ...s.dims, msg: { on: onOff('msg', on), ramp: num('msg.ramp', ramp) } };
    },
  },
  {
    key: 'ligo',
    write: ({ dims: { ligo: l } }) => [l.on ? 'on' : 'off', l.steps].join('_'),
    read: (t, s) => {
      const [on, steps] = fields('ligo', t, 2, LIGO_SHAPE);
      s.dims = { ...s.dims, ligo: { on: onOff('ligo', on), steps: num('ligo.steps', steps) } };
    },
  },
  {
    key: 'stages',
    write: (s) => (s.handStages.length === 0 ? 'none' : s.handStages.map(encodeStage).join('~')),
    read: (t, s) => void (s.handStages = t === 'none' ? [] : t.split('~').map((st, i) => decodeStage(`stages[${i}]`, st))),
  },
  {
    key: 'ops',
    write: ({ handOps }) => encodeOps(handOps),
    read: (t, s) => void (s.handOps = decodeOps(t)),
  },
];

/** The fragment (with its `#`) holding the format version and every builder value that differs from the default. */
export function encodeShareLink(s: BuilderState): string {
  const defaults = initialBuilder();
  const parts = [`v=${SHARE_LINK_VERSION}`];
  for (const c of CODECS) {
    const value = c.write(s);
    if (value !== c.write(defaults)) parts.push(`${c.key}=${encodeURIComponent(value)}`);
  }
  return `#${parts.join('&')}`;
}

export interface DecodedShareLink {
  state: BuilderState;
  /** Things the user should know that did not stop the link from loading (unknown keys, an issue of the config). */
  warnings: string[];
}

function decodePart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError('link', `"${text}" is not valid URL encoding; the link may be cut short or mangled, so copy it again from its source`);
  }
}

/** Reads the format version; a link without one predates versioning, and v1 was the first format, so it reads as v1. */
function checkVersion(value: string | undefined, warnings: string[]): number {
  if (value === undefined) {
    warnings.push('The link has no format version (v=); it was read as version 1.');
    return 1;
  }
  if (!/^\d+$/.test(value)) throw new ConfigError('v', `the format version must be a whole number, got "${value}"`);
  const v = Number(value);
  if (v > SHARE_LINK_VERSION) {
    throw new ConfigError('v', `this link was made by a newer GrowLab (link format ${v}); this one reads format ${SHARE_LINK_VERSION} and older: open it with the newer GrowLab, or update this one`);
  }
  if (v < 1) throw new ConfigError('v', `link format ${v} does not exist; formats start at 1`);
  return v;
}

/** The builder a link of this format leaves unchanged: the defaults it was written against. */
function defaultsOf(version: number): BuilderState {
  const s = initialBuilder();
  if (version >= 3) return s;
  const v2 = { ...s, ...V2_DEFAULTS };
  if (version >= 2) return v2;
  return {
    ...v2,
    policies: { ...s.policies, lrPolicy: 'reset' },
    dims: { ...s.dims, width: { ...s.dims.width, noise: 0 } },
    handOps: { ...s.handOps, widthNoise: 0 },
  };
}

/**
 * The builder state a share link stands for. Syntax errors and values out of range throw
 * ConfigError naming the key; unknown keys are skipped with a warning, so links from a GrowLab
 * that added a key still load what this one understands.
 */
export function decodeShareLink(hash: string): DecodedShareLink {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodePart(eq < 0 ? part : part.slice(0, eq));
    if (eq < 0) throw new ConfigError(key, `"${key}" has no value (expected ${key}=…); the link may be cut short`);
    if (seen.has(key)) throw new ConfigError(key, `"${key}" appears twice in the link; keep one`);
    seen.set(key, decodePart(part.slice(eq + 1)));
  }
  const version = checkVersion(seen.get('v'), warnings);
  seen.delete('v');

  const state = defaultsOf(version);
  for (const c of CODECS) {
    const value = seen.get(c.key);
    if (value === undefined) continue;
    if (value === '') throw new ConfigError(c.key, `"${c.key}" is empty; the link may be cut short`);
    c.read(value, state);
    seen.delete(c.key);
  }
  // Before v3 the validation set's size came with the model size, not from the link.
  if (version < 3) state.evalBatches = V2_EVAL_BATCHES[state.size] ?? state.evalBatches;
  if (seen.size > 0) {
    const names = [...seen.keys()].map((k) => `"${k}"`).join(', ');
    warnings.push(`The link has ${seen.size === 1 ? 'a key' : 'keys'} this GrowLab does not know, ignored: ${names}.`);
  }

  // The builder shows a config's issues beside its fields, so an invalid experiment still loads;
  // anything else thrown here would be a value the codec let through that the builder cannot show.
  let built: ReturnType<typeof buildExperiment>;
  try {
    built = buildExperiment(state);
  } catch (e) {
    throw new ConfigError('link', `the linked experiment cannot be shown: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (built.issues.length) warnings.push(`The linked experiment cannot start yet: ${built.issues.map(describeIssue).join('; ')}`);
  return { state, warnings };
}
