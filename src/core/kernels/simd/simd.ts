import { SIMD_PLAIN, SIMD_SHARED } from './simd-binary.ts';

/*
 * The wasm SIMD kernels (the .wat files here), instantiated over the tfjs-backend-wasm heap: each takes
 * byte offsets of tensors in that heap, so a kernel reads and writes the tensors in place, as the
 * JS kernels do through views. Where the module cannot load (no SIMD in the engine, a heap it
 * cannot import), the JS kernels run instead, with the same results to float32 rounding.
 */

export interface SimdKernels {
  swapRuns(x: number, out: number, outer: number, a: number, b: number, inner: number): void;
  transpose4(x: number, out: number, outer: number, a: number, b: number): void;
  columnSums(x: number, rows: number, cols: number, out: number): void;
  /**
   * out [n, m, p] ← a · b [n, k, p] (+ bias [p]) slice by slice: a is [n, m, k], or [n, k, m] read
   * transposed when transA is 1. bias is 0 for none.
   */
  matMul(a: number, b: number, bias: number, out: number, n: number, m: number, k: number, p: number, transA: number): void;
  biasGelu(x: number, bias: number, y: number, rows: number, n: number): void;
  biasGeluGrad(dy: number, x: number, bias: number, dx: number, dbias: number, rows: number, n: number): void;
  sumSquares(g: number, n: number): number;
  adamw(
    p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    clip: number, lr: number, decay: number, b1: number, ob1: number, b2: number, ob2: number, c1: number, c2: number, eps: number,
  ): void;
  layerNorm(x: number, gamma: number, beta: number, y: number, rows: number, d: number, eps: number): void;
  layerNormGrad(dy: number, x: number, gamma: number, dx: number, dgamma: number, dbeta: number, rows: number, d: number, eps: number): void;
  attnSoftmax(
    scores: number, bias: number, out: number, batch: number, rowsPerBatch: number, k: number,
    scale: number, threshold: number, seedMix: number, keepScale: number,
  ): void;
  attnSoftmaxGrad(
    dy: number, scores: number, bias: number, ds: number, batch: number, rowsPerBatch: number, k: number,
    scale: number, threshold: number, seedMix: number, keepScale: number,
  ): void;
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

/** The parts of tfjs-backend-wasm's Emscripten module that hold its memory. */
export interface WasmModuleLike {
  /** Exported by the plain SIMD build as asm.memory; the threaded build keeps it as wasmMemory. */
  asm?: { memory?: WebAssembly.Memory };
  wasmMemory?: WebAssembly.Memory;
}

/** The kernels over a wasm backend's heap (`backend.wasm`), or null. */
export function simdKernelsOf(wasm: WasmModuleLike): SimdKernels | null {
  return simdKernelsOver(wasm.asm?.memory ?? wasm.wasmMemory);
}

/**
 * For reports: whether the active backend's fused kernels run in SIMD. null on backends other
 * than wasm; otherwise true, or why not ('off', or the load error).
 */
export function simdStatus(backendName: string, backend: unknown): true | string | null {
  if (backendName !== 'wasm') return null;
  if (disabled) return 'off';
  return simdKernelsOf((backend as { wasm: WasmModuleLike }).wasm) ? true : (failure ?? 'the wasm heap was not found');
}

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
