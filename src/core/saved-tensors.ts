import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-core 4.22's Engine used here. */
interface EngineInternals {
  backend: tf.KernelBackend & { incRef(dataId: object): void };
  keep<T extends tf.Tensor>(t: T): T;
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
}

let patched = false;

/**
 * The tensors a gradient saves, as new references to the same buffers rather than clones.
 *
 * While gradients are recorded, tfjs-core's engine saves each input a gradient asks for through
 * engine.clone(): a full Identity kernel run plus a tape node (67 of the 163 kernels of a `tiny`
 * step, 111 of 263 at `small`). What a saved tensor needs is a buffer that outlives its
 * original: a second reference, counted by the backend, which is what every backend's Identity
 * (incRef, same dataId) gives anyway. The tape node is for gradients flowing through the copy,
 * and none does: saved tensors only feed gradient functions (no higher-order gradients here).
 * Call once, from an entry point.
 */
export function shareSavedTensors(): void {
  if (patched) return;
  patched = true;
  const engine = tf.engine() as unknown as EngineInternals;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]) {
    return tensors.map((t) => {
      this.backend.incRef(t.dataId);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    });
  };
}
