import { simdKernelsOver, type SimdKernels } from './simd.ts';

/**
 * A fresh wasm memory with the SIMD kernels over it, for comparing them with spec.ts's JS loops:
 * put() copies arrays in (16-byte aligned, as tfjs-wasm's allocator aligns tensors) and returns
 * their byte offsets; f32()/i32() read results back.
 */
export class SimdHeap {
  readonly memory = new WebAssembly.Memory({ initial: 1024 });
  readonly kernels: SimdKernels;
  private next = 64;
  constructor() {
    const k = simdKernelsOver(this.memory);
    if (!k) throw new Error('the SIMD kernels did not load');
    this.kernels = k;
  }
  alloc(length: number): number {
    const at = this.next;
    this.next += Math.ceil((4 * length) / 16) * 16 + 16;
    return at;
  }
  put(values: Float32Array | Int32Array): number {
    const at = this.alloc(values.length);
    const View = values instanceof Int32Array ? Int32Array : Float32Array;
    new View(this.memory.buffer, at, values.length).set(values);
    return at;
  }
  f32(at: number, length: number): Float32Array<ArrayBuffer> {
    return new Float32Array(new Float32Array(this.memory.buffer, at, length));
  }
}

/** Deterministic values in [lo, hi) (a linear congruential draw). */
export function draws(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** max |a − b| / (scale + max |b|): float32 kernels against float64 ones, relative to the output's size. */
export function maxScaledDiff(a: Float32Array, b: Float32Array, scale = 1e-3): number {
  let maxB = 0;
  let d = 0;
  for (let i = 0; i < b.length; i++) {
    maxB = Math.max(maxB, Math.abs(b[i]));
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return d / (scale + maxB);
}
