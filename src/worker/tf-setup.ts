/*
 * The tfjs backends a browser worker can use (the training worker and the bench page's worker),
 * set up once on import: every backend registered, the wasm binaries served by the app itself
 * (no CDN at run time), gradients, the fused kernels (src/core/kernels) and the wasm matmul patch
 * — the same set src/node/backends.ts installs in Node. In a cross-origin-isolated page (COOP
 * same-origin + COEP require-corp, see vite.config.ts) tfjs-wasm loads its threaded SIMD build.
 */
// tfjs-core first: its flags (DEBUG, …) must be registered before the gradient module's engine code
// runs, which a dev-server pre-bundle otherwise evaluates first ("Cannot evaluate flag 'DEBUG'").
import '@tensorflow/tfjs-core';
// Training needs gradients, and tfjs-core alone registers none. A bundler follows the ESM gradient
// registry's extensionless imports, so the worker takes just the gradients; the union package that
// Node registers them through (src/node/backends.ts) would also bundle its layers, converter and
// data code: 2.06 MB -> 2.54 MB per worker, measured with `vite build`.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerFusedKernels } from '../core/kernels/register.ts';
import { registerSoftwareWebGpuKernels } from '../core/kernels/kernels-software.ts';
import { patchWasmKernels } from '../core/wasm-kernels.ts';
import { shareSavedTensors } from '../core/saved-tensors.ts';

patchWasmKernels();
shareSavedTensors();
registerFusedKernels();
// After the backend imports above: it wraps tfjs-webgpu's own kernels (software adapters only).
registerSoftwareWebGpuKernels();

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
