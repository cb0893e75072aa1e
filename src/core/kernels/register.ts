import { registerCompositeKernels } from './composite.ts';
import { registerJsKernels } from './kernels-js.ts';
import { registerWebGpuKernels } from './kernels-webgpu.ts';
import { registerFusedGradients } from './ops.ts';

/** Entry points (CLI, worker, tests) call this once: fused kernels for cpu, wasm and webgpu, and their gradients. */
export function registerFusedKernels(): void {
  registerJsKernels();
  registerCompositeKernels();
  registerWebGpuKernels();
  registerFusedGradients();
}
