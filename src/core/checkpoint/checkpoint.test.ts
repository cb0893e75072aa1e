import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { ConfigError } from '../errors.ts';
import { disposeParams } from '../model/params.ts';
import { paramShapes } from '../model/shapes.ts';
import { checkpointParams } from './checkpoint.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './format.ts';
import { encodeSafetensors } from './safetensors.ts';
import { sampleCheckpoint, sampleModel } from './sample.test-helper.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const model = sampleModel;

async function sample(): Promise<Checkpoint> {
  return sampleCheckpoint();
}

/** Reads the container with the spec's rules directly (no code shared with the decoder). */
function parseByHand(bytes: Uint8Array): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> }; data: DataView } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  return { header, data: new DataView(bytes.buffer, bytes.byteOffset + 8 + n) };
}

function expectConfigError(f: () => unknown, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a ConfigError');
}

describe('checkpoint file', () => {
  it('is a safetensors file any reader can open: F32 tensors at their offsets, metadata strings', async () => {
    const c = await sample();
    const bytes = encodeCheckpoint(c);
    const { header, data } = parseByHand(bytes);
    expect(header.__metadata__!.format).toBe('growlab-checkpoint');
    expect(JSON.parse(header.__metadata__!.config)).toEqual(c.config);
    const tok = header['param/emb.tok'];
    expect(tok.dtype).toBe('F32');
    expect(tok.shape).toEqual([50, 8]);
    const want = c.params.get('emb.tok')!.data;
    for (const i of [0, 17, want.length - 1]) expect(data.getFloat32(tok.data_offsets[0] + 4 * i, true)).toBe(want[i]);
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toHaveLength(3 * paramShapes(model).size);
  });

  it('round-trips exactly, and its weights load as variables', async () => {
    const c = await sample();
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(back.step).toBe(2);
    expect(back.adam.step).toBe(2);
    expect(back.state).toEqual(c.state);
    expect(back.record).toEqual(c.record);
    for (const [name, t] of c.params) expect(Array.from(back.params.get(name)!.data)).toEqual(Array.from(t.data));
    const vars = checkpointParams(back);
    expect(Array.from(await vars.get('emb.pos')!.data())).toEqual(Array.from(c.params.get('emb.pos')!.data));
    disposeParams(vars);
  });

  it('rejects truncated files at any length with a message, never another error', async () => {
    const bytes = encodeCheckpoint(await sample());
    for (const len of [0, 7, 8, 100, 1000, bytes.length - 4, bytes.length - 1]) {
      expectConfigError(() => decodeCheckpoint(bytes.subarray(0, len)), /checkpoint: /);
    }
  });

  it('rejects random bytes, foreign safetensors, newer versions and wrong shapes, saying what is expected', async () => {
    const c = await sample();
    const noise = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
    expectConfigError(() => decodeCheckpoint(noise), /not a safetensors file|truncated/);
    const foreign = encodeSafetensors({ tensors: new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]), metadata: { format: 'pt' } });
    expectConfigError(() => decodeCheckpoint(foreign), /not a GrowLab checkpoint/);
    const good = encodeCheckpoint(c);
    const { header } = parseByHand(good);
    const newer = encodeSafetensors({ tensors: new Map(), metadata: { ...header.__metadata__!, version: '9' } });
    expectConfigError(() => decodeCheckpoint(newer), /newer GrowLab/);
    const older = encodeSafetensors({ tensors: new Map(), metadata: { ...header.__metadata__!, version: '1' } });
    expectConfigError(() => decodeCheckpoint(older), /format 1\) was trained before GrowLab tokenized the corpus at the model's vocabulary size/);
    const bigger = { ...c, params: new Map(c.params) };
    bigger.params.set('emb.pos', { shape: [9, 8], data: new Float32Array(72) });
    expectConfigError(() => decodeCheckpoint(encodeCheckpoint(bigger)), /emb\.pos" has shape \[9,8\], the model needs \[8,8\]/);
    const missing = { ...c, adam: { ...c.adam, v: new Map([...c.adam.v].slice(1)) } };
    expectConfigError(() => decodeCheckpoint(encodeCheckpoint(missing)), /adam\.v\/emb\.tok" is missing/);
  });

  it('refuses weights or moments that are not finite, counting them', async () => {
    const c = await sample();
    for (const [prefix, bad] of [['param', [Number.NaN]], ['adam.m', [Number.POSITIVE_INFINITY, Number.NaN]], ['adam.v', [Number.NEGATIVE_INFINITY]]] as const) {
      const broken: Checkpoint = { ...c, params: new Map(c.params), adam: { ...c.adam, m: new Map(c.adam.m), v: new Map(c.adam.v) } };
      const into = prefix === 'param' ? broken.params : prefix === 'adam.m' ? broken.adam.m : broken.adam.v;
      const t = into.get('emb.pos')!;
      const data = Float32Array.from(t.data);
      bad.forEach((x, i) => (data[3 + i] = x));
      into.set('emb.pos', { shape: t.shape, data });
      const count = bad.length === 1 ? '1 value that is' : `${bad.length} values that are`;
      expectConfigError(() => decodeCheckpoint(encodeCheckpoint(broken)), new RegExp(`tensor "${prefix.replace('.', '\\.')}/emb\\.pos" holds ${count} not finite \\(NaN or ±Inf\\): the run had diverged`));
    }
    // The largest finite float32 is fine.
    const edge: Checkpoint = { ...c, params: new Map(c.params) };
    const t = edge.params.get('emb.pos')!;
    edge.params.set('emb.pos', { shape: t.shape, data: Float32Array.from(t.data, (x, i) => (i === 0 ? 3.4028234663852886e38 : x)) });
    expect(decodeCheckpoint(encodeCheckpoint(edge)).params.get('emb.pos')!.data[0]).toBe(3.4028234663852886e38);
  });
});
