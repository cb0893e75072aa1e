import * as tf from '@tensorflow/tfjs-core';
import { K, dropThreshold, mix32, type AdamWAttrs, type AttnSoftmaxAttrs, type DropoutAttrs, type LayerNormAttrs } from './spec.ts';
import { adamwWebGpu } from './webgpu/adamw.ts';
import { biasGeluGradWebGpu, layerNormGradWebGpu } from './webgpu/grads.ts';
import {
  attnSoftmaxGradProgram, attnSoftmaxProgram, biasGeluProgram, dropoutProgram, layerNormProgram, mlmLossGradProgram,
  mlmRowLossProgram, mlmTotalProgram,
} from './webgpu/programs.ts';
import { rawCounters, type Uniform, type WebGpuBackendLike } from './webgpu/raw.ts';
import { rowLanes } from './webgpu/wgsl.ts';
import { barrierFreeOn } from './kernels-software.ts';

/*
 * The fused kernels on WebGPU: WGSL programs computing spec.ts's math. Dispatches per call:
 *   LayerNorm 1, LayerNormGrad 2, BiasGelu 1, BiasGeluGrad 1, AttnSoftmax 1, AttnSoftmaxGrad 1,
 *   Dropout 1, DropoutAdd 1, MlmLoss 2, MlmLossGrad 1, AdamW 2 for the whole model (webgpu/adamw.ts).
 * Row kernels run one invocation per row instead of a workgroup on software adapters (kernels-software.ts).
 * Single-output kernels are tfjs-webgpu programs (webgpu/programs.ts, backend.runWebGPUProgram);
 * multi-output ones record their own pipelines into the backend's command encoder (webgpu/raw.ts).
 * Nothing here imports the backend package: registration is by name and every kernel uses only the
 * backend object it is handed, so this module loads before navigator.gpu exists.
 */

type Info = tf.TensorInfo;
const size = (t: Info) => tf.util.sizeFromShape(t.shape);
const i32 = (v: number): Uniform => ({ type: 'int32', data: [v] });
const u32 = (v: number): Uniform => ({ type: 'uint32', data: [v] });
const f32 = (v: number): Uniform => ({ type: 'float32', data: [v] });

/** seedMix, threshold and keepScale, in the order of the programs' DROP_UNIFORMS. */
function dropUniforms({ rate, seed }: DropoutAttrs): Uniform[] {
  return [u32(mix32(seed >>> 0)), u32(dropThreshold(rate)), f32(Math.fround(1 / (1 - rate)))];
}

/** Invocations per row of the row kernels on this backend's adapter. */
const lanes = (be: WebGpuBackendLike, cols: number) => rowLanes(cols, barrierFreeOn(be));

const zerosLike = (be: WebGpuBackendLike, shape: number[]) => be.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape)));

/** The kernel's inputs by name (the engine passes every input the op names). */
type Inputs = Record<string, Info>;
type Body = (be: WebGpuBackendLike, inputs: Inputs, attrs: unknown) => Info | Info[];

