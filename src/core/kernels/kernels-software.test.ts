import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../../node/corpus.ts';
import { useNodeBackend } from '../../node/backends.ts';
import { SIZES } from '../model/config.ts';
import { Experiment } from '../run/experiment.ts';
import { buildPreset } from '../schedule/presets.ts';
import { isSoftwareWebGpu, setSoftwareKernels, softwareCounters } from './kernels-software.ts';
import { matmulProgram } from './webgpu/barrier-free.ts';

/*
 * The barrier-free WebGPU programs (kernels-software.ts) against the cpu backend's kernels on odd
 * shapes, on Dawn's SwiftShader adapter (the npm `webgpu` package), where 'auto' turns them on.
 * Without a WebGPU adapter the suite fails in beforeAll rather than passing on another backend.
 */

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

type Spec = { shape: number[]; dtype?: 'float32' | 'int32'; seed: number };

/** One kernel on webgpu and on cpu with the same inputs; the outputs' values and shapes. */
async function both(kernel: string, inputs: Record<string, Spec>, attrs: object) {
  const values = Object.fromEntries(Object.entries(inputs).map(([k, s]) => {
    const v = rand(tf.util.sizeFromShape(s.shape), s.seed);
    return [k, s.dtype === 'int32' ? Int32Array.from(v, (x) => Math.round(x * 100)) : v];
  }));
  const cpu = tf.findBackend('cpu') as tf.KernelBackend & { makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): tf.TensorInfo };
  const cpuInputs = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, cpu.makeTensorInfo(s.shape, s.dtype ?? 'float32', values[k])]));
  const cpuOut = tf.getKernel(kernel, 'cpu')!.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const want = { values: Array.from(cpu.readSync(cpuOut.dataId) as Float32Array), shape: cpuOut.shape };
  for (const t of [...Object.values(cpuInputs), cpuOut]) cpu.disposeData(t.dataId);

  const gpuInputs = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, tf.tensor(values[k], s.shape, s.dtype ?? 'float32')]));
  const runsBefore = softwareCounters.runs;
  const out = tf.engine().runKernel(kernel, gpuInputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  const got = { values: Array.from(await out.data()), shape: out.shape };
  tf.dispose([out, ...Object.values(gpuInputs)]);
  return { got, want, barrierFree: softwareCounters.runs - runsBefore };
}

function expectClose(got: number[], want: number[], tol: number): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...want.map(Math.abs));
  const worst = got.reduce((w, g, i) => Math.max(w, Math.abs(g - want[i])), 0);
  expect(worst / scale).toBeLessThan(tol);
}

beforeAll(async () => {
  await useNodeBackend('cpu');
  const choice = await useNodeBackend('webgpu');
  expect(choice.name, `WebGPU is required for this suite: ${choice.fallbackReason}`).toBe('webgpu');
});

afterEach(() => setSoftwareKernels('auto'));

afterAll(async () => {
  await useNodeBackend('cpu');
});

