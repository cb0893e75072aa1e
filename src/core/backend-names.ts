/* Backend names and the choice record: pure, so the page can list backends without loading tfjs. */

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The backend that really runs (checked with tf.getBackend()). */
  name: BackendName;
  /** The first backend asked for. */
  requested: BackendName;
  /** Why the requested backend is not the one running; null when it is. */
  fallbackReason: string | null;
  /** Human-readable WebGPU adapter description when name is webgpu. */
  adapter: string | null;
}

export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** A software WebGPU adapter: SwiftShader by name, or one the browser itself calls a fallback adapter. */
export function isSoftwareAdapter(info: AdapterInfoLike | null | undefined, isFallbackAdapter = false): boolean {
  if (isFallbackAdapter || info?.isFallbackAdapter) return true;
  const text = [info?.vendor, info?.architecture, info?.device, info?.description].join(' ').toLowerCase();
  return text.includes('swiftshader');
}
