import * as tf from '@tensorflow/tfjs-core';
import {
  K, adamwScalars, adamwTensorJs, attnSoftmaxGradJs, attnSoftmaxJs, biasGeluGradJs, biasGeluJs, clipScaleOf, dropThreshold, dropoutJs,
  layerNormGradJs, layerNormJs, mix32, mlmLossGradJs, mlmLossJs, sumSquaresJs,
  type AdamWAttrs, type AttnSoftmaxAttrs, type DropoutAttrs, type LayerNormAttrs,
} from './spec.ts';
import { simdKernelsOf, type SimdKernels, type WasmModuleLike } from './simd/simd.ts';

/*
 * The fused kernels on the cpu and wasm backends: spec.ts's loops over the backends' own typed
 * arrays, one tfjs kernel each (the optimizer: one kernel for the whole model).
 */

type Info = tf.TensorInfo;
type Arr = Float32Array | Int32Array;

interface CpuLike {
  data: { get(id: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Arr): Info;
}
interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): Arr;
  wasm: WasmModuleLike;
}

/** A body gets views of its inputs and outputs, and on wasm the SIMD kernels over the same heap. */
type Fill = (ins: Arr[], outs: Float32Array[], simd: SimdKernels | null) => void;

/**
 * Allocates every output first (on wasm an allocation can grow the heap and move earlier views),
 * then hands `body` views of the inputs and outputs.
 */
function compute(backendName: 'cpu' | 'wasm', backend: unknown, inputs: Info[], outShapes: number[][], body: Fill): Info[] {
  if (backendName === 'wasm') {
    const b = backend as WasmLike;
    const outs = outShapes.map((s) => b.makeOutput(s, 'float32'));
    body(inputs.map((t) => b.typedArrayFromHeap(t)), outs.map((t) => b.typedArrayFromHeap(t) as Float32Array), simdKernelsOf(b.wasm));
    return outs;
  }
  const b = backend as CpuLike;
  const arrays = outShapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  body(inputs.map((t) => b.data.get(t.dataId).values as Arr), arrays, null);
  return outShapes.map((s, i) => b.makeTensorInfo(s, 'float32', arrays[i]));
}

type Body = (inputs: Record<string, Info>, attrs: unknown, be: (ins: Info[], shapes: number[][], fn: Fill) => Info[]) => Info | Info[];

type Seven = [number, number, number, number, number, number, number];

/** Byte offsets in the wasm heap, for the SIMD kernels. */
const at = (a: Arr) => a.byteOffset;

const f32 = (a: Arr) => a as Float32Array;

/** A SIMD dropout site's threshold, mixed seed and keep scale: per call on the host, not per element. */
const dropArgs = ({ rate, seed }: DropoutAttrs): [number, number, number] =>
  [dropThreshold(rate), mix32(seed >>> 0), Math.fround(1 / (1 - rate))];

