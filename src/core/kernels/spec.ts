/*
 * The fused kernels' contract: names, attributes and the math, in plain TypeScript over typed
 * arrays. The cpu and wasm backends run these functions as they are (kernels-js.ts); the WebGPU
 * programs (kernels-webgpu.ts) compute the same values in WGSL. No tfjs import: this file is the
 * specification both sides are tested against.
 *
 * Arithmetic is in float64 and rounded once, where a value is stored; exp is expJs (below), as fast
 * as V8's Math.exp is slow. The unfused path rounds after every op, so the two agree to a few
 * float32 ulps, not bit for bit.
 */

export const K = {
  layerNorm: 'GrowlabLayerNorm',
  layerNormGrad: 'GrowlabLayerNormGrad',
  biasGelu: 'GrowlabBiasGelu',
  biasGeluGrad: 'GrowlabBiasGeluGrad',
  attnSoftmax: 'GrowlabAttnSoftmax',
  attnSoftmaxGrad: 'GrowlabAttnSoftmaxGrad',
  dropout: 'GrowlabDropout',
  dropoutAdd: 'GrowlabDropoutAdd',
  mlmLoss: 'GrowlabMlmLoss',
  mlmLossGrad: 'GrowlabMlmLossGrad',
  adamw: 'GrowlabAdamW',
  // Composites of the backend's own matmul/transpose kernels (composite.ts): no JS math of their own.
  linear: 'GrowlabLinear',
  linearGrad: 'GrowlabLinearGrad',
  qkv: 'GrowlabQkv',
  qkvCross: 'GrowlabQkvCross',
  qkvGrad: 'GrowlabQkvGrad',
  attnOut: 'GrowlabAttnOut',
  attnOutGrad: 'GrowlabAttnOutGrad',
} as const;
export type FusedKernelName = (typeof K)[keyof typeof K];
export const FUSED_KERNELS: readonly FusedKernelName[] = Object.values(K);

export interface LayerNormAttrs { eps: number }
export interface DropoutAttrs { rate: number; seed: number }
export interface AttnSoftmaxAttrs extends DropoutAttrs { scale: number }
export interface LinearAttrs { transposeW: boolean; hasBias: boolean }
export interface AttnShapeAttrs { batch: number; heads: number; qLen: number; kLen: number }
export interface AdamWAttrs {
  /** Per tensor: the learning rate (groups may differ, as in fine-tuning). */
  lr: number[];
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The update's 1-based index t: bias corrections are 1 − β^t. */
  step: number;
  /** Global-norm clipping threshold; 0 leaves gradients unscaled. */
  clipNorm: number;
  /** Per tensor: the decoupled weight decay (0 where decaysWeight is false). */
  decay: number[];
}

const f = Math.fround;

/* ---------- exp: 2^(k/64)·e^r with |r| ≤ ln2/128, a table and a degree-5 polynomial (relative error < 1e-14) ---------- */
// Why not Math.exp: in V8 it costs about 3× this in the kernels' loops (measured 9.3 vs 3.4 ns per call,
// Node 20); exp is most of the softmax, cross-entropy and GELU work on cpu and wasm.

const EXP_TABLE = new Float64Array(64);
for (let j = 0; j < 64; j++) EXP_TABLE[j] = 2 ** (j / 64);
const POW2_BIAS = 1100;
const POW2 = new Float64Array(2 * POW2_BIAS);
for (let k = -POW2_BIAS; k < POW2_BIAS; k++) POW2[k + POW2_BIAS] = 2 ** k;
/** Adding and subtracting 1.5·2^52 rounds a double to an integer without a call. */
const ROUND_SHIFT = 6755399441055744;
const SIXTY_FOUR_OVER_LN2 = 64 / Math.LN2;
const LN2_OVER_SIXTY_FOUR = Math.LN2 / 64;

/**
 * exp(x) for the kernels' arguments, which are never positive (x − max, −u²). Clamped rather than
 * branched: min and max compile to single instructions, and without branches V8 inlines this into
 * the loops (GELU 15 → 7 ns an element, Node 20). Below −745 the result is 0; NaN stays NaN.
 */
