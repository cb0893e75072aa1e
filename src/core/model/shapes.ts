import type { ModelConfig } from './config.ts';

/* Parameter names and shapes: pure, so the page can size checkpoints without loading tfjs. */

function addLn(s: Map<string, number[]>, prefix: string, d: number): void {
  s.set(`${prefix}.gamma`, [d]);
  s.set(`${prefix}.beta`, [d]);
}

function addKernel(s: Map<string, number[]>, prefix: string, rows: number, cols: number, rank: number): void {
  if (rank > 0) {
    s.set(`${prefix}.kernelA`, [rows, rank]);
    s.set(`${prefix}.kernelB`, [rank, cols]);
  } else {
    s.set(`${prefix}.kernel`, [rows, cols]);
  }
}

/** Every parameter of the config with its shape, in a fixed order. */
export function paramShapes(cfg: ModelConfig): Map<string, number[]> {
  const { vocabSize: V, hidden: d, ffn: F, ffnRank: h } = cfg;
  const s = new Map<string, number[]>();
  s.set('emb.tok', [V, d]);
  s.set('emb.pos', [cfg.maxLen, d]);
  addLn(s, 'emb.ln', d);
  for (let i = 0; i < cfg.layers; i++) {
    const l = `layers.${i}`;
    for (const m of ['q', 'k', 'v', 'o']) {
      s.set(`${l}.attn.${m}.kernel`, [d, d]);
      s.set(`${l}.attn.${m}.bias`, [d]);
    }
    addLn(s, `${l}.attn.ln`, d);
    addKernel(s, `${l}.ffn.w1`, d, F, h);
    s.set(`${l}.ffn.w1.bias`, [F]);
    addKernel(s, `${l}.ffn.w2`, F, d, h);
    s.set(`${l}.ffn.w2.bias`, [d]);
    addLn(s, `${l}.ffn.ln`, d);
  }
  if (cfg.norm === 'pre') addLn(s, 'final.ln', d);
  s.set('mlm.dense.kernel', [d, d]);
  s.set('mlm.dense.bias', [d]);
  addLn(s, 'mlm.ln', d);
  s.set('mlm.out.bias', [V]);
  return s;
}
