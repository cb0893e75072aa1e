import * as tf from '@tensorflow/tfjs-core';

import type { BackendChoice, BackendName } from './backend-names.ts';

/** Describes the WebGPU adapter, or says why there is none. Never throws. */
export async function probeWebGpu(): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return { ok: false, reason: 'WebGPU is not available here (navigator.gpu is missing); in Chrome it needs a secure context and a supported GPU, headless Chromium needs --enable-unsafe-webgpu' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { ok: false, reason: `requesting a WebGPU adapter failed: ${(e as Error).message}` };
  }
  if (!adapter) return { ok: false, reason: 'navigator.gpu exists but no WebGPU adapter was found (GPU blocklisted or disabled)' };
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s);
  return { ok: true, adapter: parts.length ? parts.join(' · ') : 'unknown adapter' };
}

/**
 * Tries the requested backends in order and asserts the one that answers is really active:
 * tf.setBackend can fall back silently when initialisation fails.
 */
export async function selectBackend(order: readonly BackendName[]): Promise<BackendChoice> {
  if (order.length === 0) throw new Error('selectBackend needs at least one backend');
  const reasons: string[] = [];
  let adapter: string | null = null;
  for (const name of order) {
    if (!tf.findBackendFactory(name)) {
      reasons.push(`${name}: not registered in this build`);
      continue;
    }
    if (name === 'webgpu') {
      const probe = await probeWebGpu();
      if (!probe.ok) {
        reasons.push(`webgpu: ${probe.reason}`);
        continue;
      }
      adapter = probe.adapter;
    }
    let ok = false;
    try {
      ok = await tf.setBackend(name);
      await tf.ready();
    } catch (e) {
      reasons.push(`${name}: initialisation failed (${(e as Error).message})`);
      continue;
    }
    if (!ok || tf.getBackend() !== name) {
      reasons.push(`${name}: initialisation failed (tfjs is on ${tf.getBackend()} instead)`);
      continue;
    }
    return {
      name,
      requested: order[0],
      fallbackReason: reasons.length ? reasons.join('; ') : null,
      adapter: name === 'webgpu' ? adapter : null,
    };
  }
  throw new Error(`no backend could be started: ${reasons.join('; ')}`);
}
