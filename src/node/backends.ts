import { existsSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Training needs gradients, and tfjs-core alone registers none. Its own gradient registry ships only
// as ESM with extensionless imports, which Node cannot load; the union package's CommonJS build
// registers the same gradients on the one engine that tfjs-core's CommonJS build (which Node loads)
// holds. The layers, converter and data code it also loads cost Node about 0.2 s of start-up.
import '@tensorflow/tfjs';
import { selectBackend } from '../core/backend.ts';
import { type BackendChoice, type BackendName } from '../core/backend-names.ts';
import { registerFusedKernels } from '../core/kernels/register.ts';
import { registerSoftwareWebGpuKernels } from '../core/kernels/kernels-software.ts';
import { patchWasmKernels } from '../core/wasm-kernels.ts';
import { shareSavedTensors } from '../core/saved-tensors.ts';

patchWasmKernels();
shareSavedTensors();
registerFusedKernels();

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Installs navigator.gpu from the npm `webgpu` package (Dawn) and registers the tfjs WebGPU
 * backend. The backend module checks navigator.gpu when it is imported, so it must be imported
 * after the global exists.
 */
let webGpuInstalled: Promise<void> | null = null;

/**
 * Once per process: a second Dawn instance in navigator.gpu drops the first, whose device the
 * backend chosen before still holds, and Node crashes (segfault) at its next dispatch; bench
 * chose webgpu twice (its sizes, then its schedules).
 */
function installWebGpu(): Promise<void> {
  webGpuInstalled ??= installWebGpuOnce();
  return webGpuInstalled;
}

async function installWebGpuOnce(): Promise<void> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    // Without a GPU, Vulkan finds Chromium's software driver only when told where it is.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(nav, 'gpu', { value: create([]), configurable: true });
  if (!(globalThis as { navigator?: object }).navigator) {
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  // After the import: the backend module registers its own kernels, which these wrap.
  registerSoftwareWebGpuKernels();
}

/** Node: cpu and wasm always; webgpu through the `webgpu` package when an adapter exists. */
export async function useNodeBackend(name: BackendName): Promise<BackendChoice> {
  if (name === 'webgl') throw new Error('the webgl backend needs a browser; in Node use cpu, wasm or webgpu');
  if (name === 'webgpu') await installWebGpu();
  const choice = await selectBackend([name]);
  return choice;
}
