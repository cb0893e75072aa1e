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
