import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../node/backends.ts';
import { setSoftwareKernels } from './kernels-software.ts';
import { countWebGpuDispatches } from './kernels-webgpu.ts';
import { fusedLayerNorm } from './ops.ts';
import {
  K, adamwTensorJs, attnSoftmaxGradJs, attnSoftmaxJs, biasGeluGradJs, biasGeluJs, clipScaleOf, dropoutJs, layerNormGradJs,
  layerNormJs, mlmLossGradJs, mlmLossJs, sumSquaresJs, type AdamWAttrs,
} from './spec.ts';
import { setAdamWGroupCapForTests } from './webgpu/adamw.ts';
import { setRawGridLimitForTests } from './webgpu/raw.ts';

/*
 * Every fused WebGPU kernel against spec.ts on random inputs of small odd shapes, on Dawn's
 * SwiftShader adapter (the npm `webgpu` package). Without a WebGPU adapter the suite fails in
 * beforeAll: useNodeBackend throws rather than falling back.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** |got − want| ≤ atol·max|want| + rtol·|want| everywhere; the message names the worst element. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol = rtol, what = ''): void {
  expect(got.length, `${what} length`).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (atol * scale + rtol * Math.abs(want[i]));
    if (!(excess <= worstExcess) || Number.isNaN(got[i])) {
      worst = i;
      worstExcess = Number.isNaN(got[i]) ? Infinity : excess;
    }
  }
  expect(worst, `${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (scale ${scale})`).toBe(-1);
}

/** The dropout masks agree exactly: zero where the reference is zero, and nowhere else. */
function expectSameZeros(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if ((got[i] === 0) !== (want[i] === 0)) expect.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

const countZeros = (a: ArrayLike<number>) => Array.prototype.filter.call(a, (v: number) => v === 0).length;

async function run(name: string, inputs: tf.NamedTensorMap, attrs: object = {}): Promise<{ outs: Float32Array[]; dispatches: number }> {
  const { result, dispatches } = await countWebGpuDispatches(async () => {
    const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(list);
    return data;
  });
  return { outs: result, dispatches };
}

let tensorsBefore = 0;
let dataIdsBefore = 0;
const numDataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

beforeAll(async () => {
  const choice = await useNodeBackend('webgpu');
  expect(choice.name, `WebGPU is required for this suite: ${choice.fallbackReason}`).toBe('webgpu');
  expect(tf.getBackend()).toBe('webgpu');
});

afterAll(async () => {
  await useNodeBackend('cpu');
});

beforeEach(() => {
  tensorsBefore = tf.memory().numTensors;
  dataIdsBefore = numDataIds();
});

afterEach(async () => {
  setAdamWGroupCapForTests(null);
  setRawGridLimitForTests(null);
  // A read submits the queue, which releases scratch buffers whose disposal was deferred.
  const t = tf.scalar(0);
  await t.data();
  t.dispose();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(tensorsBefore);
  expect(numDataIds(), 'backend data leaked').toBe(dataIdsBefore);
});

// 'off': the workgroup-per-row programs real GPUs run; 'on': the one-invocation-per-row forms that
// software adapters (this suite's SwiftShader) get by default (kernels-software.ts).
describe.each(['off', 'on'] as const)('fused kernels on webgpu, barrier-free forms %s', (mode) => {
  beforeEach(() => setSoftwareKernels(mode));
  afterEach(() => setSoftwareKernels('auto'));

  it.each([[7, 24], [5, 300], [3, 1]])('LayerNorm and its gradient, [%i, %i]', async (n, d) => {
    const x = rand(n * d, 1, -2, 3);
    const gamma = rand(d, 2, 0.5, 1.5);
    const beta = rand(d, 3);
    const dy = rand(n * d, 4);
    const eps = 1e-5;
    const want = new Float32Array(n * d);
    layerNormJs(x, gamma, beta, eps, want);
    const [tx, tg, tb, tdy] = [tf.tensor2d(x, [n, d]), tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor2d(dy, [n, d])];
    const fwd = await run(K.layerNorm, { x: tx, gamma: tg, beta: tb }, { eps });
    expect(fwd.dispatches).toBe(1);
    expectClose(fwd.outs[0], want, 1e-5, 1e-5, 'y');

    const [dx, dg, db] = [new Float32Array(n * d), new Float32Array(d), new Float32Array(d)];
    layerNormGradJs(dy, x, gamma, eps, dx, dg, db);
    const bwd = await run(K.layerNormGrad, { dy: tdy, x: tx, gamma: tg }, { eps });
    expect(bwd.dispatches).toBe(2);
    // dx = rstd·(g − mean g − x̂·mean(g·x̂)) cancels: compare against the row scale of its terms.
    expectClose(bwd.outs[0], dx, 1e-4, 1e-5, 'dx');
    expectClose(bwd.outs[1], dg, 1e-5, 1e-5, 'dgamma');
    expectClose(bwd.outs[2], db, 1e-5, 1e-5, 'dbeta');
    tf.dispose([tx, tg, tb, tdy]);
  });

  it('more rows than one dispatch dimension holds (tfjs reshapes the dispatch; spare workgroups write nothing)', async () => {
    const [n, d] = [65_600, 3];
    // Well-spread rows: a nearly constant row would make x − mean ill-conditioned in float32.
    const x = rand(n * d, 8, 0, 0.5).map((v, i) => v + (i % d));
    const gamma = rand(d, 9, 0.5, 1.5);
    const beta = rand(d, 10);
    const y = new Float32Array(n * d);
    layerNormJs(x, gamma, beta, 1e-5, y);
    const [tx, tg, tb] = [tf.tensor2d(x, [n, d]), tf.tensor1d(gamma), tf.tensor1d(beta)];
    const fwd = await run(K.layerNorm, { x: tx, gamma: tg, beta: tb }, { eps: 1e-5 });
    expectClose(fwd.outs[0], y, 1e-5, 1e-5, 'y');
    tf.dispose([tx, tg, tb]);
  });

  it('raw kernels on 2-D workgroup grids, profiled by tf.time', async () => {
    setRawGridLimitForTests(2);
    const [n, d, f] = [7, 24, 70];
    const x = rand(n * d, 51, -2, 3);
    const gamma = rand(d, 52, 0.5, 1.5);
    const dy = rand(n * d, 53);
    const [dx, dg, db] = [new Float32Array(n * d), new Float32Array(d), new Float32Array(d)];
    layerNormGradJs(dy, x, gamma, 1e-5, dx, dg, db);
    const xf = rand(9 * f, 54, -4, 4);
    const bias = rand(f, 55);
    const dyf = rand(9 * f, 56);
    const [gdx, gdb] = [new Float32Array(9 * f), new Float32Array(f)];
    biasGeluGradJs(dyf, xf, bias, gdx, gdb);
    const ins = [tf.tensor2d(x, [n, d]), tf.tensor1d(gamma), tf.tensor2d(dy, [n, d]), tf.tensor2d(xf, [9, f]), tf.tensor1d(bias), tf.tensor2d(dyf, [9, f])];
    const [tx, tg, tdy, txf, tbias, tdyf] = ins;
    let outs: tf.Tensor[] = [];
    // tf.time times every program in a pass of its own with timestamp queries; raw dispatches too.
    const timing = await tf.time(() => {
      outs = [
        ...(tf.engine().runKernel(K.layerNormGrad, { dy: tdy, x: tx, gamma: tg }, { eps: 1e-5 }) as tf.Tensor[]),
        ...(tf.engine().runKernel(K.biasGeluGrad, { dy: tdyf, x: txf, bias: tbias }) as tf.Tensor[]),
      ];
    });
    expect(timing.kernelMs).toBeGreaterThanOrEqual(0);
    const got = await Promise.all(outs.map((t) => t.data()));
    expectClose(got[0], dx, 1e-4, 1e-5, 'dx');
    expectClose(got[1], dg, 1e-5, 1e-5, 'dgamma');
    expectClose(got[2], db, 1e-5, 1e-5, 'dbeta');
    expectClose(got[3], gdx, 1e-5, 1e-6, 'gelu dx');
    expectClose(got[4], gdb, 1e-5, 1e-5, 'dbias');
    tf.dispose([...ins, ...outs]);
    // AdamW: 64 norm workgroups and 3 update workgroups, each on a 2-D grid.
    await adamwCase([[40, 60], [7], [13, 11]], 0.5, null);
  });

  it('LayerNorm gradient through tf.grads (the registered gradient runs the fused kernel)', async () => {
    const x = tf.tensor2d(rand(5 * 24, 5), [5, 24]);
    const gamma = tf.tensor1d(rand(24, 6, 0.5, 1.5));
    const beta = tf.tensor1d(rand(24, 7));
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(fusedLayerNorm(a, g, b, 1e-5))));
    const [gx, gg, gb] = grads([x, gamma, beta]);
    for (const g of [gx, gg, gb]) expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, gamma, beta, gx, gg, gb]);
  });

  it.each([[7, 50], [9, 70]])('BiasGelu and its gradient, [%i, %i]', async (n, f) => {
    const x = rand(n * f, 11, -4, 4);
    const bias = rand(f, 12, -0.5, 0.5);
    const dy = rand(n * f, 13);
    const want = new Float32Array(n * f);
    biasGeluJs(x, bias, want);
    const [tx, tb, tdy] = [tf.tensor2d(x, [n, f]), tf.tensor1d(bias), tf.tensor2d(dy, [n, f])];
    const fwd = await run(K.biasGelu, { x: tx, bias: tb });
    expect(fwd.dispatches).toBe(1);
    expectClose(fwd.outs[0], want, 1e-5, 1e-6, 'y');

    const [dx, dbias] = [new Float32Array(n * f), new Float32Array(f)];
    biasGeluGradJs(dy, x, bias, dx, dbias);
    const bwd = await run(K.biasGeluGrad, { dy: tdy, x: tx, bias: tb });
    expect(bwd.dispatches).toBe(1);
    expectClose(bwd.outs[0], dx, 1e-5, 1e-6, 'dx');
    expectClose(bwd.outs[1], dbias, 1e-5, 1e-5, 'dbias');
    tf.dispose([tx, tb, tdy]);
  });

  it.each([
    [0, 5, 37],
    [0.1, 5, 37],
    [0.1, 2, 300],
    [0.25, 3, 7],
  ])('AttnSoftmax and its gradient, rate %f, q %i, k %i', async (rate, q, k) => {
    const dims = { batch: 2, heads: 3, q, k };
    const shape = [2, 3, q, k];
    const size = 2 * 3 * q * k;
    const scores = rand(size, 21, -3, 3);
    const bias = rand(2 * k, 22, -1, 1).map((v, i) => (i % 5 === 3 ? -1e4 : v));
    const dy = rand(size, 23);
    const a = { scale: 0.35, rate, seed: 987654321 };
    const want = new Float32Array(size);
    attnSoftmaxJs(scores, bias, dims, a, want);
    const [ts, tb, tdy] = [tf.tensor4d(scores, shape as [number, number, number, number]), tf.tensor4d(bias, [2, 1, 1, k]), tf.tensor(dy, shape)];
    const fwd = await run(K.attnSoftmax, { scores: ts, bias: tb }, a);
    expect(fwd.dispatches).toBe(1);
    expectSameZeros(fwd.outs[0], want, 'mask');
    if (rate > 0) expect(countZeros(want)).toBeGreaterThan(0);
    // Σexp in float32 against float64: a few ulps of p.
    expectClose(fwd.outs[0], want, 2e-5, 1e-6, 'p');

    const ds = new Float32Array(size);
    attnSoftmaxGradJs(dy, scores, bias, dims, a, ds);
    const bwd = await run(K.attnSoftmaxGrad, { dy: tdy, scores: ts, bias: tb }, a);
    expect(bwd.dispatches).toBe(1);
    expectClose(bwd.outs[0], ds, 1e-4, 1e-5, 'ds');
    tf.dispose([ts, tb, tdy]);
  });

  it.each([
    [0, 7],
    [0.1, 7],
    [0.1, 0xdeadbeef],
    [0.5, -3],
  ])('Dropout and DropoutAdd match the spec bit for bit, rate %f, seed %i', async (rate, seed) => {
    const n = 7 * 37;
    const x = rand(n, 31, 0.1, 2);
    const h = rand(n, 32, 0.1, 2);
    const want = new Float32Array(n);
    dropoutJs(x, rate, seed, want);
    const tx = tf.tensor2d(x, [7, 37]);
    const th = tf.tensor2d(h, [7, 37]);
    const d = await run(K.dropout, { x: tx }, { rate, seed });
    expect(d.dispatches).toBe(1);
    expect(Array.from(d.outs[0])).toEqual(Array.from(want));
    if (rate > 0) expect(countZeros(want)).toBeGreaterThan(0);

    const wantAdd = new Float32Array(n);
    dropoutJs(h, rate, seed, wantAdd, x);
    const da = await run(K.dropoutAdd, { x: tx, h: th }, { rate, seed });
    expect(da.dispatches).toBe(1);
    expect(Array.from(da.outs[0])).toEqual(Array.from(wantAdd));
    tf.dispose([tx, th]);
  });

  it.each([
    ['mixed weights', 11, 50, (i: number) => [1, 0, 0.5, 2][i % 4]],
    ['all weights zero', 5, 50, () => 0],
    ['a long row', 3, 1000, () => 1],
  ])('MlmLoss and its gradient, %s', async (_name, m, v, weight) => {
    const logits = rand(m * v, 41, -4, 4);
    const weights = Float32Array.from({ length: m }, (_, i) => weight(i));
    // Rows of weight 0 carry labels out of range, as ignored positions may.
    const labels = Int32Array.from({ length: m }, (_, i) => (weights[i] === 0 ? (i % 2 ? -1 : v + 5) : (i * 7 + 3) % v));
    const want = mlmLossJs(logits, labels, weights);
    const [tl, tlab, tw] = [tf.tensor2d(logits, [m, v]), tf.tensor1d(labels, 'int32'), tf.tensor1d(weights)];
    const fwd = await run(K.mlmLoss, { logits: tl, labels: tlab, weights: tw });
    expect(fwd.dispatches).toBe(2);
    expect(fwd.outs[0].length).toBe(1);
    expectClose(fwd.outs[0], [want], 1e-5, 1e-6, 'loss');

    const dy = 1.7;
    const dl = new Float32Array(m * v);
    mlmLossGradJs(dy, logits, labels, weights, dl);
    const tdy = tf.scalar(dy);
    const bwd = await run(K.mlmLossGrad, { dy: tdy, logits: tl, labels: tlab, weights: tw });
    expect(bwd.dispatches).toBe(1);
    expectClose(bwd.outs[0], dl, 1e-5, 1e-6, 'dlogits');
    tf.dispose([tl, tlab, tw, tdy]);
  });
});

