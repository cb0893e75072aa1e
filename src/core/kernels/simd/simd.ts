import { SIMD_PLAIN, SIMD_SHARED } from './simd-binary.ts';

/*
 * The wasm SIMD kernels (the .wat files here), instantiated over the tfjs-backend-wasm heap: each takes
 * byte offsets of tensors in that heap, so a kernel reads and writes the tensors in place, as the
 * JS kernels do through views. Where the module cannot load (no SIMD in the engine, a heap it
 * cannot import), the JS kernels run instead, with the same results to float32 rounding.
 */

export interface SimdKernels {
  biasGelu(x: number, bias: number, y: number, rows: number, n: number): void;
  biasGeluGrad(dy: number, x: number, bias: number, dx: number, dbias: number, rows: number, n: number): void;
  /** Returns the weighted mean loss (labels int32; V a multiple of 4). */
  mlmLoss(logits: number, labels: number, weights: number, rows: number, V: number): number;
  /** `dy` is the upstream gradient's value, not an offset. */
  mlmLossGrad(dy: number, logits: number, labels: number, weights: number, dlogits: number, rows: number, V: number): void;
  /** `threshold` is spec.ts dropThreshold(rate), `seedMix` mix32(seed >>> 0), `scale` fround(1/(1 − rate)). */
  dropout(x: number, out: number, n: number, threshold: number, seedMix: number, scale: number): void;
  dropoutAdd(x: number, add: number, out: number, n: number, threshold: number, seedMix: number, scale: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();
let disabled = false;
let failure: string | null = null;

/** Turns the SIMD kernels off (the JS kernels run) or back on: for comparing the two. */
export function setSimd(on: boolean): void {
  disabled = !on;
}

/** Why the SIMD kernels could not load, if they could not. */
export function simdFailure(): string | null {
  return failure;
}

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** The kernels over `memory`, or null when they are off or cannot load there. */
export function simdKernelsOver(memory: WebAssembly.Memory | undefined): SimdKernels | null {
  if (disabled || !memory) return null;
  if (instances.has(memory)) return instances.get(memory)!;
  let kernels: SimdKernels | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(bytes(shared ? SIMD_SHARED : SIMD_PLAIN));
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  instances.set(memory, kernels);
  return kernels;
}