const BODIES: Record<string, Body> = {
  [K.layerNorm]: ({ x, gamma, beta }, attrs, be) => {
    const { eps } = attrs as LayerNormAttrs;
    return be([x, gamma, beta], [x.shape], ([xv, g, b], [y], simd) =>
      simd && g.length % 4 === 0
        ? simd.layerNorm(at(xv), at(g), at(b), at(y), xv.length / g.length, g.length, eps)
        : layerNormJs(f32(xv), f32(g), f32(b), eps, y))[0];
  },
  [K.layerNormGrad]: ({ dy, x, gamma }, attrs, be) => {
    const { eps } = attrs as LayerNormAttrs;
    return be([dy, x, gamma], [x.shape, gamma.shape, gamma.shape], ([d, xv, g], [dx, dg, db], simd) =>
      simd && g.length % 4 === 0
        ? simd.layerNormGrad(at(d), at(xv), at(g), at(dx), at(dg), at(db), xv.length / g.length, g.length, eps)
        : layerNormGradJs(f32(d), f32(xv), f32(g), eps, dx, dg, db));
  },
  [K.biasGelu]: ({ x, bias }, _a, be) =>
    be([x, bias], [x.shape], ([xv, b], [y], simd) =>
      simd && b.length % 4 === 0 ? simd.biasGelu(at(xv), at(b), at(y), xv.length / b.length, b.length) : biasGeluJs(f32(xv), f32(b), y))[0],
  [K.biasGeluGrad]: ({ dy, x, bias }, _a, be) =>
    be([dy, x, bias], [x.shape, bias.shape], ([d, xv, b], [dx, db], simd) =>
      simd && b.length % 4 === 0
        ? simd.biasGeluGrad(at(d), at(xv), at(b), at(dx), at(db), xv.length / b.length, b.length)
        : biasGeluGradJs(f32(d), f32(xv), f32(b), dx, db)),
  [K.attnSoftmax]: ({ scores, bias }, attrs, be) => {
    const [batch, heads, q, k] = scores.shape;
    const a = attrs as AttnSoftmaxAttrs;
    return be([scores, bias], [scores.shape], ([s, b], [y], simd) =>
      simd && k % 4 === 0
        ? simd.attnSoftmax(at(s), at(b), at(y), batch, heads * q, k, a.scale, ...dropArgs(a))
        : attnSoftmaxJs(f32(s), f32(b), { batch, heads, q, k }, a, y))[0];
  },
  [K.attnSoftmaxGrad]: ({ dy, scores, bias }, attrs, be) => {
    const [batch, heads, q, k] = scores.shape;
    const a = attrs as AttnSoftmaxAttrs;
    return be([dy, scores, bias], [scores.shape], ([d, s, b], [ds], simd) =>
      simd && k % 4 === 0
        ? simd.attnSoftmaxGrad(at(d), at(s), at(b), at(ds), batch, heads * q, k, a.scale, ...dropArgs(a))
        : attnSoftmaxGradJs(f32(d), f32(s), f32(b), { batch, heads, q, k }, a, ds))[0];
  },
  [K.dropout]: ({ x }, attrs, be) => {
    const { rate, seed } = attrs as DropoutAttrs;
    return be([x], [x.shape], ([xv], [y], simd) =>
      simd && xv.length % 4 === 0
        ? simd.dropout(at(xv), at(y), xv.length, ...dropArgs(attrs as DropoutAttrs))
        : dropoutJs(f32(xv), rate, seed, y))[0];
  },
  // Dropout applies to h; x is the residual it is added to.
  [K.dropoutAdd]: ({ x, h }, attrs, be) => {
    const { rate, seed } = attrs as DropoutAttrs;
    return be([x, h], [x.shape], ([xv, hv], [y], simd) =>
      simd && hv.length % 4 === 0
        ? simd.dropoutAdd(at(hv), at(xv), at(y), hv.length, ...dropArgs(attrs as DropoutAttrs))
        : dropoutJs(f32(hv), rate, seed, y, f32(xv)))[0];
  },
  [K.mlmLoss]: ({ logits, labels, weights }, _a, be) =>
    be([logits, labels, weights], [[]], ([l, lab, w], [loss], simd) => {
      const V = l.length / lab.length;
      loss[0] = simd && V % 4 === 0 && lab instanceof Int32Array
        ? simd.mlmLoss(at(l), at(lab), at(w), lab.length, V)
        : mlmLossJs(f32(l), lab as Int32Array, f32(w));
    })[0],
  [K.mlmLossGrad]: ({ dy, logits, labels, weights }, _a, be) =>
    be([dy, logits, labels, weights], [logits.shape], ([d, l, lab, w], [dl], simd) => {
      const V = l.length / lab.length;
      if (simd && V % 4 === 0 && lab instanceof Int32Array) simd.mlmLossGrad(d[0], at(l), at(lab), at(w), at(dl), lab.length, V);
      else mlmLossGradJs(d[0], f32(l), lab as Int32Array, f32(w), dl);
    })[0],
  [K.adamw]: (inputs, attrs, be) => {
    const a = attrs as AdamWAttrs;
    const n = a.decay.length;
    const ins: Info[] = [];
    const shapes: number[][] = [[]];
    for (let i = 0; i < n; i++) {
      ins.push(inputs[`p${i}`], inputs[`g${i}`], inputs[`m${i}`], inputs[`v${i}`]);
      const s = inputs[`p${i}`].shape;
      shapes.push(s, s, s);
    }
    return be(ins, shapes, (arr, outs, simd) => {
      const grads = arr.filter((_, j) => j % 4 === 1) as Float32Array[];
      // SIMD takes each tensor's first multiple of 4 elements, spec.ts the rest.
      const split = (x: Float32Array) => (simd ? x.length - (x.length % 4) : 0);
      const norm = Math.sqrt(grads.reduce((s, g) => s + (simd?.sumSquares(at(g), split(g)) ?? 0) + sumSquaresJs([g.subarray(split(g))]), 0));
      outs[0][0] = norm;
      const scale = clipScaleOf(norm, a.clipNorm);
      const c = adamwScalars(a, scale);
      for (let i = 0; i < n; i++) {
        const ts = [...arr.slice(4 * i, 4 * i + 4), ...outs.slice(1 + 3 * i, 4 + 3 * i)] as Float32Array[];
        const k = split(ts[0]);
        if (simd && k > 0) {
          simd.adamw(...(ts.map(at) as Seven), k, c.gs, a.lr[i], a.decay[i], a.beta1, c.ob1, a.beta2, c.ob2, c.c1, c.c2, a.epsilon);
        }
        const [p, g, m, v, pOut, mOut, vOut] = ts.map((t) => t.subarray(k));
        adamwTensorJs(p, g, m, v, scale, a.lr[i], a.decay[i], a, pOut, mOut, vOut);
      }
    });
  },
};

/** Registers every fused kernel for cpu and wasm (either backend may be missing; registration is by name). */
export function registerJsKernels(): void {
  for (const backendName of ['cpu', 'wasm'] as const) {
    for (const [kernelName, body] of Object.entries(BODIES)) {
      tf.registerKernel({
        kernelName,
        backendName,
        kernelFunc: ({ inputs, attrs, backend }) =>
          body(inputs as Record<string, Info>, attrs, (ins, shapes, fn) => compute(backendName, backend, ins, shapes, fn)),
      });
    }
  }
}