function adamwReference(p: Float32Array[], g: Float32Array[], m: Float32Array[], v: Float32Array[], a: AdamWAttrs) {
  const norm = Math.sqrt(sumSquaresJs(g));
  const scale = clipScaleOf(norm, a.clipNorm);
  const out = p.map((pi, i) => {
    const [po, mo, vo] = [0, 1, 2].map(() => new Float32Array(pi.length));
    adamwTensorJs(pi, g[i], m[i], v[i], scale, a.lr[i], a.decay[i], a, po, mo, vo);
    return [po, mo, vo];
  });
  return { norm, scale, out };
}

/** One AdamW step on random tensors of these shapes, checked against spec.ts; returns its cost. */
async function adamwCase(shapes: number[][], clipNorm: number, cap: number | null): Promise<{ dispatches: number; copies: number; scale: number }> {
  setAdamWGroupCapForTests(cap);
  const n = shapes.length;
  const sizes = shapes.map((s) => s.reduce((x, y) => x * y, 1));
  const p = sizes.map((s, i) => rand(s, 100 + i));
  const g = sizes.map((s, i) => rand(s, 200 + i, -0.3, 0.3));
  const m = sizes.map((s, i) => rand(s, 300 + i, -0.01, 0.01));
  const v = sizes.map((s, i) => rand(s, 400 + i, 0, 1e-3));
  const a: AdamWAttrs = {
    lr: shapes.map((_, i) => 1e-3 * (1 + (i % 3))),
    decay: shapes.map((_, i) => (i % 4 === 1 ? 0 : 0.01)),
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-6,
    step: 3,
    clipNorm,
  };
  const want = adamwReference(p, g, m, v, a);
  const inputs: tf.NamedTensorMap = {};
  shapes.forEach((s, i) => {
    inputs[`p${i}`] = tf.tensor(p[i], s);
    inputs[`g${i}`] = tf.tensor(g[i], s);
    inputs[`m${i}`] = tf.tensor(m[i], s);
    inputs[`v${i}`] = tf.tensor(v[i], s);
  });
  const { result, dispatches, copies } = await countWebGpuDispatches(async () => {
    const out = tf.engine().runKernel(K.adamw, inputs, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
    expect(out.length).toBe(1 + 3 * n);
    expect(out[0].shape).toEqual([]);
    out.slice(1).forEach((t, j) => expect(t.shape).toEqual(shapes[Math.floor(j / 3)]));
    const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(out);
    return data;
  });
  expectClose(result[0], [want.norm], 1e-6, 1e-6, 'norm');
  for (let i = 0; i < n; i++) {
    expectClose(result[1 + 3 * i], want.out[i][0], 1e-6, 1e-6, `p${i}`);
    expectClose(result[2 + 3 * i], want.out[i][1], 1e-5, 1e-6, `m${i}`);
    expectClose(result[3 + 3 * i], want.out[i][2], 1e-5, 1e-6, `v${i}`);
  }
  // The inputs are untouched (the update works on packed copies).
  expect(Array.from(await inputs.p0.data())).toEqual(Array.from(p[0]));
  tf.dispose(Object.values(inputs));
  return { dispatches, copies, scale: want.scale };
}

describe.each(['off', 'on'] as const)('fused AdamW on webgpu, barrier-free forms %s', (mode) => {
  beforeEach(() => setSoftwareKernels(mode));
  afterEach(() => setSoftwareKernels('auto'));

  // 20 tensors, 992 elements, one of them empty.
  const shapes: number[][] = [
    [3, 5], [7], [1], [13, 11], [2, 3, 4], [300], [9, 9], [4], [5, 1, 3], [17, 2],
    [0], [6, 6], [1, 1], [31], [8, 3], [2, 2, 2, 2], [11, 5], [3], [64, 3], [10],
  ];

  it('clipping active', async () => {
    const r = await adamwCase(shapes, 0.5, null);
    expect(r.scale).toBeLessThan(0.5);
    expect(r.dispatches).toBe(2);
    expect(r.copies).toBe(7 * 19 + 1); // the empty tensor has no segment
  });

  it('clipping inactive (threshold above the norm)', async () => {
    const r = await adamwCase(shapes, 1e6, null);
    expect(r.scale).toBe(1);
    expect(r.dispatches).toBe(2);
  });

  it('no clipping (clipNorm 0)', async () => {
    expect((await adamwCase(shapes, 0, null)).dispatches).toBe(2);
  });

  it('split into groups of 100 elements (tensors cut across groups)', async () => {
    const r = await adamwCase(shapes, 0.5, 100);
    expect(r.dispatches).toBe(2 * Math.ceil(992 / 100));
  });

  it('a step of 135 tensors costs 2 dispatches', async () => {
    const inputs: tf.NamedTensorMap = {};
    const count = 135;
    for (let i = 0; i < count; i++) {
      for (const k of ['p', 'g', 'm', 'v']) inputs[`${k}${i}`] = tf.fill([1 + (i % 17), 3], 0.01 * (1 + (i % 5)));
    }
    const a: AdamWAttrs = { lr: Array(count).fill(1e-3), decay: Array(count).fill(0.01), beta1: 0.9, beta2: 0.999, epsilon: 1e-6, step: 1, clipNorm: 1 };
    const { dispatches, copies } = await countWebGpuDispatches(async () => {
      const out = tf.engine().runKernel(K.adamw, inputs, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
      await out[0].data();
      tf.dispose(out);
    });
    expect(dispatches).toBe(2);
    expect(copies).toBe(7 * count + 1);
    tf.dispose(Object.values(inputs));
  });
});
