import * as tf from '@tensorflow/tfjs-core';
import { isSoftwareAdapter, type AdapterInfoLike } from '../backend-names.ts';
import { matmulProgram, sumMiddleProgram, transpose2dProgram, type MatMulActivation } from './webgpu/barrier-free.ts';
import type { Uniform, WebGpuBackendLike } from './webgpu/raw.ts';

/*
 * On a software WebGPU adapter (SwiftShader: headless Chromium without a GPU, Dawn in Node), the
 * webgpu backend's BatchMatMul, _FusedMatMul, 2-D Transpose and Sum run the barrier-free programs
 * of webgpu/barrier-free.ts instead of tfjs's tiled ones; every other case, and every hardware
 * adapter, runs tfjs's own kernel, kept from tf.getKernel before it is replaced. Hardware keeps
 * tfjs's programs because their shared-memory tiles are what make them fast there; the choice is
 * made per backend object from its adapter at the first call, since registration happens before
 * any adapter exists. The same choice (barrierFreeOn) gives the fused kernels of kernels-webgpu.ts
 * their one-invocation-per-row forms.
 *
 * tfjs-backend-webgpu registers its kernels when its module is imported, and a later registration
 * under the same name replaces an earlier one: so this runs after that import (src/node/backends.ts,
 * src/worker/tf-setup.ts), not with the other fused kernels.
 */

type Info = tf.TensorInfo;
type Inputs = Record<string, Info>;
type Backend = WebGpuBackendLike & { shouldExecuteOnCPU(inputs: Info[]): boolean };
/** The barrier-free body; null hands the call to tfjs's kernel. */
type Body = (be: Backend, inputs: Inputs, attrs: Record<string, unknown>) => Info | null;

export type SoftwareKernelMode = 'auto' | 'on' | 'off';

const envMode = (): SoftwareKernelMode => {
  const v = typeof process !== 'undefined' ? process.env?.GROWLAB_SOFTWARE_KERNELS : undefined;
  return v === 'on' || v === 'off' ? v : 'auto';
};

let mode: SoftwareKernelMode = envMode();

/**
 * 'auto' (default): barrier-free programs on software adapters only; 'on' / 'off': everywhere /
 * nowhere (the bench times both on one adapter; GROWLAB_SOFTWARE_KERNELS sets the initial mode,
 * `growlab bench --software-kernels` sets it for a bench).
 */
export function setSoftwareKernels(m: SoftwareKernelMode): void {
  mode = m;
}

/** The mode now in force (`growlab bench` records it, and keeps it when --software-kernels is absent). */
export function softwareKernelsMode(): SoftwareKernelMode {
  return mode;
}

/** Calls that ran a barrier-free program (tests check the programs really ran, not tfjs's fallback). */
export const softwareCounters = { runs: 0 };

/**
 * tfjs 4.22 keeps only the adapter's vendor and architecture (backend.adapterInfo); Dawn reports
 * SwiftShader as google · swiftshader. Newer browsers also expose the info on the device, with
 * isFallbackAdapter. Either one software by the lab's one rule (isSoftwareAdapter) makes it software.
 */
export function isSoftwareWebGpu(adapterInfo: AdapterInfoLike | undefined, deviceInfo?: AdapterInfoLike): boolean {
  return isSoftwareAdapter(adapterInfo) || isSoftwareAdapter(deviceInfo);
}

const software = new WeakMap<object, boolean>();

/** Whether this backend runs the barrier-free programs (also the fused row kernels' one-invocation-per-row form). */
export function barrierFreeOn(be: object): boolean {
  if (mode !== 'auto') return mode === 'on';
  let s = software.get(be);
  if (s === undefined) {
    const b = be as unknown as { adapterInfo?: AdapterInfoLike; device?: { adapterInfo?: AdapterInfoLike } };
    s = isSoftwareWebGpu(b.adapterInfo, b.device?.adapterInfo);
    software.set(be, s);
  }
  return s;
}

const i32 = (v: number): Uniform => ({ type: 'int32', data: [v] });
const size = (t: Info) => tf.util.sizeFromShape(t.shape);
const allFloat = (...ts: Info[]) => ts.every((t) => t.dtype === 'float32');

/**
 * a·b over the last two axes with tfjs's batch rule (outer axes broadcast); covered when the
 * batches are equal or one is 1, which is every case tfjs-webgpu's own program computes correctly.
 */