describe('software adapters', () => {
  it('stay one Dawn instance when webgpu is chosen again (bench picks it for sizes, then schedules)', async () => {
    const gpu = (globalThis.navigator as unknown as { gpu: object }).gpu;
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect((await useNodeBackend('webgpu')).name).toBe('webgpu');
    expect((globalThis.navigator as unknown as { gpu: object }).gpu).toBe(gpu);
    // A second instance would drop the first, under the device this tensor lives on: Node segfaulted here.
    expect(Array.from(await tf.matMul(x, x).data())).toEqual([7, 10, 15, 22]);
    x.dispose();
  });

  it('are told apart from hardware by the adapter info tfjs keeps', () => {
    expect(isSoftwareWebGpu({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareWebGpu({ vendor: 'nvidia', architecture: '' })).toBe(false);
    expect(isSoftwareWebGpu({ vendor: 'intel', architecture: 'gen-12lp' })).toBe(false);
    expect(isSoftwareWebGpu({ vendor: '', architecture: '' }, { isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareWebGpu(undefined)).toBe(false);
  });

  it("this suite's adapter is software, so 'auto' runs the barrier-free programs; 'off' runs tfjs's", async () => {
    const be = tf.backend() as unknown as { adapterInfo: { vendor: string; architecture: string } };
    expect(isSoftwareWebGpu(be.adapterInfo)).toBe(true);
    const spec = { a: { shape: [1, 9, 6], seed: 1 }, b: { shape: [1, 6, 5], seed: 2 } };
    expect((await both('BatchMatMul', spec, { transposeA: false, transposeB: false })).barrierFree).toBe(1);
    setSoftwareKernels('off');
    const off = await both('BatchMatMul', spec, { transposeA: false, transposeB: false });
    expect(off.barrierFree).toBe(0);
    expectClose(off.got.values, off.want.values, 1e-5);
  });
});

describe('barrier-free programs equal the cpu backend', () => {
  const mm: [string, number[], number[], boolean, boolean][] = [
    ['odd 2-D', [7, 5], [5, 9], false, false],
    ['transposeA', [3, 5, 7], [3, 5, 6], true, false],
    ['transposeB', [3, 7, 5], [3, 6, 5], false, true],
    ['both transposed', [2, 5, 7], [2, 6, 5], true, true],
    ['a broadcast over the batch', [1, 7, 5], [4, 5, 3], false, false],
    ['b broadcast over the batch', [2, 3, 7, 5], [5, 3], false, false],
    ['rank 4 heads, transposeB', [2, 3, 9, 5], [2, 3, 11, 5], false, true],
    ['long inner axis', [1, 9, 2001], [1, 2001, 7], false, false],
    ['one row', [1, 1, 13], [1, 13, 1], false, false],
    // 16×16 blocks (at least 32 of them), every axis odd: scalar loads, edge blocks clamped.
    ['16×16 blocks, odd, batch 3', [3, 67, 53], [3, 53, 71], false, false],
    ['16×16 blocks, odd, transposeA', [3, 53, 67], [3, 53, 71], true, false],
    ['16×16 blocks, odd, transposeB', [3, 67, 53], [3, 71, 53], false, true],
    ['16×16 blocks, odd, both transposed', [3, 53, 67], [3, 71, 53], true, true],
    // Axes that are multiples of 4 but not of the block: vec4 loads and stores, partial blocks.
    ['vec4 everywhere, partial blocks', [2, 68, 36], [2, 36, 52], false, false],
    ['vec4 everywhere, transposeA', [2, 36, 68], [2, 36, 52], true, false],
    ['vec4 everywhere, transposeB', [2, 68, 36], [2, 52, 36], false, true],
    ['vec4 everywhere, both transposed', [2, 36, 68], [2, 52, 36], true, true],
    // One operand vec4, the other scalar; k a multiple of 4 or not.
    ['vec4 A (k), scalar B (odd n)', [2, 67, 36], [2, 36, 71], false, false],
    ['vec4 A (rows), odd k, transposeA', [2, 53, 68], [2, 53, 71], true, false],
    ['vec4 B (k), odd m and n, transposeB', [2, 67, 36], [2, 71, 36], false, true],
    ['vec4 B (cols), odd k', [2, 67, 53], [2, 53, 72], false, false],
    ['vec4 everywhere, a broadcast over the batch', [1, 68, 36], [3, 36, 52], false, false],
    ['odd, b broadcast over the batch, transposeB', [3, 67, 53], [1, 71, 53], false, true],
  ];
  it.each(mm)('BatchMatMul, %s', async (_, sa, sb, transposeA, transposeB) => {
    const r = await both('BatchMatMul', { a: { shape: sa, seed: 3 }, b: { shape: sb, seed: 4 } }, { transposeA, transposeB });
    expect(r.barrierFree).toBe(1);
    expect(r.got.shape).toEqual(r.want.shape);
    expectClose(r.got.values, r.want.values, 1e-5);
  });

  it('BatchMatMul of int32 values is left to tfjs, with the same values', async () => {
    const r = await both('BatchMatMul', { a: { shape: [2, 3, 4], dtype: 'int32', seed: 5 }, b: { shape: [2, 4, 5], dtype: 'int32', seed: 6 } }, { transposeA: false, transposeB: false });
    expect(r.barrierFree).toBe(0);
    expect(r.got.values).toEqual(r.want.values);
  });

  it.each([[false, false], [true, false], [false, true], [true, true]])('_FusedMatMul with a bias, transposeA %s transposeB %s', async (transposeA, transposeB) => {
    const [m, k, n] = [13, 7, 10];
    const r = await both('_FusedMatMul', {
      a: { shape: transposeA ? [1, k, m] : [1, m, k], seed: 7 },
      b: { shape: transposeB ? [1, n, k] : [1, k, n], seed: 8 },
      bias: { shape: [n], seed: 9 },
    }, { transposeA, transposeB, activation: 'linear', leakyreluAlpha: 0 });
    expect(r.barrierFree).toBe(1);
    expect(r.got.shape).toEqual(r.want.shape);
    expectClose(r.got.values, r.want.values, 1e-5);
  });

  // The epilogue: bias then activation on the registers, on odd shapes (scalar stores) and on
  // multiples of 4 (vec4 bias and stores), 8×8 and 16×16 blocks, batch > 1, either side transposed.
  const epilogues: [string, number, number, number, number, boolean, boolean, number][] = [
    ['relu', 3, 67, 53, 71, false, false, 0],
    ['relu6', 2, 68, 36, 52, true, false, 0],
    ['elu', 3, 67, 53, 71, false, true, 0],
    ['leakyrelu', 2, 68, 36, 52, true, true, 0.2],
    ['sigmoid', 3, 13, 7, 10, true, true, 0],
    ['linear', 2, 68, 36, 52, false, true, 0],
  ];
  it.each(epilogues)('_FusedMatMul with a bias and %s, batch %i, m %i k %i n %i, transposeA %s transposeB %s', async (activation, batch, m, k, n, transposeA, transposeB, alpha) => {
    const r = await both('_FusedMatMul', {
      a: { shape: transposeA ? [batch, k, m] : [batch, m, k], seed: 17 },
      b: { shape: transposeB ? [batch, n, k] : [batch, k, n], seed: 18 },
      bias: { shape: [n], seed: 19 },
    }, { transposeA, transposeB, activation, leakyreluAlpha: alpha });
    expect(r.barrierFree).toBe(1);
    expect(r.got.shape).toEqual(r.want.shape);
    expectClose(r.got.values, r.want.values, 1e-5);
  });

  it('_FusedMatMul with prelu (a weights tensor) is left to tfjs', async () => {
    const r = await both('_FusedMatMul', { a: { shape: [1, 5, 3], seed: 1 }, b: { shape: [1, 3, 6], seed: 2 }, bias: { shape: [6], seed: 3 }, preluActivationWeights: { shape: [6], seed: 4 } },
      { transposeA: false, transposeB: false, activation: 'prelu', leakyreluAlpha: 0 });
    expect(r.barrierFree).toBe(0);
    expectClose(r.got.values, r.want.values, 1e-5);
  });

  // Blocks and unrolling other than the defaults (the loop over the rest of k after the unrolled one).
  it.each([
    [{ rows: 12, cols: 8, wg: 8, unroll: 8 }, [2, 45, 36], [2, 36, 29], false, false],
    [{ rows: 4, cols: 12, wg: 32, unroll: 12 }, [2, 28, 45], [2, 37, 28], true, true],
    [{ rows: 16, cols: 16, wg: 4, unroll: 16 }, [1, 37, 52], [1, 52, 41], false, false],
  ] as const)('matmulProgram with blocks %j', async (tiling, sa, sb, transposeA, transposeB) => {
    const want = await both('BatchMatMul', { a: { shape: [...sa], seed: 21 }, b: { shape: [...sb], seed: 22 } }, { transposeA, transposeB });
    const a = tf.tensor(rand(tf.util.sizeFromShape([...sa]), 21), [...sa]);
    const b = tf.tensor(rand(tf.util.sizeFromShape([...sb]), 22), [...sb]);
    const [batch, m, k, n] = [sa[0], transposeA ? sa[2] : sa[1], transposeA ? sa[1] : sa[2], transposeB ? sb[1] : sb[2]];
    const be = tf.backend() as unknown as { runWebGPUProgram(p: object, inputs: tf.TensorInfo[], dtype: string, uniforms: object[]): tf.TensorInfo };
    const i32 = (v: number) => ({ type: 'int32', data: [v] });
    const info = be.runWebGPUProgram(matmulProgram([batch, m, n], batch, m, n, k, transposeA, transposeB, false, 'linear', tiling), [a, b], 'float32',
      [i32(batch), i32(m), i32(n), i32(k), i32(batch), i32(batch), { type: 'float32', data: [0] }]);
    const out = tf.engine().makeTensorFromTensorInfo(info);
    expectClose(Array.from(await out.data()), want.want.values, 1e-5);
    tf.dispose([a, b, out]);
  });

  // Above tfjs's CPU hand-off size (WEBGPU_CPU_FORWARD: smaller inputs still on the CPU stay there).
  it.each([[[37, 29], 'float32'], [[130, 67], 'float32'], [[41, 27], 'int32']] as const)('Transpose of a %j %s matrix', async (shape, dtype) => {
    const r = await both('Transpose', { x: { shape: [...shape], dtype, seed: 11 } }, { perm: [1, 0] });
    expect(r.barrierFree).toBe(1);
    expect(r.got.shape).toEqual(r.want.shape);
    expect(r.got.values).toEqual(r.want.values);
  });

  it('Transpose of a small matrix still on the CPU is left to tfjs, with the same values', async () => {
    const r = await both('Transpose', { x: { shape: [7, 13], seed: 10 } }, { perm: [1, 0] });
    expect(r.barrierFree).toBe(0);
    expect(r.got.values).toEqual(r.want.values);
  });

  const sums: [number[], number | number[], boolean][] = [
    [[7, 13], 0, false],
    [[7, 13], 1, false],
    [[7, 13], [0, 1], false],
    [[7, 13], 0, true],
    [[3, 5, 7], 1, false],
    [[3, 5, 7], [1, 2], true],
    [[3, 5, 7], -1, false],
    [[8, 32, 32], 0, false],
    [[257, 33], 0, false],
  ];
  it.each(sums)('Sum of %j over axis %j, keepDims %s', async (shape, axis, keepDims) => {
    const r = await both('Sum', { x: { shape, seed: 12 } }, { axis, keepDims });
    expect(r.barrierFree).toBe(1);
    expect(r.got.shape).toEqual(r.want.shape);
    expectClose(r.got.values, r.want.values, 1e-5);
  });

  it('Sum over axes that are not contiguous is left to tfjs, with the same values', async () => {
    const r = await both('Sum', { x: { shape: [3, 5, 7], seed: 13 } }, { axis: [0, 2], keepDims: false });
    expect(r.barrierFree).toBe(0);
    expectClose(r.got.values, r.want.values, 1e-5);
  });
});

it('a tiny training run on webgpu (barrier-free programs) gives the cpu backend\'s losses within 1e-4 relative', async () => {
  const corpus = await loadCorpus();
  const { model, train } = SIZES.tiny;
  const steps = 4;
  const config = { size: 'tiny' as const, model, train: { ...train, steps, logEvery: 1, evalEvery: steps, evalBatches: 1 }, schedule: buildPreset('baseline', steps, model), seed: 1 };
  const losses: Record<string, number[]> = {};
  const runsBefore = softwareCounters.runs;
  for (const backend of ['webgpu', 'cpu']) {
    await tf.setBackend(backend);
    const exp = new Experiment(config, corpus, backend);
    while (!exp.done) await exp.step();
    losses[backend] = exp.record.steps.map((s) => s.loss);
    exp.dispose();
  }
  await tf.setBackend('webgpu');
  expect(softwareCounters.runs - runsBefore, 'the barrier-free programs ran').toBeGreaterThan(0);
  expect(losses.webgpu.length).toBe(steps);
  for (let i = 0; i < steps; i++) {
    expect(Math.abs(losses.webgpu[i] - losses.cpu[i]) / Math.abs(losses.cpu[i]), `step ${i}`).toBeLessThan(1e-4);
  }
});
