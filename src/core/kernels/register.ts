import { registerCompositeKernels } from './composite.ts';
import { registerJsKernels } from './kernels-js.ts';
import { registerWebGpuKernels } from './kernels-webgpu.ts';
import { registerFusedGradients } from './ops.ts';

let registered = false;

/** Entry points (CLI, worker, tests) call this: fused kernels for cpu, wasm and webgpu, and their gradients (once). */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  registerJsKernels();
  registerCompositeKernels();
  registerWebGpuKernels();
  registerFusedGradients();
}