export function expJs(x: number): number {
  const c = Math.min(Math.max(x, -745), 709);
  const kf = c * SIXTY_FOUR_OVER_LN2 + ROUND_SHIFT - ROUND_SHIFT;
  const r = c - kf * LN2_OVER_SIXTY_FOUR;
  const k = kf | 0;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return p * EXP_TABLE[k & 63] * POW2[(k >> 6) + POW2_BIAS];
}

/* ---------- Dropout masks: a counter-based hash, identical in JS and WGSL (u32 arithmetic) ---------- */

/** A 32-bit integer mixer (lowbias32); a bijection on u32. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Elements whose 24-bit draw is below this are dropped: exact in integers on every backend. */
export function dropThreshold(rate: number): number {
  return Math.round(rate * 16777216);
}

/** Whether element i (flat index) of a dropout site with this seed is kept. */
export function keeps(seed: number, threshold: number, i: number): boolean {
  return mix32((i + mix32(seed >>> 0)) >>> 0) >>> 8 >= threshold;
}

/** 1 or 0 per element: the mask the unfused reference path multiplies by. */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  const t = dropThreshold(rate);
  const s = mix32(seed >>> 0);
  for (let i = 0; i < size; i++) out[i] = mix32((i + s) >>> 0) >>> 8 >= t ? 1 : 0;
  return out;
}

export function dropoutJs(x: Float32Array, rate: number, seed: number, out: Float32Array, add?: Float32Array): void {
  const t = dropThreshold(rate);
  const s = mix32(seed >>> 0);
  const scale = f(1 / (1 - rate));
  if (add) for (let i = 0; i < x.length; i++) out[i] = mix32((i + s) >>> 0) >>> 8 >= t ? add[i] + f(x[i] * scale) : add[i];
  else for (let i = 0; i < x.length; i++) out[i] = mix32((i + s) >>> 0) >>> 8 >= t ? x[i] * scale : 0;
}

/* ---------- LayerNorm over the last axis ---------- */

export function layerNormJs(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array): void {
  const d = gamma.length;
  const rows = x.length / d;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[o + j];
    const mean = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const c = x[o + j] - mean;
      sq += c * c;
    }
    const rstd = 1 / Math.sqrt(sq / d + eps);
    for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - mean) * rstd * gamma[j] + beta[j];
  }
}

/**
 * dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ; dγ = Σ_rows dy·x̂; dβ = Σ_rows dy.
 */
export function layerNormGradJs(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, eps: number,
  dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const d = gamma.length;
  const rows = x.length / d;
  const dg = new Float64Array(d);
  const db = new Float64Array(d);
  const xhat = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[o + j];
    const mean = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) sq += (x[o + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / d + eps);
    let gSum = 0;
    let gxSum = 0;
    for (let j = 0; j < d; j++) {
      xhat[j] = (x[o + j] - mean) * rstd;
      const g = dy[o + j] * gamma[j];
      gSum += g;
      gxSum += g * xhat[j];
      dg[j] += dy[o + j] * xhat[j];
      db[j] += dy[o + j];
    }
    const gMean = gSum / d;
    const gxMean = gxSum / d;
    for (let j = 0; j < d; j++) dx[o + j] = rstd * (dy[o + j] * gamma[j] - gMean - xhat[j] * gxMean);
  }
  dgamma.set(dg);
  dbeta.set(db);
}

/* ---------- bias + exact GELU ---------- */

// The Abramowitz–Stegun 7.1.26 erf that tfjs's Erf kernels use on every backend (|error| < 1.5e-7).
const ERF_P = 0.3275911;
const ERF_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429] as const;

/** erf(a) for a ≥ 0, given e = exp(−a²) (the GELU derivative needs e too). */
function erfOfAbs(a: number, e: number): number {
  const t = 1 / (1 + ERF_P * a);
  const poly = ((((ERF_A[4] * t + ERF_A[3]) * t + ERF_A[2]) * t + ERF_A[1]) * t + ERF_A[0]) * t;
  return 1 - poly * e;
}

export function erfJs(x: number): number {
  const a = Math.abs(x);
  return Math.sign(x) * erfOfAbs(a, expJs(-a * a));
}

