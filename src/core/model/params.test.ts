import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import type { ModelConfig } from './config.ts';
import { countParams, disposeParams, initParams } from './params.ts';
import { paramShapes } from './shapes.ts';

beforeAll(async () => {
  await useNodeBackend('cpu');
});

const cfg: ModelConfig = {
  vocabSize: 50, hidden: 8, layers: 2, heads: 2, ffn: 16, ffnRank: 0, maxLen: 10, norm: 'post', dropout: 0.1, lnEps: 1e-12,
};

/** The table of docs/architecture.md for one layer, written out. */
function layerTable(i: number, d: number, F: number, h: number): [string, number[]][] {
  const l = `layers.${i}`;
  const ffn: [string, number[]][] = h > 0
    ? [[`${l}.ffn.w1.kernelA`, [d, h]], [`${l}.ffn.w1.kernelB`, [h, F]], [`${l}.ffn.w2.kernelA`, [F, h]], [`${l}.ffn.w2.kernelB`, [h, d]]]
    : [[`${l}.ffn.w1.kernel`, [d, F]], [`${l}.ffn.w2.kernel`, [F, d]]];
  return [
    ...['q', 'k', 'v', 'o'].flatMap((m): [string, number[]][] => [[`${l}.attn.${m}.kernel`, [d, d]], [`${l}.attn.${m}.bias`, [d]]]),
    [`${l}.attn.ln.gamma`, [d]], [`${l}.attn.ln.beta`, [d]],
    ...ffn,
    [`${l}.ffn.w1.bias`, [F]], [`${l}.ffn.w2.bias`, [d]],
    [`${l}.ffn.ln.gamma`, [d]], [`${l}.ffn.ln.beta`, [d]],
  ];
}

function table(c: ModelConfig): Record<string, number[]> {
  const { vocabSize: V, hidden: d, ffn: F, ffnRank: h } = c;
  return Object.fromEntries([
    ['emb.tok', [V, d]], ['emb.pos', [c.maxLen, d]], ['emb.ln.gamma', [d]], ['emb.ln.beta', [d]],
    ...Array.from({ length: c.layers }, (_, i) => layerTable(i, d, F, h)).flat(),
    ...(c.norm === 'pre' ? [['final.ln.gamma', [d]], ['final.ln.beta', [d]]] : []),
    ['mlm.dense.kernel', [d, d]], ['mlm.dense.bias', [d]], ['mlm.ln.gamma', [d]], ['mlm.ln.beta', [d]], ['mlm.out.bias', [V]],
  ]) as Record<string, number[]>;
}

const std = (v: Float32Array) => {
  const mu = v.reduce((a, x) => a + x, 0) / v.length;
  return Math.sqrt(v.reduce((a, x) => a + (x - mu) ** 2, 0) / v.length);
};

describe('paramShapes', () => {
  it('matches the names/shapes table of docs/architecture.md', () => {
    expect(Object.fromEntries(paramShapes(cfg))).toEqual(table(cfg));
    const other = { ...cfg, layers: 3, norm: 'pre' as const, ffnRank: 4 };
    expect(Object.fromEntries(paramShapes(other))).toEqual(table(other));
  });
});

describe('initParams', () => {
  it('creates every parameter of paramShapes with its shape, trainable', () => {
    const p = initParams(cfg, 1);
    const shapes = paramShapes(cfg);
    expect([...p.keys()]).toEqual([...shapes.keys()]);
    for (const [name, v] of p) {
      expect(v.shape).toEqual(shapes.get(name));
      expect(v.trainable).toBe(true);
    }
    disposeParams(p);
  });

  it('is deterministic per seed', () => {
    const a = initParams(cfg, 7), b = initParams(cfg, 7), c = initParams(cfg, 8);
    for (const [name, v] of a) expect(b.get(name)!.dataSync()).toEqual(v.dataSync());
    expect(c.get('emb.tok')!.dataSync()).not.toEqual(a.get('emb.tok')!.dataSync());
    [a, b, c].forEach(disposeParams);
  });

  it('gives a parameter the same initial value whatever else the config holds', () => {
    const a = initParams(cfg, 3);
    const b = initParams({ ...cfg, layers: 1, norm: 'pre' }, 3);
    for (const [name, v] of b) if (a.has(name)) expect(v.dataSync()).toEqual(a.get(name)!.dataSync());
    disposeParams(a);
    disposeParams(b);
  });

  it('uses BERT init: truncated N(0, 0.02) kernels and embeddings, zero biases, unit gammas', () => {
    const big = { ...cfg, vocabSize: 400, hidden: 32, ffn: 64 };
    const p = initParams(big, 2);
    for (const name of ['emb.tok', 'layers.0.ffn.w1.kernel', 'layers.1.attn.q.kernel']) {
      const v = p.get(name)!.dataSync() as Float32Array;
      // A normal truncated at ±2σ has std 0.880σ.
      expect(std(v)).toBeGreaterThan(0.0176 * 0.95);
      expect(std(v)).toBeLessThan(0.0176 * 1.05);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    }
    for (const [name, v] of p) {
      if (name.endsWith('.bias') || name.endsWith('.beta')) expect(v.dataSync().every((x) => x === 0)).toBe(true);
      if (name.endsWith('.gamma')) expect(v.dataSync().every((x) => x === 1)).toBe(true);
    }
    disposeParams(p);
  });

  it('scales factorized FFN factors so A·B has the std of a dense kernel', () => {
    const h = 8;
    const p = initParams({ ...cfg, hidden: 64, ffn: 128, ffnRank: h }, 2);
    const a = p.get('layers.0.ffn.w1.kernelA')!.dataSync() as Float32Array;
    expect(std(a) / 0.88 / Math.sqrt(0.02 / Math.sqrt(h))).toBeGreaterThan(0.93);
    expect(std(a) / 0.88 / Math.sqrt(0.02 / Math.sqrt(h))).toBeLessThan(1.07);
    const w = tf.tidy(() => tf.matMul(p.get('layers.0.ffn.w1.kernelA')!, p.get('layers.0.ffn.w1.kernelB')!).dataSync() as Float32Array);
    // Each factor's truncation shrinks the std by 0.88.
    expect(std(w) / (0.02 * 0.88 * 0.88)).toBeGreaterThan(0.85);
    expect(std(w) / (0.02 * 0.88 * 0.88)).toBeLessThan(1.15);
    disposeParams(p);
  });
});

describe('countParams and disposeParams', () => {
  it('counts V·d + maxLen·d + 2d + L·(4d² + 4d + 2d + 2dF + F + d + 2d) + d² + 3d + V', () => {
    const p = initParams(cfg, 1);
    const { vocabSize: V, hidden: d, ffn: F, maxLen, layers: L } = cfg;
    expect(countParams(p)).toBe(V * d + maxLen * d + 2 * d + L * (4 * d * d + 4 * d + 2 * d + 2 * d * F + F + d + 2 * d) + d * d + 3 * d + V);
    disposeParams(p);
  });

  it('frees every tensor', () => {
    const before = tf.memory().numTensors;
    const p = initParams({ ...cfg, norm: 'pre', ffnRank: 2 }, 1);
    expect(tf.memory().numTensors).toBe(before + p.size);
    disposeParams(p);
    expect(tf.memory().numTensors).toBe(before);
  });
});