function matmul(be: Backend, a: Info, b: Info, transposeA: boolean, transposeB: boolean, bias: Info | null,
  activation: MatMulActivation = 'linear', alpha = 0): Info | null {
  if (!allFloat(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // tfjs's kernel raises its own error
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  if (!((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1))) return null;
  const outShape = [...outer, m, n];
  if (m * n * batch === 0 || k === 0) return null;
  if (bias && (!allFloat(bias) || size(bias) !== n || bias.shape[bias.shape.length - 1] !== n)) return null;
  const program = matmulProgram(outShape, batch, m, n, k, transposeA, transposeB, bias !== null, activation);
  softwareCounters.runs++;
  return be.runWebGPUProgram(program, bias ? [a, b, bias] : [a, b], 'float32',
    [i32(batch), i32(m), i32(n), i32(k), i32(batchA), i32(batchB), { type: 'float32', data: [alpha] }]);
}

/** The activations the matmul's epilogue computes; prelu (a weights tensor) is left to tfjs. */
const EPILOGUES: Record<MatMulActivation, true> = { linear: true, relu: true, relu6: true, elu: true, leakyrelu: true, sigmoid: true };

const BODIES: Record<string, Body> = {
  BatchMatMul: (be, { a, b }, { transposeA, transposeB }) => matmul(be, a, b, !!transposeA, !!transposeB, null),
  _FusedMatMul: (be, { a, b, bias, preluActivationWeights }, { transposeA, transposeB, activation, leakyreluAlpha }) => {
    const act = (activation ?? 'linear') as string;
    if (preluActivationWeights || !Object.hasOwn(EPILOGUES, act)) return null;
    return matmul(be, a, b, !!transposeA, !!transposeB, bias ?? null, act as MatMulActivation, Number(leakyreluAlpha ?? 0));
  },
  // Other permutations already run tfjs's element-per-invocation program (no barriers).
  Transpose: (be, { x }, { perm }) => {
    const p = perm as number[];
    if (x.shape.length !== 2 || p[0] !== 1 || p[1] !== 0 || size(x) === 0 || x.dtype === 'complex64' || x.dtype === 'string') return null;
    // Small values still on the CPU are transposed there by tfjs's kernel (WEBGPU_CPU_FORWARD).
    if (be.shouldExecuteOnCPU([x])) return null;
    const [rows, cols] = x.shape;
    softwareCounters.runs++;
    return be.runWebGPUProgram(transpose2dProgram(rows, cols), [x], x.dtype, [i32(rows), i32(cols)]);
  },
  // One contiguous run of axes; tfjs instead transposes them innermost (a tiled transpose) first.
  Sum: (be, { x }, { axis, keepDims }) => {
    if (x.dtype !== 'float32' || size(x) === 0) return null;
    const axes = tf.util.parseAxisParam(axis as number | number[], x.shape).sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((ax, i) => i > 0 && ax !== axes[i - 1] + 1)) return null;
    const first = axes[0];
    const last = axes[axes.length - 1];
    const reduce = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    const kept = x.shape.filter((_, i) => i < first || i > last);
    const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : kept;
    softwareCounters.runs++;
    return be.runWebGPUProgram(sumMiddleProgram(outShape, tf.util.sizeFromShape(kept)), [x], 'float32', [i32(reduce), i32(inner)]);
  },
};

const MARK = Symbol('growlab barrier-free');

/**
 * Puts a dispatcher in front of tfjs-webgpu's BatchMatMul, _FusedMatMul, Transpose and Sum. Call it
 * after the webgpu backend's module is imported; a second call, or one without that module, does nothing.
 */
export function registerSoftwareWebGpuKernels(): void {
  for (const [kernelName, body] of Object.entries(BODIES)) {
    const original = tf.getKernel(kernelName, 'webgpu');
    if (!original || (original as unknown as Record<symbol, boolean>)[MARK]) continue;
    const config: tf.KernelConfig & { [MARK]: true } = {
      ...original,
      [MARK]: true,
      kernelFunc: (args) => {
        const be = args.backend as unknown as Backend;
        const inputs = args.inputs as Inputs;
        if (barrierFreeOn(be)) {
          const out = body(be, inputs, args.attrs as Record<string, unknown>);
          if (out) return out;
        }
        return original.kernelFunc(args);
      },
    };
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel(config);
  }
}