/*
 * GELU through |z|, without a branch on the sign: z·Φ(z) = (z + |z|·erf(|z|/√2))/2, and
 * Φ(z) = (1 + sign(z)·erf(|z|/√2))/2. Activations' signs are close to random, so a branch on them
 * is mispredicted about half the time.
 */

/** y = z·Φ(z) = 0.5·z·(1 + erf(z/√2)) with z = x + bias (bias broadcast over rows). */
export function biasGeluJs(x: Float32Array, bias: Float32Array, y: Float32Array): void {
  const n = bias.length;
  for (let o = 0; o < x.length; o += n) {
    for (let j = 0; j < n; j++) {
      const z = x[o + j] + bias[j];
      const az = Math.abs(z);
      const a = az * Math.SQRT1_2;
      y[o + j] = 0.5 * (z + az * erfOfAbs(a, expJs(-a * a)));
    }
  }
}

/** dz = dy·(Φ(z) + z·φ(z)), φ(z) = exp(−z²/2)/√(2π); dbias = Σ_rows dz. */
export function biasGeluGradJs(dy: Float32Array, x: Float32Array, bias: Float32Array, dx: Float32Array, dbias: Float32Array): void {
  const n = bias.length;
  const db = new Float64Array(n);
  const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);
  for (let o = 0; o < x.length; o += n) {
    for (let j = 0; j < n; j++) {
      const z = x[o + j] + bias[j];
      const a = Math.abs(z) * Math.SQRT1_2;
      const e = expJs(-a * a);
      const phi = 0.5 + 0.5 * Math.sign(z) * erfOfAbs(a, e);
      const v = dy[o + j] * (phi + z * invSqrt2Pi * e);
      dx[o + j] = v;
      db[j] += v;
    }
  }
  dbias.set(db);
}

/* ---------- attention: softmax(scale·s + bias) then dropout ---------- */

/** row ← softmax(scale·scores[o..o+k) + bias[bo..bo+k)), in float64. */
function softmaxRow(scores: Float32Array, bias: Float32Array, o: number, bo: number, k: number, scale: number, row: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) {
    row[j] = f(scores[o + j] * scale) + bias[bo + j];
    if (row[j] > max) max = row[j];
  }
  let sum = 0;
  for (let j = 0; j < k; j++) {
    row[j] = expJs(row[j] - max);
    sum += row[j];
  }
  const inv = 1 / sum;
  for (let j = 0; j < k; j++) row[j] *= inv;
}

type AttnDims = { batch: number; heads: number; q: number; k: number };

/** scores [B,H,q,k], bias [B,1,1,k]; rows of length k. */
export function attnSoftmaxJs(scores: Float32Array, bias: Float32Array, dims: AttnDims, a: AttnSoftmaxAttrs, out: Float32Array): void {
  const { batch, heads, q, k } = dims;
  const t = dropThreshold(a.rate);
  const s = mix32(a.seed >>> 0);
  const keepScale = f(1 / (1 - a.rate));
  const p = new Float64Array(k);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < heads * q; r++) {
      const o = (b * heads * q + r) * k;
      softmaxRow(scores, bias, o, b * k, k, a.scale, p);
      if (a.rate === 0) for (let j = 0; j < k; j++) out[o + j] = p[j];
      else for (let j = 0; j < k; j++) out[o + j] = mix32((o + j + s) >>> 0) >>> 8 >= t ? f(p[j]) * keepScale : 0;
    }
  }
}

/** ds = scale·p·(dp − Σ dp·p) with dp = dy·mask/(1−rate), p recomputed from the scores. */
export function attnSoftmaxGradJs(
  dy: Float32Array, scores: Float32Array, bias: Float32Array, dims: AttnDims, a: AttnSoftmaxAttrs, ds: Float32Array,
): void {
  const { batch, heads, q, k } = dims;
  const t = dropThreshold(a.rate);
  const s = mix32(a.seed >>> 0);
  const keepScale = 1 / (1 - a.rate);
  const p = new Float64Array(k);
  const dp = new Float64Array(k);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < heads * q; r++) {
      const o = (b * heads * q + r) * k;
      softmaxRow(scores, bias, o, b * k, k, a.scale, p);
      let dot = 0;
      for (let j = 0; j < k; j++) {
        dp[j] = a.rate === 0 ? dy[o + j] : mix32((o + j + s) >>> 0) >>> 8 >= t ? dy[o + j] * keepScale : 0;
        dot += dp[j] * p[j];
      }
      for (let j = 0; j < k; j++) ds[o + j] = a.scale * p[j] * (dp[j] - dot);
    }
  }
}