const BODIES: Record<string, Body> = {
  [K.layerNorm]: (be, { x, gamma, beta }, attrs) => {
    const cols = size(gamma);
    if (size(x) === 0 || cols === 0) return zerosLike(be, x.shape);
    const rows = size(x) / cols;
    return be.runWebGPUProgram(layerNormProgram(x.shape, rows, lanes(be, cols)), [x, gamma, beta], 'float32',
      [i32(rows), i32(cols), f32((attrs as LayerNormAttrs).eps)]);
  },
  [K.layerNormGrad]: (be, { dy, x, gamma }, attrs) => layerNormGradWebGpu(be, dy, x, gamma, (attrs as LayerNormAttrs).eps, barrierFreeOn(be)),
  [K.biasGelu]: (be, { x, bias }) => {
    if (size(x) === 0 || size(bias) === 0) return zerosLike(be, x.shape);
    return be.runWebGPUProgram(biasGeluProgram(x.shape, size(x)), [x, bias], 'float32', [i32(size(bias))]);
  },
  [K.biasGeluGrad]: (be, { dy, x, bias }) => biasGeluGradWebGpu(be, dy, x, bias),
  [K.attnSoftmax]: (be, { scores, bias }, attrs) => {
    const a = attrs as AttnSoftmaxAttrs;
    const [, heads, q, k] = scores.shape;
    if (size(scores) === 0) return zerosLike(be, scores.shape);
    const rows = size(scores) / k;
    return be.runWebGPUProgram(attnSoftmaxProgram(scores.shape, rows, lanes(be, k)), [scores, bias], 'float32',
      [i32(rows), i32(k), i32(heads * q), f32(a.scale), ...dropUniforms(a)]);
  },
  [K.attnSoftmaxGrad]: (be, { dy, scores, bias }, attrs) => {
    const a = attrs as AttnSoftmaxAttrs;
    const [, heads, q, k] = scores.shape;
    if (size(scores) === 0) return zerosLike(be, scores.shape);
    const rows = size(scores) / k;
    return be.runWebGPUProgram(attnSoftmaxGradProgram(scores.shape, rows, lanes(be, k)), [dy, scores, bias], 'float32',
      [i32(rows), i32(k), i32(heads * q), f32(a.scale), ...dropUniforms(a)]);
  },
  [K.dropout]: (be, { x }, attrs) => {
    if (size(x) === 0) return zerosLike(be, x.shape);
    return be.runWebGPUProgram(dropoutProgram(x.shape, size(x), false), [x], 'float32', dropUniforms(attrs as DropoutAttrs));
  },
  [K.dropoutAdd]: (be, { x, h }, attrs) => {
    if (size(x) === 0) return zerosLike(be, x.shape);
    return be.runWebGPUProgram(dropoutProgram(x.shape, size(x), true), [x, h], 'float32', dropUniforms(attrs as DropoutAttrs));
  },
  [K.mlmLoss]: (be, { logits, labels, weights }) => {
    const rows = size(labels);
    if (rows === 0 || size(logits) === 0) return be.makeTensorInfo([], 'float32', Float32Array.of(0));
    const cols = size(logits) / rows;
    const rowLoss = be.runWebGPUProgram(mlmRowLossProgram(rows, lanes(be, cols)), [logits, labels, weights], 'float32', [i32(rows), i32(cols)]);
    const loss = be.runWebGPUProgram(mlmTotalProgram(barrierFreeOn(be)), [rowLoss, weights], 'float32', [i32(rows)]);
    be.disposeData(rowLoss.dataId);
    return loss;
  },
  [K.mlmLossGrad]: (be, { dy, logits, labels, weights }) => {
    const rows = size(labels);
    if (rows === 0 || size(logits) === 0) return zerosLike(be, logits.shape);
    const cols = size(logits) / rows;
    return be.runWebGPUProgram(mlmLossGradProgram(logits.shape, rows, lanes(be, cols)), [dy, logits, labels, weights], 'float32', [i32(rows), i32(cols)]);
  },
  [K.adamw]: (be, inputs, attrs) => adamwWebGpu(be, inputs, attrs as AdamWAttrs, barrierFreeOn(be)),
};

/** Registers every fused kernel for webgpu (by name: the backend need not exist yet). */
export function registerWebGpuKernels(): void {
  for (const [kernelName, body] of Object.entries(BODIES)) {
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, attrs, backend }) => body(backend as unknown as WebGpuBackendLike, inputs as Inputs, attrs),
    });
  }
}

let depth = 0;
let tfjsDispatches = 0;

/**
 * Runs fn on the active webgpu backend and counts the GPU dispatches it records: one per
 * dispatchWorkgroups, tfjs's own programs (hooked at recordAndSubmit, which records exactly one)
 * and the fused kernels' raw pipelines. `copies` counts the fused kernels' buffer copies (AdamW's
 * packing), which are not dispatches; tfjs's own uploads and copies are not counted.
 */
export async function countWebGpuDispatches<T>(fn: () => Promise<T>): Promise<{ result: T; dispatches: number; copies: number }> {
  if (tf.getBackend() !== 'webgpu') throw new Error(`countWebGpuDispatches needs the webgpu backend (active: ${tf.getBackend()})`);
  const be = tf.backend() as unknown as WebGpuBackendLike;
  const start = { tfjs: tfjsDispatches, raw: rawCounters.dispatches, copies: rawCounters.copies };
  if (depth++ === 0) {
    const original = be.recordAndSubmit;
    be.recordAndSubmit = function (this: WebGpuBackendLike, ...args: unknown[]) {
      tfjsDispatches++;
      return original.apply(this, args);
    };
  }
  try {
    const result = await fn();
    return {
      result,
      dispatches: tfjsDispatches - start.tfjs + rawCounters.dispatches - start.raw,
      copies: rawCounters.copies - start.copies,
    };
  } finally {
    // The hook is an own property over the prototype's method: deleting it restores the original.
    if (--depth === 0) delete (be as Partial<WebGpuBackendLike>).recordAndSubmit;
  }
}
