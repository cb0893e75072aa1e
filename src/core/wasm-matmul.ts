import * as tf from '@tensorflow/tfjs-core';

type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];

let patched = false;

/**
 * tfjs-backend-wasm 4.22 multiplies 8-15x slower when asked for a transposed operand (measured
 * here: [1024,128]ᵀ·[1024,512] 99 ms vs 12 ms with an explicit transpose first), and every matmul
 * gradient asks for one. This re-registers the wasm BatchMatMul so that it transposes explicitly
 * and then runs the untransposed kernel. Same arithmetic, same results. Call after importing
 * the wasm backend and before tf.setBackend('wasm'); other backends are untouched.
 */
export function useExplicitTransposeOnWasm(): void {
  if (patched) return;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) return;
  patched = true;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args: KernelArgs) => {
      const { inputs, backend, attrs } = args;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const temps: tf.TensorInfo[] = [];
      const swapped = (x: tf.TensorInfo): tf.TensorInfo => {
        const r = x.shape.length;
        const perm = [...Array(r - 2).keys(), r - 1, r - 2];
        const t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        temps.push(t);
        return t;
      };
      const a = transposeA ? swapped(inputs.a as tf.TensorInfo) : inputs.a;
      const b = transposeB ? swapped(inputs.b as tf.TensorInfo) : inputs.b;
      try {
        return original.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of temps) (backend as tf.KernelBackend).disposeData(t.dataId);
      }
    },
  });
}