/* ---------- MLM cross-entropy from logits and integer labels ---------- */

/** Σ_i w_i·(logsumexp(row_i) − row_i[label_i]) / Σ_i w_i (1 when the weights sum to 0). */
export function mlmLossJs(logits: Float32Array, labels: Int32Array, weights: Float32Array): number {
  const rows = labels.length;
  const V = logits.length / rows;
  let total = 0;
  let wsum = 0;
  for (let r = 0; r < rows; r++) {
    wsum += weights[r];
    if (weights[r] === 0) continue;
    const o = r * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < V; j++) sum += expJs(logits[o + j] - max);
    total += weights[r] * (Math.log(sum) + max - logits[o + labels[r]]);
  }
  return total / (wsum > 0 ? wsum : 1);
}

/** dlogits = dy·w_i/Σw·(softmax(row_i) − onehot(label_i)). */
export function mlmLossGradJs(dy: number, logits: Float32Array, labels: Int32Array, weights: Float32Array, dlogits: Float32Array): void {
  const rows = labels.length;
  const V = logits.length / rows;
  let wsum = 0;
  for (let r = 0; r < rows; r++) wsum += weights[r];
  const denom = wsum > 0 ? wsum : 1;
  for (let r = 0; r < rows; r++) {
    const o = r * V;
    const c = (dy * weights[r]) / denom;
    if (c === 0) {
      dlogits.fill(0, o, o + V);
      continue;
    }
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < V; j++) {
      const e = expJs(logits[o + j] - max);
      dlogits[o + j] = e;
      sum += e;
    }
    const scale = c / sum;
    for (let j = 0; j < V; j++) dlogits[o + j] *= scale;
    dlogits[o + labels[r]] -= c;
  }
}

/* ---------- AdamW with global-norm clipping over every tensor at once ---------- */

/** Σ g² over every tensor, in float64. */
export function sumSquaresJs(grads: readonly Float32Array[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

/**
 * The clip scale min(1, clipNorm/‖g‖) applied to every gradient, then per element
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr·((m/c1)/(√(v/c2) + ε) + wd·p),
 * c = 1 − β^t: the same operation order as the unfused optimizer (optimizer.ts), rounded per op.
 */
export function adamwTensorJs(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, clipScale: number, lrI: number, decay: number,
  a: Omit<AdamWAttrs, 'lr' | 'decay'>,
  pOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
): void {
  const { gs, c1, c2, ob1, ob2 } = adamwScalars(a, clipScale);
  const { beta1: b1, beta2: b2, epsilon: eps } = a;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * gs;
    const m1 = Math.fround(m[i] * b1 + gi * ob1);
    const v1 = Math.fround(v[i] * b2 + gi * gi * ob2);
    const delta = m1 / c1 / (Math.sqrt(v1 / c2) + eps) + p[i] * decay;
    mOut[i] = m1;
    vOut[i] = v1;
    pOut[i] = p[i] - delta * lrI;
  }
}

/** The per-step constants of the update: gradient scale, bias corrections c = 1 − β^t, and 1 − β. */
export function adamwScalars(a: Omit<AdamWAttrs, 'lr' | 'decay'>, clipScale: number) {
  return {
    gs: a.clipNorm > 0 ? clipScale : 1,
    c1: 1 - a.beta1 ** a.step,
    c2: 1 - a.beta2 ** a.step,
    ob1: 1 - a.beta1,
    ob2: 1 - a.beta2,
  };
}

/** min(1, clipNorm / max(norm, clipNorm)) as the unfused clipByGlobalNorm computes it. */
export function clipScaleOf(norm: number, clipNorm: number): number {
  return clipNorm > 0 ? f(clipNorm / Math.max(f(norm), clipNorm)) : 1;
}
